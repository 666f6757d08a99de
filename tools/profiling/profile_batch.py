"""profile_batch: one columnar pass over a micro-batch of raw events, into a mergeable profile.

Events are decoded with orjson one by one (a malformed event becomes a Reject, never an
exception and never a silent drop), then each field path becomes one column that is
summarised with C-level builtins (Counter, min, max, sum) rather than per-value Python code.
String encodings and shapes are classified on a bounded sample of distinct values per field
and batch (see tools.profiling.column_profile); every other count is exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import chain
from operator import itemgetter

import orjson
from pydantic import JsonValue

from tools.profiling.batch_profile import ROW_SIZE, BatchProfile, FieldProfile, Reject
from tools.profiling.column_profile import MISSING, Locator, profile_column
from tools.profiling.event_shape import shape_problem
from tools.profiling.event_times import stamped_arrivals, time_stats
from tools.profiling.value_encoding import json_type

PREVIEW_SIZE = 200
_DUMP_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z
RawEvent = bytes | bytearray | memoryview | str | Mapping[str, object]


class DecodedEvents(list[dict[str, object]]):
    """JSON objects already decoded by `decode_events`: decoding them again passes them through.

    It also memoises what was read from the batch, so checking and profiling it read each
    column once: `columns` maps a nested path (keys without dots) to its column of values
    (MISSING where an event lacks it) and `keys` a path prefix ("" or "a.") to the keys found
    under it, in order of first sight. Do not change the events once they have been read.

    >>> events = DecodedEvents([{"a": 1}])
    >>> decode_events(events)[0] is events
    True
    """

    def __init__(self, events: Iterable[dict[str, object]] = ()) -> None:
        super().__init__(events)
        self.columns: dict[str, list[object]] = {}
        self.keys: dict[str, list[str]] = {}


def batch_keys(objects: list[object], prefix: str, memo: DecodedEvents | None) -> list[str]:
    """The keys of the dicts among `objects` (values under `prefix`), in order of first sight."""
    found = memo.keys.get(prefix) if memo is not None else None
    if found is None:
        dicts = objects if set(map(type, objects)) == {dict} else filter(_is_dict, objects)
        found = list(dict.fromkeys(chain.from_iterable(dicts)))  # type: ignore[arg-type]
        if memo is not None:
            memo.keys[prefix] = found
    return found


def batch_column(
    objects: list[object], path: str, key: str, memo: DecodedEvents | None
) -> list[object]:
    """The values of `key` in the dicts among `objects` (MISSING elsewhere), memoised as `path`
    unless a key on the way holds a dot (`path` would then name a different nesting)."""
    found = memo.columns.get(path) if memo is not None else None
    if found is not None:
        return found
    if set(map(type, objects)) == {dict}:
        column = _values(objects, key)  # type: ignore[arg-type]
    else:
        column = [v.get(key, MISSING) if type(v) is dict else MISSING for v in objects]
    if memo is not None:
        memo.columns[path] = column
    return column


def _is_dict(value: object) -> bool:
    return type(value) is dict


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
    if type(events) is DecodedEvents:  # decoded once already, by whoever checked the batch
        return events, list(range(len(events))), []
    try:  # fast path: a batch of well-formed JSON objects
        fast = list(map(orjson.loads, events))  # type: ignore[arg-type]
    except (orjson.JSONDecodeError, TypeError):
        fast = []
    if fast and set(map(type, fast)) == {dict} and not any(map(shape_problem, fast)):
        return DecodedEvents(fast), list(range(len(fast))), []
    decoded = DecodedEvents()
    indices: list[int] = []
    rejects: list[Reject] = []
    for index, raw in enumerate(events):
        if isinstance(raw, Mapping):
            # A round trip makes dicts look like the wire: YAML datetimes become ISO text.
            try:
                value: object = orjson.loads(orjson.dumps(dict(raw), option=_DUMP_OPTIONS))
            except orjson.JSONEncodeError as error:
                reason = f"not JSON-serialisable: {error}"
                rejects.append(_reject(index, raw, reason, offsets, partitions))
                continue
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
        problem = shape_problem(value)
        if problem is not None:
            rejects.append(_reject(index, raw, f"event {problem}", offsets, partitions))
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
    timeline: bool = False,
    arrival_time: str | None = None,
) -> BatchProfile:
    """Profile a micro-batch of raw events (bytes or dicts), field by field.

    `offsets`/`partitions` (aligned with `events`) locate first sightings; `event_time` names
    the field holding when an event happened and `arrived_at` (epoch seconds, one for the
    batch or one per event) when it arrived, so delays can be measured. `timeline` also
    measures out-of-order lateness and the longest event-time gap (parsing every time).

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
        timeline=timeline,
        arrival_time=arrival_time,
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
    timeline: bool = False,
    arrival_time: str | None = None,
) -> BatchProfile:
    """profile_batch for events already split by `decode_events` (to decode only once).

    `arrival_time` names a field a collector stamps on receipt: where an event carries it,
    it is the event's arrival (lateness and silence are measured on it), else `arrived_at`.
    """
    where = Locator(indices, offsets, partitions)
    fields: dict[str, FieldProfile] = {}
    memo = decoded if type(decoded) is DecodedEvents else None
    for key in batch_keys(decoded, "", memo):  # type: ignore[arg-type]
        clean = memo if "." not in key else None
        _profile_tree(key, batch_column(decoded, key, key, clean), where, fields, clean)  # type: ignore[arg-type]
    time = None
    if event_time is not None and arrival_time is not None:
        stamped = stamped_arrivals(arrival_time, decoded, indices, arrived_at)
        time = time_stats(
            event_time, decoded, list(range(len(decoded))), stamped, timeline=timeline
        )
    elif event_time is not None:
        time = time_stats(event_time, decoded, indices, arrived_at, timeline=timeline)
    return BatchProfile.model_construct(
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
    path: str,
    column: list[object],
    where: Locator,
    fields: dict[str, FieldProfile],
    memo: DecodedEvents | None,
) -> None:
    fields[path] = profile_column(path, column, where)
    if "object" not in fields[path].types:
        return
    for key in batch_keys(column, f"{path}.", memo):
        child_path = f"{path}.{key}"
        clean = memo if "." not in key else None
        child = batch_column(column, child_path, key, clean)
        _profile_tree(child_path, child, where, fields, clean)


def _values(objects: list[dict[str, object]], key: str) -> list[object]:
    """The column of `key` over objects (MISSING where an object lacks it)."""
    try:
        return list(map(itemgetter(key), objects))
    except KeyError:
        return [item.get(key, MISSING) for item in objects]


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
