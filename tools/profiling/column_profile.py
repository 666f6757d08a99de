"""profile_column: one field's column of values summarised with C-level builtins.

Counts come from Counter, min, max and sum over the whole column; string encodings and
shapes are classified on at most `STRING_SAMPLE` distinct values, weighted by their counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import islice

import orjson
from pydantic import JsonValue

from tools.profiling.batch_profile import (
    EXAMPLE_SIZE,
    SAMPLE_SIZE,
    SKETCH_SIZE,
    TOP_SIZE,
    FieldProfile,
    NumericStats,
    Position,
    thin,
    top_counts,
)
from tools.profiling.value_encoding import (
    EPOCH_RANGES,
    canonical,
    json_type,
    string_encodings,
    value_hashes,
)
from tools.profiling.value_encoding import shapes as shapes_of

STRING_SAMPLE = 64


class Missing:
    """The value of a key an event does not have."""


MISSING = Missing()
_SCALARS = frozenset({int, float, str, bool})


class Locator:
    """Maps a row of a column to the event's position in its batch."""

    def __init__(
        self, indices: list[int], offsets: Sequence[int] | None, partitions: Sequence[int] | None
    ) -> None:
        self.indices, self.offsets, self.partitions = indices, offsets, partitions

    def at(self, row: int) -> Position:
        """The batch index, offset and partition of the event at `row`."""
        index = self.indices[row]
        return Position(
            index=index,
            offset=self.offsets[index] if self.offsets is not None else None,
            partition=self.partitions[index] if self.partitions is not None else None,
        )


def profile_column(path: str, column: list[object], where: Locator) -> FieldProfile:
    """The profile of one field from its column (MISSING where an event lacks the key)."""
    kinds_in_order = list(map(type, column))
    kinds = _kind_counts(kinds_in_order)
    missing = kinds.pop(Missing, 0)
    nulls = kinds.get(type(None), 0)
    first = {"present": where.at(_first_present(kinds_in_order, missing))}
    for kind in kinds:
        row = kinds_in_order.index(kind)
        name = json_type(column[row])
        if name != "null":
            first.setdefault(name, where.at(row))
    scalars = kinds.keys() & _SCALARS
    valued = (
        column
        if not missing and kinds.keys() <= _SCALARS
        else [v for v in column if type(v) in scalars]
    )
    numbers = _numbers(valued, scalars)
    types = _types(kinds, column, kinds_in_order, numbers)
    numeric, encodings = _numeric(numbers)
    counts = _value_counts(valued, bool in kinds and bool(numbers))
    shapes: dict[str, int] = {}
    _strings(counts, kinds.get(str, 0), str in scalars and len(scalars) == 1, encodings, shapes)
    distinct = _canonical_counts(counts, set(scalars))
    top_overflow = len(distinct) > TOP_SIZE
    top = top_counts(distinct, TOP_SIZE) if top_overflow else distinct
    arrays = [v for v in column if type(v) is list] if list in kinds else []
    examples: list[JsonValue] = [*islice(counts, EXAMPLE_SIZE), *arrays[:EXAMPLE_SIZE]]  # type: ignore[list-item]
    hashes = value_hashes([*distinct, *map(canonical, arrays)])
    return FieldProfile.model_construct(
        path=path,
        present=len(column) - missing,
        nulls=nulls,
        types=types,
        encodings=encodings,
        numeric=numeric,
        top=top,
        top_overflow=top_overflow,
        sketch=_smallest(hashes),
        shapes=shapes,
        examples=examples[:EXAMPLE_SIZE],
        duplicates=len(valued) - len(counts),
        first=first,
    )


def _smallest(hashes: set[int]) -> list[int]:
    """The SKETCH_SIZE smallest hashes, sorted; pre-filtered so big sets sort cheaply."""
    if len(hashes) > 2 * SKETCH_SIZE:
        cut = 2 * SKETCH_SIZE * 2**32 // len(hashes)
        candidates = [h for h in hashes if h < cut]
        if len(candidates) >= SKETCH_SIZE:
            return sorted(candidates)[:SKETCH_SIZE]
    return sorted(hashes)[:SKETCH_SIZE]


