"""How strongly two columns' values say they hold the same thing: overlap, format, distribution.

A column is summarised once (`summarize`): its kind, a bounded sample of its distinct values
(the ones with the smallest hashes, so two columns' samples are comparable: a bottom-k sketch),
the words its text values use, the shapes of its text values (fractional seconds and zones
ignored, so a timestamp that gained milliseconds keeps its shape) and quantiles of its numbers.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from tools.matching.samples import FLAG_WORDS

Kind = Literal["empty", "bool", "numeric", "temporal", "text"]
SKETCH = 512
"""Distinct values kept per column (those with the smallest hashes)."""
INFORMATIVE_SHARED = 8
"""Shared distinct values from which an overlap counts in full (two shared flags prove little)."""
DISAGREEING_DISTINCT = 10
"""Distinct values each column needs before sharing none of them (and no form) counts against."""
DISAGREEING_LOOK = 0.1
"""Form similarity below which two columns sharing no values disagree."""
CARDINALITY_RATIO = 20
"""Distinct counts this far apart, with no value shared, count against (ids against a flag)."""
VOCABULARY_SIZE = 100
"""Most distinct values a column may have to be compared as a vocabulary (value by value)."""
CLOSE_VALUE = 85
"""Smallest rapidfuzz token-set similarity (0..100) of two values counted as the same term."""
FUZZY_WEIGHT = 0.8
"""Weight of close values against exactly shared ones."""
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_TEMPORAL = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}([T ]\d{1,2}:\d{2}(:\d{2}([.,]\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?"
    r"|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}( \d{1,2}:\d{2}(:\d{2})?)?"
)
_INNER_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
_WORD = re.compile(r"[^\W_]+")
_QUANTILES = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)


@dataclass(frozen=True)
class ColumnValues:
    """What matching needs to know about one column's values."""

    name: str
    count: int = 0
    kind: Kind = "empty"
    distinct: frozenset[str] = frozenset()
    distinct_count: int = 0
    words: frozenset[str] = frozenset()
    formats: Mapping[str, float] = field(default_factory=dict)
    quantiles: tuple[float, ...] = ()
    integral: bool = False

    @property
    def complete(self) -> bool:
        """True when `distinct` holds every distinct value, not a sample of them."""
        return self.distinct_count <= len(self.distinct)


