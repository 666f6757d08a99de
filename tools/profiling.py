"""profile_batch: one columnar pass over a micro-batch of raw events, into a mergeable profile.

Events are decoded with orjson one by one (a malformed event becomes a Reject, never an
exception and never a silent drop), then each field path becomes one column that is
summarised with C-level builtins (Counter, min, max, sum) rather than per-value Python code.
String encodings and shapes are classified on at most `STRING_SAMPLE` distinct values per
field and batch, weighted by their counts; every other count is exact.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import chain, islice
from operator import itemgetter

import orjson
from pydantic import JsonValue

from tools.batch_profile import (
    EXAMPLE_SIZE,
    ROW_SIZE,
    SAMPLE_SIZE,
    SKETCH_SIZE,
    TOP_SIZE,
    BatchProfile,
    FieldProfile,
    NumericStats,
    Position,
    Reject,
    TimeStats,
    thin,
)
from tools.value_encoding import (
    EPOCH_RANGES,
    ISO_TIMESTAMP,
    canonical,
    epoch_seconds,
    json_type,
    shape,
    string_encoding,
    value_hashes,
)

STRING_SAMPLE = 64
PREVIEW_SIZE = 200
RawEvent = bytes | bytearray | memoryview | str | Mapping[str, object]


class _Missing:
    """The value of a key an event does not have."""


_MISSING = _Missing()
_SCALARS = frozenset({int, float, str, bool})


class _Where:
    """Maps a column position to the event's position in the batch."""

    def __init__(
        self, indices: list[int], offsets: Sequence[int] | None, partitions: Sequence[int] | None
    ) -> None:
        self.indices, self.offsets, self.partitions = indices, offsets, partitions

    def at(self, row: int) -> Position:
        index = self.indices[row]
        return Position(
            index=index,
            offset=self.offsets[index] if self.offsets is not None else None,
            partition=self.partitions[index] if self.partitions is not None else None,
        )


def decode_events(
    events: Sequence[RawEvent],
    *,
    offsets: Sequence[int] | None = None,
    partitions: Sequence[int] | None = None,
) -> tuple[list[dict[str, object]], list[int], list[Reject]]:
    """JSON objects decoded from raw events, their indices in the batch, and the rejects.

    >>> decoded, indices, rejects = decode_events([b'{"a": 1}', b'{"a":', b'[1]'])
    >>> decoded, indices, [r.reason for r in rejects]
    ([{'a': 1}], [0], ['malformed JSON: unexpected end of data', 'not a JSON object: array'])
    """
    try:  # fast path: a batch of well-formed JSON objects
        fast = list(map(orjson.loads, events))  # type: ignore[arg-type]
    except (orjson.JSONDecodeError, TypeError):
        fast = []
    if fast and set(map(type, fast)) == {dict}:
        return fast, list(range(len(fast))), []
    decoded: list[dict[str, object]] = []
    indices: list[int] = []
    rejects: list[Reject] = []
    for index, raw in enumerate(events):
        if isinstance(raw, Mapping):
            value: object = raw if type(raw) is dict else dict(raw)
        else:
            try:
                value = orjson.loads(raw)
            except orjson.JSONDecodeError as error:
                reason = f"malformed JSON: {error.msg}"
                rejects.append(_reject(index, raw, reason, offsets, partitions))
                continue
        if type(value) is not dict:
            reason = f"not a JSON object: {json_type(value)}"
            rejects.append(_reject(index, raw, reason, offsets, partitions))
            continue
        decoded.append(value)
        indices.append(index)
    return decoded, indices, rejects


def profile_batch(
    events: Sequence[RawEvent],
    *,
    offsets: Sequence[int] | None = None,
    partitions: Sequence[int] | None = None,
    event_time: str | None = None,
    arrived_at: float | Sequence[float] | None = None,
) -> BatchProfile:
    """Profile a micro-batch of raw events (bytes or dicts), field by field.

    `offsets`/`partitions` (aligned with `events`) locate first sightings; `event_time` names
    the field holding when an event happened and `arrived_at` (epoch seconds, one for the
    batch or one per event) when it arrived, so delays can be measured.

    >>> p = profile_batch([b'{"id": 1, "a": {"b": "x"}}', b'{"id": "2"}', b'oops'])
    >>> p.total, p.rejected, p.fields["id"].types, p.fields["a.b"].present
    (2, 1, {'integer': 1, 'string': 1}, 1)
    """
    decoded, indices, rejects = decode_events(events, offsets=offsets, partitions=partitions)
    return profile_decoded(
        decoded,
        indices,
        rejects,
        offsets=offsets,
        partitions=partitions,
        event_time=event_time,
        arrived_at=arrived_at,
    )


def profile_decoded(
    decoded: list[dict[str, object]],
    indices: list[int],
    rejects: list[Reject],
    *,
    offsets: Sequence[int] | None = None,
    partitions: Sequence[int] | None = None,
    event_time: str | None = None,
    arrived_at: float | Sequence[float] | None = None,
) -> BatchProfile:
    """profile_batch for events already split by `decode_events` (to decode only once)."""
    where = _Where(indices, offsets, partitions)
    fields: dict[str, FieldProfile] = {}
    keys = dict.fromkeys(chain.from_iterable(decoded))
    for key in keys:
        try:
            column: list[object] = list(map(itemgetter(key), decoded))
        except KeyError:
            column = [event.get(key, _MISSING) for event in decoded]
        _profile_tree(key, column, where, fields)
    time = None
    if event_time is not None:
        time = _time_stats(event_time, decoded, indices, arrived_at)
    return BatchProfile(
        total=len(decoded),
        rejected=len(rejects),
        rejects=rejects,
        fields=fields,
        rows=[flatten(event) for event in decoded[:ROW_SIZE]],
        time=time,
    )


