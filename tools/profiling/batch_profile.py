"""BatchProfile: what a micro-batch of events looked like, field by field; profiles merge.

Merging builds results without revalidating them (model_construct): both sides are valid already.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from itertools import islice
from operator import itemgetter
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, JsonValue

SKETCH_SIZE = 256  # value hashes kept per field (k minimum values)
TOP_SIZE = 64  # distinct values counted per field before the counter overflows
SAMPLE_SIZE = 512  # numeric values kept per field for quantiles
ROW_SIZE = 32  # flattened example rows kept per profile
EXAMPLE_SIZE = 5  # raw example values kept per field
REJECT_SIZE = 100  # rejects kept once profiles merge (the count stays exact)

T = TypeVar("T")


class Position(BaseModel):
    """Where something was first seen: the event's index in its batch, offset and partition."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    index: int = 0
    offset: int | None = None
    partition: int | None = None


class NumericStats(BaseModel):
    """Count, min, max, sum and an evenly thinned sample of a field's numeric values."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    count: int = 0
    min: float = 0.0
    max: float = 0.0
    total: float = 0.0
    sample: list[float] = Field(default_factory=list)

    @property
    def mean(self) -> float:
        """The mean of every numeric value seen."""
        return self.total / self.count if self.count else 0.0

    def merge(self, other: NumericStats) -> NumericStats:
        """Stats over both sets of values."""
        if not self.count or not other.count:
            return self if self.count else other
        return NumericStats.model_construct(
            count=self.count + other.count,
            min=min(self.min, other.min),
            max=max(self.max, other.max),
            total=self.total + other.total,
            sample=merge_samples(self.sample, self.count, other.sample, other.count, SAMPLE_SIZE),
        )


class FieldProfile(BaseModel):
    """Counts, types, encodings, value sketch and examples of one field path (a.b for nesting)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    present: int = Field(default=0, description="Events in which the key exists (null included).")
    nulls: int = Field(default=0, description="Events in which the key exists with value null.")
    types: dict[str, int] = Field(default_factory=dict, description="JSON type -> count.")
    encodings: dict[str, int] = Field(default_factory=dict, description="epoch_*, iso_*, ...")
    numeric: NumericStats | None = None
    top: dict[str, int] = Field(default_factory=dict, description="Canonical value -> count.")
    top_overflow: bool = False
    sketch: list[int] = Field(default_factory=list, description="Smallest value hashes, sorted.")
    shapes: dict[str, int] = Field(default_factory=dict, description="String pattern -> count.")
    examples: list[JsonValue] = Field(default_factory=list)
    duplicates: int = Field(default=0, description="Repeated values within single batches.")
    first: dict[str, Position] = Field(
        default_factory=dict, description="'present' and each JSON type -> first position."
    )

    @property
    def valued(self) -> int:
        """Events carrying a non-null value."""
        return self.present - self.nulls

    def distinct_estimate(self) -> float:
        """Distinct values, exact below the sketch size and estimated (KMV) above it."""
        if len(self.sketch) < SKETCH_SIZE:
            return float(len(self.sketch))
        return (SKETCH_SIZE - 1) / ((self.sketch[-1] + 1) / 2**32)

    def dominant_type(self) -> str | None:
        """The most frequent JSON type of non-null values, or None."""
        return max(self.types, key=self.types.__getitem__) if self.types else None

    def merge(self, other: FieldProfile) -> FieldProfile:
        """The profile of the same field over both batches."""
        top = _add_counts(self.top, other.top)
        overflow = self.top_overflow or other.top_overflow or len(top) > TOP_SIZE
        if len(top) > TOP_SIZE:
            top = top_counts(top, TOP_SIZE)
        numeric = other.numeric if self.numeric is None else self.numeric
        if self.numeric is not None and other.numeric is not None:
            numeric = self.numeric.merge(other.numeric)
        return FieldProfile.model_construct(
            path=self.path,
            present=self.present + other.present,
            nulls=self.nulls + other.nulls,
            types=_add_counts(self.types, other.types),
            encodings=_add_counts(self.encodings, other.encodings),
            numeric=numeric,
            top=top,
            top_overflow=overflow,
            # Two sorted runs: the sort merges them in one pass; dict.fromkeys drops repeats.
            sketch=list(dict.fromkeys(sorted([*self.sketch, *other.sketch])))[:SKETCH_SIZE],
            shapes=_add_counts(self.shapes, other.shapes),
            examples=_first_distinct([*self.examples, *other.examples], EXAMPLE_SIZE),
            duplicates=self.duplicates + other.duplicates,
            first={**other.first, **self.first},
        )