def normalise(value: object) -> str | None:
    """Canonical text of a value: numbers without a needless `.0`, text trimmed and lower-cased.

    >>> normalise(" Male "), normalise("3.0"), normalise(2.50), normalise(None), normalise("")
    ('male', '3', '2.5', None, None)
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    number = _as_number(value)
    if number is not None:
        return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)
    text = str(value).strip().lower()
    return text or None


def _as_number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def shape(text: str) -> str:
    """A text value's layout: letter runs `a`, digit runs `9`, seconds' fractions and zones cut.

    >>> shape("2026-01-01T10:00:00.123Z") == shape("2026-01-01T10:00:00")
    True
    >>> shape("T6b 1i1"), shape("o-1042")
    ('a9a 9a9', 'a-9')
    """
    text = re.sub(r"(\d:\d\d)[.,]\d+", r"\1", text.strip())
    text = re.sub(r"(\d:\d\d)(Z|[+-]\d\d:?\d\d)$", r"\1", text)
    return re.sub(r"\s+", " ", re.sub(r"\d+", "9", re.sub(r"[^\W\d_]+", "a", text)))


def summarize(name: str, values: Iterable[object]) -> ColumnValues:
    """Summarise one column from its values (nulls and empty strings are skipped)."""
    counts: Counter[object] = Counter()
    for value in values:
        if value is not None:
            counts[value if isinstance(value, str | int | float | bool) else str(value)] += 1
    return summarize_counts(name, counts)


def summarize_counts(name: str, counts: Mapping[object, int]) -> ColumnValues:
    """Summarise one column from its distinct values and how often each occurs."""
    texts: dict[str, int] = {}
    raw: dict[str, object] = {}
    for value, count in counts.items():
        text = normalise(value)
        if text is not None:
            texts[text] = texts.get(text, 0) + count
            raw.setdefault(text, value)
    if not texts:
        return ColumnValues(name=name)
    numbers = [(n, texts[t]) for t in texts if (n := _as_number(raw[t])) is not None]
    kind = _kind(texts, raw, len(numbers))
    kept = sorted(texts, key=_hash)[:SKETCH]
    return ColumnValues(
        name=name,
        count=sum(texts.values()),
        kind=kind,
        distinct=frozenset(kept),
        distinct_count=len(texts),
        words=frozenset(w for t in kept if kind == "text" for w in _WORD.findall(t)),
        formats=_formats(texts, raw) if kind in ("text", "temporal") else {},
        quantiles=_quantiles(numbers) if kind == "numeric" else (),
        integral=kind == "numeric" and all(n.is_integer() for n, _ in numbers),
    )


def _hash(text: str) -> int:
    return zlib.crc32(text.encode())


def _kind(texts: Mapping[str, int], raw: Mapping[str, object], numbers: int) -> Kind:
    if all(t in FLAG_WORDS for t in texts) and len(texts) <= 2 and numbers < len(texts):
        return "bool"
    if numbers == len(texts):
        return "numeric"
    if all(isinstance(v, str) and _TEMPORAL.fullmatch(v.strip()) for v in raw.values()):
        return "temporal"
    return "text"


def _formats(texts: Mapping[str, int], raw: Mapping[str, object]) -> dict[str, float]:
    shapes: Counter[str] = Counter()
    for text, count in texts.items():
        shapes[shape(str(raw[text]))] += count
    total = sum(shapes.values())
    return {key: count / total for key, count in shapes.most_common(20)}


def _quantiles(numbers: list[tuple[float, int]]) -> tuple[float, ...]:
    ordered = sorted(numbers)
    total = sum(count for _, count in ordered)
    found: list[float] = []
    seen, index = 0, 0
    for q in _QUANTILES:
        goal = q * (total - 1)
        while index < len(ordered) - 1 and seen + ordered[index][1] - 1 < goal:
            seen += ordered[index][1]
            index += 1
        found.append(ordered[index][0])
    return tuple(found)


@dataclass(frozen=True)
class ValueEvidence:
    """How two columns' values compare: a 0..1 score, whether they conflict, and why."""

    score: float
    conflict: bool
    reason: str


def overlap(first: ColumnValues, second: ColumnValues) -> tuple[int, float]:
    """Shared distinct values (on the sketches) and their share of the smaller column's values."""
    if first.complete and second.complete:
        shared = len(first.distinct & second.distinct)
        return shared, shared / min(len(first.distinct), len(second.distinct))
    # bottom-k sketches: compare only below the smaller of the two largest hashes kept
    limit = min(max(map(_hash, c.distinct)) for c in (first, second))
    left = {t for t in first.distinct if _hash(t) <= limit}
    right = {t for t in second.distinct if _hash(t) <= limit}
    shared = len(left & right)
    share = shared / min(len(left), len(right)) if left and right else 0.0
    scale = min(first.distinct_count, second.distinct_count) / max(min(len(left), len(right)), 1)
    return round(shared * max(scale, 1.0)), share


