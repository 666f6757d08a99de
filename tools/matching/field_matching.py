"""Evidence that a vanished field lives on under another path: rename or nesting."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from tools.matching.free_text import alike_as_free_text
from tools.matching.name_evidence import name_similarity as evidence_of_names
from tools.matching.rewritten import rewritten
from tools.matching.table_matching import MARGIN
from tools.profiling.batch_profile import BatchProfile, FieldProfile

_TOKEN = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_GROUPS = {"integer": "numeric", "number": "numeric"}
REWRITTEN_SCORE = 0.7
"""Score of a move that kept its name and writes its values as another JSON type."""


class Match(BaseModel):
    """A successor of one vanished field (rename/nesting) or several (split/merge)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    old: list[str]
    new: list[str]
    confidence: float
    note: str


def tokens(path: str) -> list[str]:
    """Lower-case word tokens of a field path (snake, kebab, camel and dotted).

    >>> tokens("address.zipCode"), tokens("cust_id")
    (['address', 'zip', 'code'], ['cust', 'id'])
    """
    return [t.lower() for t in _TOKEN.findall(path)]


def name_similarity(first: str, second: str) -> float:
    """0..1: how strongly two field names say the same thing (tools.matching.name_evidence).

    >>> name_similarity("cust_id", "customer_id"), name_similarity("amt", "amount")
    (1.0, 1.0)
    >>> name_similarity("coupon", "channel")
    0.0
    """
    return evidence_of_names(first, second)


def successor_names(old: str, new: str, siblings: int = 1) -> float:
    """Name evidence that `new` succeeds `old`, given how many fields appeared in `new`'s object
    (`siblings`). The parent two fields share says which leaf it is only when that leaf is the
    one field new to the object; beside another new one, only the leaves' own names count.

    >>> successor_names("amount.total", "amount.value"), successor_names("actor.username",
    ...     "actor.nickname", siblings=2)
    (0.5, 0.0)
    """
    old_parent, _, old_leaf = old.rpartition(".")
    new_parent, _, new_leaf = new.rpartition(".")
    if siblings > 1 and old_parent and old_parent == new_parent:
        return name_similarity(old_leaf, new_leaf)
    return name_similarity(old, new)


def type_group(profile: FieldProfile) -> str | None:
    """The dominant JSON type with integer and number merged into 'numeric'."""
    kind = profile.dominant_type()
    return _GROUPS.get(kind, kind) if kind is not None else None


def value_group(profile: FieldProfile) -> str | None:
    """`type_group`, where text that only ever holds numbers (`"2251"`) counts as numeric: a
    producer that starts sending numbers as strings still sends the same values."""
    group = type_group(profile)
    if group == "string" and profile.encodings.get("numeric_string", 0) == profile.valued > 0:
        return "numeric"
    return group


def same_vocabulary(old: FieldProfile, new: FieldProfile) -> bool:
    """Two code fields with exactly the same codes (at least two, neither numbers nor flags,
    and some code repeats: codes, not identifiers): one vocabulary under two names.

    >>> from tools.profiling.profile_batch import profile_batch
    >>> old = profile_batch([{"m": c} for c in ["send", "charge", "send", "charge"]]).fields["m"]
    >>> new = profile_batch([{"n": c} for c in ["charge", "send", "charge"]]).fields["n"]
    >>> same_vocabulary(old, new), same_vocabulary(old, old.model_copy(update={"sketch": [1]}))
    (True, False)
    """
    if type_group(old) != "string" or type_group(new) != "string" or old.top_overflow:
        return False
    codes = set(old.top)
    if len(codes) < 2 or codes != set(new.top) or set(old.sketch) != set(new.sketch):
        return False
    flags = {"true", "false", "yes", "no", "y", "n", "t", "f", "on", "off", "0", "1"}
    repeated = old.duplicates > 0 or new.duplicates > 0
    return (
        repeated
        and not {c.lower() for c in codes} <= flags
        and "numeric_string" not in (old.encodings.keys() | new.encodings.keys())
    )


def value_overlap(old: FieldProfile, new: FieldProfile) -> tuple[int, float]:
    """Shared value hashes of two fields, and that count over the smaller sketch."""
    shared = len(set(old.sketch) & set(new.sketch))
    smaller = min(len(old.sketch), len(new.sketch))
    return shared, shared / smaller if smaller else 0.0


