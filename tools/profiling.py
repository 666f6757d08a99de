"""profile_batch: one columnar pass over a micro-batch of raw events, into a mergeable profile.

Events are decoded with orjson one by one (a malformed event becomes a Reject, never an
exception and never a silent drop), then each field path becomes one column that is
summarised with C-level builtins (Counter, min, max, sum) rather than per-value Python code.
String encodings and shapes are classified on a bounded sample of distinct values per field
and batch (see tools.column_profile); every other count is exact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import chain
from operator import itemgetter

import orjson
from pydantic import JsonValue

from tools.batch_profile import ROW_SIZE, BatchProfile, FieldProfile, Reject
from tools.column_profile import MISSING, Locator, profile_column
from tools.event_times import time_stats
from tools.value_encoding import json_type

PREVIEW_SIZE = 200
_DUMP_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z
RawEvent = bytes | bytearray | memoryview | str | Mapping[str, object]


class DecodedEvents(list[dict[str, object]]):
    """JSON objects already decoded by `decode_events`: decoding them again passes them through.

    >>> events = DecodedEvents([{"a": 1}])
    >>> decode_events(events)[0][0] is events[0]
    True
    """


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
        return list(events), list(range(len(events))), []
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
) -> BatchProfile:
    """profile_batch for events already split by `decode_events` (to decode only once)."""
    where = Locator(indices, offsets, partitions)
    fields: dict[str, FieldProfile] = {}
    keys = dict.fromkeys(chain.from_iterable(decoded))
    for key in keys:
        _profile_tree(key, _values(decoded, key), where, fields)
    time = None
    if event_time is not None:
        time = time_stats(event_time, decoded, indices, arrived_at, timeline=timeline)
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
    path: str, column: list[object], where: Locator, fields: dict[str, FieldProfile]
) -> None:
    fields[path] = profile_column(path, column, where)
    if "object" not in fields[path].types:
        return
    if set(map(type, column)) == {dict}:  # every event has the object: read it as a batch
        objects: list[dict[str, object]] = column  # type: ignore[assignment]
        for key in dict.fromkeys(chain.from_iterable(objects)):
            _profile_tree(f"{path}.{key}", _values(objects, key), where, fields)
        return
    children = dict.fromkeys(chain.from_iterable(v for v in column if type(v) is dict))
    for key in children:
        child = [v.get(key, MISSING) if type(v) is dict else MISSING for v in column]
        _profile_tree(f"{path}.{key}", child, where, fields)


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