class Reject(BaseModel):
    """An event that could not be profiled, with the reason: nothing is dropped silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    index: int
    offset: int | None = None
    partition: int | None = None
    reason: str
    preview: str = Field(default="", description="The first bytes of the payload, as text.")


class TimeStats(BaseModel):
    """Event times (epoch seconds) of a batch and, when arrival times are known, the delays."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str
    count: int = 0
    unparsed: int = 0
    event_min: float | None = None
    event_max: float | None = None
    delay_count: int = 0
    delay_max: float | None = None
    arrived_max: float | None = None
    arrived_min: float | None = Field(
        default=None, description="Earliest arrival stamped on an event (contract arrival_time)."
    )
    late_max: float | None = Field(
        default=None, description="Worst event-time lag behind the newest event before it."
    )
    gap_max: float | None = Field(default=None, description="Longest event-time gap in the batch.")

    def merge(self, other: TimeStats) -> TimeStats:
        """Time stats over both batches."""
        return TimeStats.model_construct(
            field=self.field,
            count=self.count + other.count,
            unparsed=self.unparsed + other.unparsed,
            event_min=_opt(min, self.event_min, other.event_min),
            event_max=_opt(max, self.event_max, other.event_max),
            delay_count=self.delay_count + other.delay_count,
            delay_max=_opt(max, self.delay_max, other.delay_max),
            arrived_max=_opt(max, self.arrived_max, other.arrived_max),
            arrived_min=_opt(min, self.arrived_min, other.arrived_min),
            late_max=_opt(max, self.late_max, other.late_max),
            gap_max=_opt(max, self.gap_max, other.gap_max),
        )


class BatchProfile(BaseModel):
    """The profile of one or more micro-batches: per-field facts, rejects, example rows, times."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    total: int = Field(default=0, description="Events decoded into JSON objects.")
    rejected: int = Field(default=0, description="Events that were not JSON objects.")
    rejects: list[Reject] = Field(default_factory=list)
    fields: dict[str, FieldProfile] = Field(default_factory=dict)
    rows: list[dict[str, JsonValue]] = Field(
        default_factory=list, description="Flattened example events (dotted keys), in order."
    )
    time: TimeStats | None = None

    def field(self, path: str) -> FieldProfile | None:
        """The profile of `path`, or None when no event carried it."""
        return self.fields.get(path)

    def share(self, path: str) -> float:
        """The share of events carrying a non-null value for `path`."""
        found = self.fields.get(path)
        return found.valued / self.total if found is not None and self.total else 0.0

    def merge(self, other: BatchProfile) -> BatchProfile:
        """The profile of both batches together (a baseline is merged conforming batches)."""
        fields = dict(self.fields)
        for path, profile in other.fields.items():
            fields[path] = fields[path].merge(profile) if path in fields else profile
        time = other.time if self.time is None else self.time
        if self.time is not None and other.time is not None:
            time = self.time.merge(other.time)
        return BatchProfile.model_construct(
            total=self.total + other.total,
            rejected=self.rejected + other.rejected,
            rejects=[*self.rejects, *other.rejects][:REJECT_SIZE],
            fields=fields,
            rows=merge_samples(self.rows, self.total, other.rows, other.total, ROW_SIZE),
            time=time,
        )


def top_counts(counts: dict[str, int], size: int) -> dict[str, int]:
    """The `size` largest counts, ties kept in order of first sight (as a stable sort keeps them).

    >>> top_counts({"a": 1, "b": 3, "c": 1, "d": 2}, 3)
    {'b': 3, 'd': 2, 'a': 1}
    """
    if len(counts) <= size:
        return dict(sorted(counts.items(), key=itemgetter(1), reverse=True))
    if max(counts.values()) == 1:  # all counted once: the first `size` of them
        return dict(islice(counts.items(), size))
    # Only values counted at least `floor` times can rank: sort just those.
    levels = Counter(counts.values())
    kept = floor = 0
    for floor in sorted(levels, reverse=True):
        kept += levels[floor]
        if kept >= size:
            break
    items = [item for item in counts.items() if item[1] >= floor]
    return dict(sorted(items, key=itemgetter(1), reverse=True)[:size])


def merge_samples(
    first: Sequence[T], weight: int, second: Sequence[T], other: int, cap: int
) -> list[T]:
    """Two samples combined in proportion to the counts they stand for, thinned evenly to `cap`.

    >>> merge_samples([1, 2, 3, 4], 4, [9, 9], 2, 3)
    [1, 3, 9]
    """
    if len(first) + len(second) <= cap:
        return [*first, *second]
    take = round(cap * weight / (weight + other)) if weight + other else cap // 2
    take = max(min(take, len(first), cap), cap - len(second))
    return [*thin(first, take), *thin(second, cap - take)]


def thin(items: Sequence[T], size: int) -> list[T]:
    """At most `size` items picked evenly from `items`, in order."""
    if size >= len(items):
        return list(items)
    if size <= 1:
        return list(items[:size])
    return list(_picker(len(items), size)(items))


@lru_cache(maxsize=64)
def _picker(length: int, size: int) -> Callable[[Sequence[T]], tuple[T, ...]]:
    """An itemgetter of `size` evenly spaced positions out of `length` (batches repeat sizes)."""
    step = length / size
    return itemgetter(*(int(i * step) for i in range(size)))


def _add_counts(first: dict[str, int], second: dict[str, int]) -> dict[str, int]:
    total = dict(first)
    for key, count in second.items():
        total[key] = total.get(key, 0) + count
    return total


def _first_distinct(values: list[JsonValue], size: int) -> list[JsonValue]:
    kept: list[JsonValue] = []
    for value in values:
        if value not in kept:
            kept.append(value)
        if len(kept) == size:
            break
    return kept


def _opt(
    pick: Callable[[float, float], float], first: float | None, second: float | None
) -> float | None:
    if first is None or second is None:
        return second if first is None else first
    return pick(first, second)