def shapes_agree(old: FieldProfile, new: FieldProfile) -> bool:
    """True when two fields' values look alike: string patterns or numeric magnitudes."""
    if old.shapes and new.shapes:
        distinct = len(old.sketch), len(new.sketch)
        if alike_as_free_text(old.shapes, new.shapes, *distinct):
            return True
        return any(
            _shared(_outlines(old.shapes, words), _outlines(new.shapes, words)) >= 0.5
            for words in (False, True)
        )
    if old.numeric is not None and new.numeric is not None:
        low, high = old.numeric, new.numeric
        if low.min <= high.max and high.min <= low.max:  # the ranges overlap
            return True
        before, after = max(abs(low.min), abs(low.max)), max(abs(high.min), abs(high.max))
        return min(before, after) > 0 and max(before, after) / min(before, after) <= 10
    return value_group(old) == value_group(new)


def _outlines(shapes: dict[str, int], words: bool = False) -> dict[str, float]:
    """Shares of string shapes with seconds' fractions and zones cut (milliseconds may appear).

    `words`: a run of words is one word, so names of one word and of two (`Sony`, `Bose audio`)
    read alike.

    >>> _outlines({"a a": 1, "a": 1, "9:9:9.9a": 2}, words=True)
    {'a': 0.5, '9:9:9': 0.5}
    """
    total = sum(shapes.values())
    found: dict[str, float] = {}
    for key, count in shapes.items():
        outline = re.sub(r"(9:9:9)\.9", r"\1", key)
        outline = re.sub(r"(9:9:9)(a|[+-]9:?9?)$", r"\1", outline)
        outline = re.sub(r"\ba(?: a\b)+", "a", outline) if words else outline
        found[outline] = found.get(outline, 0.0) + count / total
    return found


def _shared(first: dict[str, float], second: dict[str, float]) -> float:
    return sum(min(share, second.get(outline, 0.0)) for outline, share in first.items())


def score_successor(old: FieldProfile, new: FieldProfile, siblings: int = 1) -> float:
    """0..1: how strongly the evidence says `new` carries the values `old` used to carry
    (`siblings`: the fields that appeared in `new`'s object, see `successor_names`).

    Values of another kind score only when the field kept its name under another parent and
    writes the same values another way (`price` -> `details.price` as `1,299.00`, an instant
    as epoch milliseconds): a move with a type change, which the healer restores and verifies.
    """
    if type_group(old) == "object" or type_group(new) == "object":
        return 0.0
    if value_group(old) != value_group(new):
        return REWRITTEN_SCORE if same_leaf(old.path, new.path) and rewritten(old, new) else 0.0
    shared, containment = value_overlap(old, new)
    names = successor_names(old.path, new.path, siblings)
    leaf = old.path.rsplit(".", 1)[-1] == new.path.rsplit(".", 1)[-1]
    informative = shared >= 3 or (shared >= 1 and len(old.sketch) >= 3)
    if shared and containment >= 0.5 and (informative or names > 0 or leaf):
        return min(0.99, 0.6 + 0.25 * containment + 0.15 * max(names, float(leaf)))
    if shapes_agree(old, new) and (leaf or names >= 0.5):
        return 0.45 + 0.3 * max(names, float(leaf))
    return 0.0


def _sole_pair_score(old: FieldProfile, new: FieldProfile) -> float:
    """One key gone, one appeared, both all-distinct values of one look (numbers and their
    text alike), or one code vocabulary: a weak rename."""
    if value_group(old) != value_group(new) or type_group(old) in (None, "object", "boolean"):
        return 0.0
    if same_vocabulary(old, new):
        return 0.5
    unique = all(p.duplicates == 0 and len(p.sketch) >= min(p.valued, 3) for p in (old, new))
    encodings = [set(p.encodings) - {"numeric_string"} for p in (old, new)]
    same_look = shapes_agree(old, new) and encodings[0] == encodings[1]
    return 0.5 if unique and same_look and old.valued >= 2 and new.valued >= 2 else 0.0