def compare_values(first: ColumnValues, second: ColumnValues) -> ValueEvidence | None:
    """Value evidence that two columns hold the same thing, or None when one has no values."""
    if first.kind == "empty" or second.kind == "empty":
        return None
    shared, share = overlap(first, second)
    found = share * _informative(shared)
    reason = f"{shared} shared values ({share:.0%} of the smaller column)" if shared else ""
    close, of = vocabulary(first, second)
    if close and FUZZY_WEIGHT * close / of * _informative(close) > found:
        found = FUZZY_WEIGHT * close / of * _informative(close)
        reason = f"{close} of {of} values close to the other column's (a shared vocabulary)"
    look = _look(first, second)
    inside = _numbers_inside(first, second)
    if inside > found:
        found = inside
        reason = f"the numbers are written inside text values ({inside:.0%} alike)"
    if not shared and not inside and look == 0.0 and first.kind != second.kind:
        return ValueEvidence(0.0, True, f"{first.kind} values against {second.kind} values")
    counts = sorted((first.distinct_count, second.distinct_count))
    many = counts[0] >= DISAGREEING_DISTINCT
    if not shared and not close and (many or counts[1] >= CARDINALITY_RATIO * counts[0]):
        if look < DISAGREEING_LOOK or counts[1] >= CARDINALITY_RATIO * counts[0]:
            return ValueEvidence(0.0, True, "no value shared, unlike in form or in number")
    score = found + (1.0 - found) * 0.5 * look
    if look >= 0.3 and not reason:
        reason = f"values alike ({first.kind}, {look:.0%} similar in form)"
    return ValueEvidence(round(score, 4), False, reason)


def _numbers_inside(first: ColumnValues, second: ColumnValues) -> float:
    """Share of a numeric column's values found as the number inside the other's text values
    (x30 ~ 30, "12 kg" ~ 12), times how informative that many values are; 0 if not that case."""
    numbers, texts = sorted((first, second), key=lambda c: c.kind != "numeric")
    if numbers.kind != "numeric" or texts.kind != "text":
        return 0.0
    found = set()
    for text in texts.distinct:
        inner = _INNER_NUMBER.findall(text)
        if len(inner) == 1:
            found.add(normalise(inner[0]))
    shared = len(found & numbers.distinct)
    smaller = min(len(found), len(numbers.distinct))
    return round(shared / smaller * _informative(shared), 4) if smaller else 0.0


def _informative(shared: int) -> float:
    return min(1.0, math.log1p(shared) / math.log1p(INFORMATIVE_SHARED))


def vocabulary(first: ColumnValues, second: ColumnValues) -> tuple[int, int]:
    """How many values of the column with fewer distinct text values have a close value in the
    other (same words, or one written inside the other: pt1a ~ t1a, g1 ~ g1 well differentiated),
    and how many it has; (0, 0) unless both are small text vocabularies.
    """
    small, large = sorted((first, second), key=lambda c: c.distinct_count)
    if small.kind not in ("text", "bool") or large.kind not in ("text", "bool"):
        return 0, 0
    if not small.complete or small.distinct_count > VOCABULARY_SIZE:
        return 0, 0
    queries, choices = sorted(small.distinct), sorted(large.distinct)
    scores = cdist(queries, choices, scorer=fuzz.token_set_ratio, score_cutoff=CLOSE_VALUE)
    return int((scores.max(axis=1) > 0).sum()), len(queries)


def _look(first: ColumnValues, second: ColumnValues) -> float:
    """0..1: formats of text (or words of a vocabulary), or distributions of numbers, alike."""
    if first.kind != second.kind:
        return 0.0
    if first.kind == "numeric":
        return _distribution(first, second)
    if first.kind == "bool":
        return 1.0
    formats = sum(min(v, second.formats.get(k, 0.0)) for k, v in first.formats.items())
    words = 0.0
    if first.words and second.words:
        common = len(first.words & second.words)
        words = common / min(len(first.words), len(second.words))
    return max(formats, words)


def _distribution(first: ColumnValues, second: ColumnValues) -> float:
    a, b = first.quantiles, second.quantiles
    low, high = max(a[1], b[1]), min(a[5], b[5])
    span = max(a[5], b[5]) - min(a[1], b[1])
    ranges = max(0.0, high - low) / span if span > 0 else float(a[3] == b[3])
    medians = sorted((abs(a[3]), abs(b[3])))
    closeness = medians[0] / medians[1] if medians[1] > 0 else float(medians[0] == 0)
    return round(
        (0.5 * ranges + 0.5 * closeness) * (1.0 if first.integral == second.integral else 0.7), 4
    )
