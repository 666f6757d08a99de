"""Evidence that a vanished field lives on under another path: rename, nesting, split, merge."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from itertools import permutations
from statistics import median

from pydantic import BaseModel, ConfigDict

from tools.batch_profile import BatchProfile, FieldProfile
from tools.value_encoding import canonical, value_hash

SEPARATORS = (" ", "", "-", "_", ", ", ",", "/", "|", ".")
_TOKEN = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_GROUPS = {"integer": "numeric", "number": "numeric"}


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
    """0..1: shared tokens of two names, where an abbreviation matches its word (cust ~ customer).

    >>> name_similarity("cust_id", "customer_id"), name_similarity("amt", "amount")
    (1.0, 1.0)
    >>> name_similarity("coupon", "channel")
    0.0
    """
    left, right = tokens(first), tokens(second)
    if not left or not right:
        return 0.0
    matched = sum(1 for a in left if any(_related(a, b) for b in right))
    matched += sum(1 for b in right if any(_related(a, b) for a in left))
    return matched / (len(left) + len(right))


def _related(first: str, second: str) -> bool:
    return _abbreviates(first, second) or _abbreviates(second, first)


def _abbreviates(short: str, long: str) -> bool:
    if short == long:
        return True
    if len(short) < 2 or short[0] != long[0] or len(short) > len(long):
        return False
    letters = iter(long)
    return all(char in letters for char in short)


def type_group(profile: FieldProfile) -> str | None:
    """The dominant JSON type with integer and number merged into 'numeric'."""
    kind = profile.dominant_type()
    return _GROUPS.get(kind, kind) if kind is not None else None


def value_overlap(old: FieldProfile, new: FieldProfile) -> tuple[int, float]:
    """Shared value hashes of two fields, and that count over the smaller sketch."""
    shared = len(set(old.sketch) & set(new.sketch))
    smaller = min(len(old.sketch), len(new.sketch))
    return shared, shared / smaller if smaller else 0.0


def shapes_agree(old: FieldProfile, new: FieldProfile) -> bool:
    """True when two fields' values look alike: string patterns or numeric magnitudes."""
    if old.shapes and new.shapes:
        total_old, total_new = sum(old.shapes.values()), sum(new.shapes.values())
        common = sum(
            min(count / total_old, new.shapes.get(key, 0) / total_new)
            for key, count in old.shapes.items()
        )
        return common >= 0.5
    if old.numeric is not None and new.numeric is not None:
        return old.numeric.min <= new.numeric.max * 10 and new.numeric.min <= old.numeric.max * 10
    return type_group(old) == type_group(new)


def score_successor(old: FieldProfile, new: FieldProfile) -> float:
    """0..1: how strongly the evidence says `new` carries the values `old` used to carry."""
    if type_group(old) != type_group(new) or type_group(old) == "object":
        return 0.0
    shared, containment = value_overlap(old, new)
    names = name_similarity(old.path, new.path)
    same_leaf = old.path.rsplit(".", 1)[-1] == new.path.rsplit(".", 1)[-1]
    informative = shared >= 3 or (shared >= 1 and len(old.sketch) >= 3)
    if shared and containment >= 0.5 and (informative or names > 0 or same_leaf):
        return min(0.99, 0.6 + 0.25 * containment + 0.15 * max(names, float(same_leaf)))
    if shapes_agree(old, new) and (same_leaf or names >= 0.5):
        return 0.45 + 0.3 * max(names, float(same_leaf))
    return 0.0


def _sole_pair_score(old: FieldProfile, new: FieldProfile) -> float:
    """One key gone, one appeared, both all-distinct values of one look: a weak rename."""
    if type_group(old) != type_group(new) or type_group(old) in (None, "object", "boolean"):
        return 0.0
    unique = all(p.duplicates == 0 and len(p.sketch) >= min(p.valued, 3) for p in (old, new))
    same_look = shapes_agree(old, new) and set(old.encodings) == set(new.encodings)
    return 0.5 if unique and same_look and old.valued >= 2 and new.valued >= 2 else 0.0