def match_successors(
    baseline: BatchProfile, current: BatchProfile, vanished: Sequence[str], appeared: Sequence[str]
) -> list[Match]:
    """Greedy one-to-one pairing of vanished and appeared fields, best evidence first.

    Scores are weighted by coverage (the new field's share of events against the old one's),
    so of two look-alike successors the one carrying values in more events wins. When a second
    successor (or predecessor) scores within `MARGIN` of the best, none is matched: the fields
    stay reported as removed and added, and whoever heals them must escalate or ask. A move
    that keeps its leaf name (`same_leaf`) is not rivalled by close pairs that do not.
    """
    scored = []
    for old in vanished:
        for new in appeared:
            siblings = _open_siblings(old, new, vanished, appeared)
            score = score_successor(baseline.fields[old], current.fields[new], siblings)
            if score > 0:
                scored.append((round(score * _coverage(baseline, current, old, new), 4), old, new))
    if not scored and len(vanished) == 1 and len(appeared) == 1:
        sole = _sole_pair_score(baseline.fields[vanished[0]], current.fields[appeared[0]])
        if sole:
            scored.append((sole, vanished[0], appeared[0]))
    matches: list[Match] = []
    used: set[str] = set()
    ranked = sorted(scored, key=lambda item: (-item[0], item[1], item[2]))
    for score, old, new in ranked:
        if old in used or new in used:
            continue
        close = _rival_pairs(ranked, score, old, new, used)
        if not same_leaf(old, new) and any(same_leaf(b, a) for _, b, a in close):
            continue  # a move that keeps its leaf name is close by: it decides, later
        if same_leaf(old, new):
            close = [pair for pair in close if same_leaf(pair[1], pair[2])]
        rivals = {f for _, b, a in close for f in (b, a) if f not in (old, new)}
        used.update((old, new, *rivals))
        if rivals:  # reported as remove + add: never picked by a tie-break
            continue
        kind = "nesting" if is_nesting(old, new) else "rename"
        shared, _ = value_overlap(baseline.fields[old], current.fields[new])
        note = f"{old!r} stopped appearing and {new!r} appeared with {shared} of its values"
        matches.append(Match(kind=kind, old=[old], new=[new], confidence=score, note=note))
    return matches


def eliminated(
    baseline: BatchProfile,
    current: BatchProfile,
    vanished: Sequence[str],
    appeared: Sequence[str],
    matches: Sequence[Match],
) -> list[Match]:
    """The last vanished field and the last appeared one, once every other change is explained
    (renames, splits, merges), as a weak rename when their values look alike (`_sole_pair_score`).

    Elimination needs exactly one of each left: with two on either side nothing is picked.
    """
    explained = {path for m in matches for path in (*m.old, *m.new)}
    olds = [p for p in vanished if p not in explained]
    news = [p for p in appeared if p not in explained]
    if len(olds) != 1 or len(news) != 1:
        return []
    (old,), (new,) = olds, news
    score = _sole_pair_score(baseline.fields[old], current.fields[new])
    if not score:
        return []
    kind = "nesting" if is_nesting(old, new) else "rename"
    note = f"{old!r} stopped appearing and {new!r} appeared; every other change is explained"
    return [Match(kind=kind, old=[old], new=[new], confidence=score, note=note)]


def _open_siblings(old: str, new: str, vanished: Sequence[str], appeared: Sequence[str]) -> int:
    """Fields that appeared in `new`'s object, `new` included, less those whose leaf another
    vanished field's leaf names (`currency_code` beside a vanished `currency`)."""
    parent = new.rpartition(".")[0]
    others = [v.rpartition(".")[2] for v in vanished if v != old]
    return sum(
        1
        for a in appeared
        if a.rpartition(".")[0] == parent
        and (a == new or not any(name_similarity(a.rpartition(".")[2], o) >= 0.5 for o in others))
    )


def _rival_pairs(
    ranked: list[tuple[float, str, str]], score: float, old: str, new: str, used: set[str]
) -> list[tuple[float, str, str]]:
    """Other pairs within `MARGIN` of the pair (old, new): a second successor or predecessor."""
    return [
        (found, before, after)
        for found, before, after in ranked
        if round(score - found, 4) <= MARGIN
        and (before == old) != (after == new)
        and before not in used
        and after not in used
    ]


def same_leaf(old: str, new: str) -> bool:
    """A move that keeps the field's name under another parent (`city` -> `address.city`).

    Among look-alike successors within the margin (two counts moved into one object, their
    values overlapping as small counts do) the one that kept its name is the move.

    >>> same_leaf("number_cars", "payload.number_cars"), same_leaf("cars", "payload.car_count")
    (True, False)
    """
    return old != new and old.rpartition(".")[2] == new.rpartition(".")[2]


def is_nesting(old: str, new: str) -> bool:
    """A move into or out of an object (or from one object to another): the parent changes.

    As the scenario format's conventions say, the move is nesting even when the leaf is
    renamed on the way (`source` -> `log.file.path`).

    >>> is_nesting("city", "address.city"), is_nesting("ship_city", "shipping.city")
    (True, True)
    >>> is_nesting("city", "town"), is_nesting("city", "address.town")
    (False, True)
    """
    return old.rpartition(".")[0] != new.rpartition(".")[0]


def _coverage(baseline: BatchProfile, current: BatchProfile, old: str, new: str) -> float:
    before, after = baseline.share(old), current.share(new)
    return math.sqrt(min(1.0, after / before)) if before > 0 else 1.0
