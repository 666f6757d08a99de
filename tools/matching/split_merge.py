"""find_split and find_merge: one field became several, or several became one.

Evidence, strongest first: the parts joined with a separator rebuild old values exactly
(value hashes), or appear inside them (a URL split into host and path); else the joined
parts have the same shape as the whole ("9/9" for MM/YY, "a a" for first and last names)
and every part is named like the whole.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import permutations

from pydantic import BaseModel, ConfigDict

from tools.matching.field_matching import Match, name_similarity, type_group
from tools.profiling.batch_profile import BatchProfile, FieldProfile
from tools.profiling.value_encoding import canonical, shape, value_hash

SEPARATORS = (" ", "", "-", "_", ", ", ",", "/", "|", ".", "T", ":")
MAX_CANDIDATES = 6
EXACT_SHARE = 0.25  # share of joined rows found among the whole's values
CONTAINED_SHARE = 0.5  # share of joined rows found inside the whole's values
SHAPE_SHARE = 0.5  # overlap of shape distributions for structural evidence
_PART_TYPES = ("string", "numeric")


class _Join(BaseModel):
    """The best way found to join parts into the whole."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    parts: tuple[str, ...]
    separator: str
    confidence: float
    how: str


def find_split(
    baseline: BatchProfile, current: BatchProfile, old: str, appeared: Sequence[str]
) -> Match | None:
    """`old` became several of `appeared`; None without evidence."""
    whole = baseline.fields[old]
    if type_group(whole) != "string":
        return None
    candidates = [p for p in appeared if type_group(current.fields[p]) in _PART_TYPES]
    join = _best_join(whole, current.rows, candidates[:MAX_CANDIDATES])
    if join is None:
        return None
    note = f"{list(join.parts)} joined with {join.separator!r} {join.how} {old!r}"
    return Match(
        kind="split", old=[old], new=list(join.parts), confidence=join.confidence, note=note
    )


def find_merge(
    baseline: BatchProfile, current: BatchProfile, vanished: Sequence[str], new: str
) -> Match | None:
    """Several `vanished` fields became `new`; None without evidence."""
    whole = current.fields[new]
    if type_group(whole) != "string":
        return None
    candidates = [p for p in vanished if type_group(baseline.fields[p]) in _PART_TYPES]
    join = _best_join(whole, baseline.rows, candidates[:MAX_CANDIDATES])
    if join is None:
        return None
    note = f"{list(join.parts)} joined with {join.separator!r} {join.how} {new!r}"
    return Match(
        kind="merge", old=list(join.parts), new=[new], confidence=join.confidence, note=note
    )


def _best_join(
    whole: FieldProfile,
    rows: Sequence[Mapping[str, object]],
    candidates: Sequence[str],
) -> _Join | None:
    known = set(whole.sketch)
    texts = [t for t in whole.top if t]
    named = {p for p in candidates if name_similarity(p, whole.path) > 0}
    best: _Join | None = None
    for size in (2, 3):
        for parts in permutations(candidates, size):
            usable = [r for r in rows if all(r.get(p) not in (None, "") for p in parts)]
            if not usable:
                continue
            for separator in SEPARATORS:
                joined = [separator.join(canonical(r[p]) for p in parts) for r in usable]
                found = _judge(joined, known, texts, whole, all(p in named for p in parts))
                if found is not None and (best is None or found[0] > best.confidence):
                    best = _Join(
                        parts=parts, separator=separator, confidence=found[0], how=found[1]
                    )
    return best


def _judge(
    joined: list[str], known: set[int], texts: list[str], whole: FieldProfile, named: bool
) -> tuple[float, str] | None:
    exact = sum(value_hash(text) in known for text in joined) / len(joined)
    if exact >= 0.5:
        return 0.95, "rebuild"
    if exact >= EXACT_SHARE and named:
        return 0.85, "rebuild some values of"
    inside = sum(any(j in t and 2 * len(j) >= len(t) for t in texts) for j in joined)
    if inside / len(joined) >= CONTAINED_SHARE:
        return 0.8, "appear inside"
    if named and _shape_overlap(joined, whole.shapes) >= SHAPE_SHARE:
        return 0.6, "have the shape of"
    return None


def _shape_overlap(joined: list[str], shapes: dict[str, int]) -> float:
    if not shapes:
        return 0.0
    mine = Counter(shape(text) for text in joined)
    total = sum(shapes.values())
    return sum(min(count / len(joined), shapes.get(key, 0) / total) for key, count in mine.items())