def match_successors(
    baseline: BatchProfile, current: BatchProfile, vanished: Sequence[str], appeared: Sequence[str]
) -> list[Match]:
    """Greedy one-to-one pairing of vanished and appeared fields, best evidence first."""
    scored = []
    for old in vanished:
        for new in appeared:
            score = score_successor(baseline.fields[old], current.fields[new])
            if score > 0:
                scored.append((score, old, new))
    if not scored and len(vanished) == 1 and len(appeared) == 1:
        sole = _sole_pair_score(baseline.fields[vanished[0]], current.fields[appeared[0]])
        if sole:
            scored.append((sole, vanished[0], appeared[0]))
    matches: list[Match] = []
    used: set[str] = set()
    for score, old, new in sorted(scored, reverse=True):
        if old in used or new in used:
            continue
        used.update((old, new))
        same_leaf = old.rsplit(".", 1)[-1] == new.rsplit(".", 1)[-1]
        kind = "nesting" if same_leaf else "rename"
        shared, _ = value_overlap(baseline.fields[old], current.fields[new])
        note = f"{old!r} stopped appearing and {new!r} appeared with {shared} of its values"
        matches.append(Match(kind=kind, old=[old], new=[new], confidence=score, note=note))
    return matches


def find_split(
    baseline: BatchProfile, current: BatchProfile, old: str, appeared: Sequence[str]
) -> Match | None:
    """`old` became several of `appeared`: joined per event, their values rebuild the old ones."""
    candidates = [p for p in appeared if type_group(current.fields[p]) == "string"][:6]
    known = set(baseline.fields[old].sketch)
    best = _best_join(current.rows, candidates, known)
    if best is not None:
        parts, sep, share = best
        note = f"joining {parts} with {sep!r} rebuilds {share:.0%} of {old!r} values"
        return Match(kind="split", old=[old], new=list(parts), confidence=0.95, note=note)
    return _structural(baseline.fields[old], [current.fields[p] for p in candidates], "split")


def find_merge(
    baseline: BatchProfile, current: BatchProfile, vanished: Sequence[str], new: str
) -> Match | None:
    """Several `vanished` fields became `new`: their joined old values reappear in it."""
    candidates = [p for p in vanished if type_group(baseline.fields[p]) == "string"][:6]
    known = set(current.fields[new].sketch)
    best = _best_join(baseline.rows, candidates, known)
    if best is not None:
        parts, sep, share = best
        note = f"{new!r} holds {parts} joined with {sep!r} ({share:.0%} of sampled values)"
        return Match(kind="merge", old=list(parts), new=[new], confidence=0.95, note=note)
    found = _structural(current.fields[new], [baseline.fields[p] for p in candidates], "merge")
    return found


def _best_join(
    rows: Sequence[Mapping[str, object]], candidates: Sequence[str], known: set[int]
) -> tuple[tuple[str, ...], str, float] | None:
    best: tuple[tuple[str, ...], str, float] | None = None
    for size in (2, 3):
        for parts in permutations(candidates, size):
            usable = [r for r in rows if all(r.get(p) is not None for p in parts)]
            if not usable:
                continue
            for sep in SEPARATORS:
                joined = [sep.join(canonical(r[p]) for p in parts) for r in usable]
                share = sum(value_hash(text) in known for text in joined) / len(joined)
                if share >= 0.5 and (best is None or share > best[2]):
                    best = (parts, sep, share)
    return best


def _structural(whole: FieldProfile, parts: Sequence[FieldProfile], kind: str) -> Match | None:
    """No exact rebuild: accept when token counts line up and every part is named like the whole."""
    words = [len(text.split()) for text in whole.top if isinstance(text, str)]
    if len(parts) < 2 or not words:
        return None
    singles = [p for p in parts if all(len(t.split()) == 1 for t in p.top)]
    named = [p for p in singles if name_similarity(p.path, whole.path) > 0]
    if len(named) < 2 or round(median(words)) != len(named):
        return None
    paths = [p.path for p in named]
    note = f"values of {whole.path!r} have {len(named)} words, one per field of {paths}"
    old, new = ([whole.path], paths) if kind == "split" else (paths, [whole.path])
    return Match(kind=kind, old=old, new=new, confidence=0.6, note=note)