def flatten(event: Mapping[str, object], prefix: str = "") -> dict[str, JsonValue]:
    """An event with nested objects spelled as dotted keys (objects themselves are left out).

    >>> flatten({"a": 1, "b": {"c": 2, "d": {"e": None}}})
    {'a': 1, 'b.c': 2, 'b.d.e': None}
    """
    flat: dict[str, JsonValue] = {}
    for key, value in event.items():
        if type(value) is dict:
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[prefix + key] = value  # type: ignore[assignment]
    return flat


def _profile_tree(
    path: str, column: list[object], where: _Where, fields: dict[str, FieldProfile]
) -> None:
    fields[path] = _profile_column(path, column, where)
    if "object" not in fields[path].types:
        return
    children = dict.fromkeys(chain.from_iterable(v for v in column if type(v) is dict))
    for key in children:
        child = [v.get(key, _MISSING) if type(v) is dict else _MISSING for v in column]
        _profile_tree(f"{path}.{key}", child, where, fields)


def _profile_column(path: str, column: list[object], where: _Where) -> FieldProfile:
    kinds_in_order = list(map(type, column))
    kinds = Counter(kinds_in_order)
    missing = kinds.pop(_Missing, 0)
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
    top = _top(distinct) if top_overflow else distinct
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


def _top(distinct: dict[str, int]) -> dict[str, int]:
    if max(distinct.values()) == 1:  # all values unique: any TOP_SIZE of them will do
        return dict(islice(distinct.items(), TOP_SIZE))
    return dict(sorted(distinct.items(), key=itemgetter(1), reverse=True)[:TOP_SIZE])


def _smallest(hashes: set[int]) -> list[int]:
    """The SKETCH_SIZE smallest hashes, sorted; pre-filtered so big sets sort cheaply."""
    if len(hashes) > 2 * SKETCH_SIZE:
        cut = 2 * SKETCH_SIZE * 2**32 // len(hashes)
        candidates = [h for h in hashes if h < cut]
        if len(candidates) >= SKETCH_SIZE:
            return sorted(candidates)[:SKETCH_SIZE]
    return sorted(hashes)[:SKETCH_SIZE]


def _first_present(kinds_in_order: list[type], missing: int) -> int:
    if not missing:
        return 0
    return next(i for i, k in enumerate(kinds_in_order) if k is not _Missing)


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
        return dict(zip(map(str, counts), counts.values(), strict=True))
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
    for text in sampled:
        count = round(counts[text] * scale)
        _bump(encodings, string_encoding(text), count)  # type: ignore[arg-type]
        _bump(shapes, shape(text), count)  # type: ignore[arg-type]


def _time_stats(
    path: str,
    decoded: list[dict[str, object]],
    indices: list[int],
    arrived_at: float | Sequence[float] | None,
) -> TimeStats:
    values = [_lookup(e, path) for e in decoded] if "." in path else [e.get(path) for e in decoded]
    single = arrived_at if isinstance(arrived_at, (int, float)) else None
    bounds = _uniform_iso_bounds(values) if arrived_at is None or single is not None else None
    delays: list[float] = []
    low: float | None
    high: float | None
    if bounds is not None:
        low, high, count = bounds
    else:
        times = [epoch_seconds(v) for v in values]
        parsed = [t for t in times if t is not None]
        low, high, count = min(parsed, default=None), max(parsed, default=None), len(parsed)
        if arrived_at is not None and single is None:
            arrivals = [arrived_at[i] for i in indices]  # type: ignore[index]
            delays = [a - t for a, t in zip(arrivals, times, strict=True) if t is not None]
    if single is not None and low is not None:
        delays = [single - low]  # the oldest event has the longest delay
    return TimeStats(
        field=path,
        count=count,
        unparsed=len(values) - count,
        event_min=low,
        event_max=high,
        delay_count=count if single is not None else len(delays),
        delay_max=max(delays, default=None),
        arrived_max=_latest(arrived_at),
    )


def _uniform_iso_bounds(values: list[object]) -> tuple[float, float, int] | None:
    """Min, max and count of ISO timestamps that sort as text (same length and zone), else None."""
    if not values or set(map(type, values)) != {str}:
        return None
    texts: list[str] = values  # type: ignore[assignment]
    if len(set(map(len, texts))) != 1 or len({t[-6:] if t[-1] != "Z" else "Z" for t in texts}) != 1:
        return None
    if not all(map(ISO_TIMESTAMP.match, texts)):
        return None
    low, high = epoch_seconds(min(texts)), epoch_seconds(max(texts))
    if low is None or high is None:
        return None
    return low, high, len(texts)


def _latest(arrived_at: float | Sequence[float] | None) -> float | None:
    if arrived_at is None or isinstance(arrived_at, (int, float)):
        return None if arrived_at is None else float(arrived_at)
    return max(arrived_at, default=None)


def _lookup(event: Mapping[str, object], path: str) -> object:
    value: object = event
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _bump(counts: dict[str, int], key: str, count: int) -> None:
    if count:
        counts[key] = counts.get(key, 0) + count


def _reject(
    index: int,
    raw: RawEvent,
    reason: str,
    offsets: Sequence[int] | None,
    partitions: Sequence[int] | None,
) -> Reject:
    if isinstance(raw, Mapping):
        preview = repr(dict(raw))
    else:
        preview = bytes(raw).decode("utf-8", "replace") if not isinstance(raw, str) else raw
    return Reject(
        index=index,
        offset=offsets[index] if offsets is not None else None,
        partition=partitions[index] if partitions is not None else None,
        reason=reason,
        preview=preview[:PREVIEW_SIZE],
    )
