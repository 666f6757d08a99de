"""time_stats: when a batch's events happened and, given arrival times, how late they came."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import accumulate, pairwise
from operator import itemgetter

from tools.profiling.batch_profile import TimeStats
from tools.profiling.value_encoding import ISO_TIMESTAMP, all_match, epoch_seconds


def time_stats(
    path: str,
    decoded: list[dict[str, object]],
    indices: list[int],
    arrived_at: float | Sequence[float | None] | None,
    *,
    timeline: bool = False,
) -> TimeStats:
    """Event-time bounds of `path` and delays to `arrived_at` (one time, or one per event).

    With `timeline`, every event time is parsed to also measure out-of-order lateness and
    the longest gap; otherwise uniform ISO text is bounded by sorting it as text.
    """
    values = [_lookup(e, path) for e in decoded] if "." in path else _column(decoded, path)
    single = arrived_at if isinstance(arrived_at, (int, float)) else None
    fast = not timeline and (arrived_at is None or single is not None)
    bounds = _uniform_iso_bounds(values) if fast else None
    delays: list[float] = []
    late_max = gap_max = None
    low: float | None
    high: float | None
    if bounds is not None:
        low, high, count = bounds
    else:
        times = [epoch_seconds(v) for v in values]
        parsed = [t for t in times if t is not None]
        low, high, count = min(parsed, default=None), max(parsed, default=None), len(parsed)
        if timeline and parsed:
            late_max, gap_max = _lateness(parsed), _longest_gap(parsed)
        if arrived_at is not None and single is None:
            arrivals = [arrived_at[i] for i in indices]  # type: ignore[index]
            delays = [
                a - t
                for a, t in zip(arrivals, times, strict=True)
                if t is not None and a is not None
            ]
            if timeline and isinstance(arrived_at, Stamped):
                known = [a for a in arrivals if a is not None]
                gap_max = _longest_gap(known) if known else gap_max
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
        arrived_min=(
            min((a for a in arrived_at if a is not None), default=None)
            if isinstance(arrived_at, Stamped)
            else None
        ),
        late_max=late_max,
        gap_max=gap_max,
    )


class Stamped(list[float | None]):
    """Arrival times read from the events themselves (a collector's stamp), one per event."""


def stamped_arrivals(
    path: str,
    decoded: list[dict[str, object]],
    indices: list[int],
    arrived_at: float | Sequence[float] | None,
) -> Stamped:
    """Each decoded event's arrival: its `path` field, else its record time (None if neither).

    >>> stamped_arrivals("got", [{"got": "1970-01-01T00:01:00Z"}, {}], [0, 1], [5.0, 7.0])
    [60.0, 7.0]
    """
    found = Stamped()
    for position, event in enumerate(decoded):
        stamp = epoch_seconds(_lookup(event, path))
        if stamp is None and arrived_at is not None:
            stamp = (
                float(arrived_at)
                if isinstance(arrived_at, int | float)
                else float(arrived_at[indices[position]])
            )
        found.append(stamp)
    return found


def _lateness(times: list[float]) -> float:
    """How far, at worst, an event's time lies behind the newest one that arrived before it."""
    return max(newest - t for newest, t in zip(accumulate(times, max), times, strict=True))


def _longest_gap(times: list[float]) -> float:
    ordered = sorted(times)
    return max((b - a for a, b in pairwise(ordered)), default=0.0)


def _uniform_iso_bounds(values: list[object]) -> tuple[float, float, int] | None:
    """Min, max and count of ISO timestamps that sort as text (same length and zone), else None."""
    if not values or set(map(type, values)) != {str}:
        return None
    texts: list[str] = values  # type: ignore[assignment]
    if len(set(map(len, texts))) != 1 or not texts[0]:
        return None
    if set(map(itemgetter(-1), texts)) != {"Z"} and len({t[-6:] for t in texts}) != 1:
        return None  # not one zone (all "Z", or one numeric offset): text order is not time
    if not all_match(ISO_TIMESTAMP, texts):
        return None
    low, high = epoch_seconds(min(texts)), epoch_seconds(max(texts))
    if low is None or high is None:
        return None
    return low, high, len(texts)


def _latest(arrived_at: float | Sequence[float | None] | None) -> float | None:
    if arrived_at is None or isinstance(arrived_at, (int, float)):
        return None if arrived_at is None else float(arrived_at)
    return max((a for a in arrived_at if a is not None), default=None)


def _column(decoded: list[dict[str, object]], key: str) -> list[object]:
    try:
        return list(map(itemgetter(key), decoded))
    except KeyError:
        return [e.get(key) for e in decoded]


def _lookup(event: Mapping[str, object], path: str) -> object:
    value: object = event
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value