def _kind_counts(kinds_in_order: list[type]) -> Counter[type]:
    kinds = set(kinds_in_order)
    if len(kinds) == 1:  # one type: no need to count
        return Counter({kinds.pop(): len(kinds_in_order)})
    return Counter(kinds_in_order)


def _int_texts(numbers: list[int]) -> list[str]:
    """str() of each int, written by orjson in one call (same digits) when they fit 64 bits."""
    try:
        return orjson.dumps(numbers)[1:-1].decode().split(",") if numbers else []
    except orjson.JSONEncodeError:
        return list(map(str, numbers))


def _first_present(kinds_in_order: list[type], missing: int) -> int:
    if not missing:
        return 0
    return next(i for i, k in enumerate(kinds_in_order) if k is not Missing)


def _numbers(valued: list[object], scalars: set[type]) -> list[float]:
    if not scalars & {int, float}:
        return []
    if scalars <= {int, float}:
        return valued  # type: ignore[return-value]
    return [v for v in valued if type(v) is int or type(v) is float]


def _types(
    kinds: Counter[type], column: list[object], kinds_in_order: list[type], numbers: list[float]
) -> dict[str, int]:
    types: dict[str, int] = {}
    for kind, count in kinds.items():
        if kind is float:
            integral = sum(map(float.is_integer, [v for v in numbers if type(v) is float]))
            _bump(types, "integer", integral)
            _bump(types, "number", count - integral)
            continue
        name = json_type(column[kinds_in_order.index(kind)])
        if name != "null":
            _bump(types, name, count)
    return types


def _canonical_counts(counts: Counter[object], kinds: set[type]) -> dict[str, int]:
    if kinds <= {str}:
        return counts  # type: ignore[return-value]
    if kinds <= {int}:
        return dict(zip(_int_texts(list(counts)), counts.values(), strict=True))  # type: ignore[arg-type]
    distinct: dict[str, int] = {}
    for value, count in counts.items():
        text = canonical(value)
        distinct[text] = distinct.get(text, 0) + count
    return distinct


def _value_counts(valued: list[object], mixed_bool: bool) -> Counter[object]:
    if not mixed_bool:
        return Counter(valued)
    # True == 1 in Python: keep booleans apart from numbers by counting their text instead.
    return Counter("true" if v is True else "false" if v is False else v for v in valued)


def _numeric(numbers: list[float]) -> tuple[NumericStats | None, dict[str, int]]:
    if not numbers:
        return None, {}
    low, high = min(numbers), max(numbers)
    stats = NumericStats(
        count=len(numbers), min=low, max=high, total=sum(numbers), sample=thin(numbers, SAMPLE_SIZE)
    )
    encodings: dict[str, int] = {}
    for name, start, end in EPOCH_RANGES:
        if high >= start and low < end:
            _bump(encodings, name, sum(1 for v in numbers if start <= v < end))
    return stats, encodings


def _strings(
    counts: Counter[object],
    strings: int,
    only_strings: bool,
    encodings: dict[str, int],
    shapes: dict[str, int],
) -> None:
    if not strings:
        return
    texts = counts if only_strings else [v for v in counts if type(v) is str]
    sampled = list(islice(texts, STRING_SAMPLE))
    # Scale sampled counts up so encodings and shapes add up to every string of the batch.
    scale = strings / max(1, sum(counts[t] for t in sampled))
    texts_sampled: list[str] = sampled  # type: ignore[assignment]
    for text, encoding, pattern in zip(
        sampled, string_encodings(texts_sampled), shapes_of(texts_sampled), strict=True
    ):
        count = round(counts[text] * scale)
        _bump(encodings, encoding, count)
        _bump(shapes, pattern, count)


def _bump(counts: dict[str, int], key: str, count: int) -> None:
    if count:
        counts[key] = counts.get(key, 0) + count
