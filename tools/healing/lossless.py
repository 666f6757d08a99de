"""Is a computed value the source value in another representation, with nothing lost?

Numbers: the computed values must follow the source values along one straight line
`a * x + b` (a unit, an offset, a scale), off by no more than the old representation's own
rounding: a `floor` where `round` was needed, a dropped sign or a truncated fraction shows as
rows off that line. Times: the computed instant must be the source instant, to the source's
own precision, with a zone only where the source had one.
"""

from __future__ import annotations

import itertools
import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import JsonValue

from tools.matching.samples import epoch_units, kind

MAX_PAIRS = 200
"""Rows used to estimate the line (Theil-Sen over their pairs): enough, and quadratic."""
RELATIVE_EXACTNESS = 1e-9
"""Float noise allowed where the old representation keeps fractions."""
_ZONE = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_HOUR_OFFSET = re.compile(r"(:\d{2}(?:\.\d+)?[+-]\d{2})$")


def number(value: JsonValue) -> float | None:
    """`value` as a float when it is a number or numeric text, else None.

    >>> number(3), number("12.50"), number("1,299.00"), number(True), number("x")
    (3.0, 12.5, 1299.0, None, None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", text):
            text = text.replace(",", "")
        try:
            result = float(text)
        except ValueError:
            return None
        return result if math.isfinite(result) else None
    return None


def _line(pairs: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """A robust straight line through `pairs` (median of pairwise slopes), None if x is constant."""
    rows = list(pairs[:MAX_PAIRS])
    slopes = [
        (y2 - y1) / (x2 - x1) for (x1, y1), (x2, y2) in itertools.combinations(rows, 2) if x1 != x2
    ]
    if not slopes:
        return None
    slope = statistics.median(slopes)
    return slope, statistics.median(y - slope * x for x, y in rows)


def _resolution(old: Sequence[JsonValue]) -> float:
    """How coarse the old representation is: 1 for whole numbers, else none at all (0)."""
    numbers = [n for n in map(number, old) if n is not None]
    whole = bool(numbers) and all(n == int(n) for n in numbers)
    return 1.0 if whole and all(kind(v) in ("int", "numeric") for v in old) else 0.0


def numeric_loss(
    sources: Sequence[JsonValue], computed: Sequence[JsonValue], old: Sequence[JsonValue]
) -> str | None:
    """Why the `computed` numbers lose something of the `sources` (row by row), or None.

    `old` are the old field's values, whose representation sets the rounding allowed.

    >>> dollars = [12.99, 0.29, 5.0, 100.57]
    >>> numeric_loss(dollars, [1299, 29, 500, 10057], [450, 1200])
    >>> numeric_loss(dollars, [math.floor(d * 100) for d in dollars], [450, 1200]) is not None
    True
    """
    pairs = [
        (x, y)
        for s, c in zip(sources, computed, strict=True)
        if (x := number(s)) is not None and (y := number(c)) is not None
    ]
    if len({x for x, _ in pairs}) < 2:
        return None  # one value says nothing about a line
    line = _line(pairs)
    if line is None:
        return None
    slope, offset = line
    if slope == 0:
        return "is the same number whatever the source value: the values are lost"
    scale = max(abs(y) for _, y in pairs) or 1.0
    allowed = 0.5 * _resolution(old) + RELATIVE_EXACTNESS * scale
    off = [(x, y) for x, y in pairs if abs(y - (slope * x + offset)) > allowed]
    if not off:
        return None
    x, y = off[0]
    return (
        f"loses value on {len(off)} of {len(pairs)} rows (source {x:g} gives {y:g}, not "
        f"{slope * x + offset:g}); it must round to the old representation, never floor, "
        "truncate or drop a sign"
    )


@dataclass(frozen=True)
class Instant:
    """A point in time read from a value: naive (no zone) or aware, and its written precision."""

    moment: datetime
    aware: bool
    digits: int  # fractional-second digits the value was written with (epochs: their unit's)


def instant(value: JsonValue, units: float | None = None) -> Instant | None:
    """The instant an ISO text or an epoch number (in `units` per second) stands for.

    >>> instant("2026-01-01T10:00:00.250+02:00").moment.isoformat()
    '2026-01-01T08:00:00.250000+00:00'
    >>> instant("2026-01-01 10:00:00").aware, instant(1767261600500, 1e3).digits
    (False, 3)
    >>> instant("2026-01-01 10:00:00.5+02").moment.isoformat()
    '2026-01-01T08:00:00.500000+00:00'
    >>> instant(1767261600.25).digits
    2
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        per_second = units or epoch_units([value]) or 1.0
        micros = value * 1_000_000 // per_second if isinstance(value, int) else None
        delta = (
            timedelta(microseconds=int(micros))
            if micros is not None
            else timedelta(seconds=value / per_second)
        )
        moment = datetime(1970, 1, 1, tzinfo=UTC) + delta
        digits = round(math.log10(per_second)) + _float_decimals(value)
        return Instant(moment, True, min(digits, 9))
    if not isinstance(value, str):
        return None
    text = _HOUR_OFFSET.sub(r"\1:00", value.strip())  # "+00", as databases write it: "+00:00"
    if kind(text) != "iso":
        return None
    text = text.replace(" ", "T", 1)
    fraction = re.search(r"\.(\d+)", text)
    digits = len(fraction.group(1)) if fraction else 0
    if fraction and digits > 6:
        text = text.replace(fraction.group(0), "." + fraction.group(1)[:6])
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    aware = moment.tzinfo is not None
    return Instant(moment.astimezone(UTC) if aware else moment, aware, digits)


def _float_decimals(value: float) -> int:
    """Decimals a float epoch is written with (1786983153.25: 2); none for integers."""
    if isinstance(value, int) or not math.isfinite(value) or value.is_integer():
        return 0
    text = repr(value)
    return 9 if "e" in text.lower() else len(text.partition(".")[2])


_UNITS = {1.0: "seconds", 1e3: "milliseconds", 1e6: "microseconds", 1e9: "nanoseconds"}


def _wrong_unit(source: JsonValue, units: float | None, now: Instant) -> str | None:
    """The epoch unit `now` read `source` in, when it is not the source's own unit."""
    if not isinstance(source, int | float) or isinstance(source, bool):
        return None
    own = units or epoch_units([source]) or 1.0
    for other, name in _UNITS.items():
        if other == own:
            continue
        try:
            moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=source / other)
        except OverflowError:
            continue
        if abs((now.moment - moment).total_seconds()) < 1:
            return f"reads {source} in the wrong unit: {name}, where it is {_UNITS.get(own, own)}"
    return None


def _wall(value: JsonValue) -> datetime | None:
    """The local wall time an ISO text shows, zone ignored."""
    if not isinstance(value, str):
        return None
    found = instant(_ZONE.sub("", value.strip()))
    return found.moment if found is not None else None


def time_loss(
    sources: Sequence[JsonValue], computed: Sequence[JsonValue], old: Sequence[JsonValue]
) -> str | None:
    """Why the `computed` times are not the `sources` instants (zone, fraction, shift), or None.

    >>> time_loss(["2026-01-01T10:00:00"], ["2026-01-01T10:00:00Z"], ["2026-01-01T09:00:00Z"])
    'invents a zone: the source 2026-01-01T10:00:00 is a local time without one'
    >>> time_loss(["2026-01-01T10:00:00.250Z"], ["2026-01-01T10:00:00Z"], [])
    'drops the fraction of a second of 2026-01-01T10:00:00.250Z'
    >>> time_loss(["2026-01-01T10:00:00"], ["2026-01-01T10:00:00"], ["2026-01-01T09:00:00Z"])[:37]
    'reads the local time 2026-01-01T10:00'
    >>> time_loss(["2026-08-20T00:10:00"], ["00:10:00"], ["09:30:00", "17:45:00"]) is None
    True
    """
    source_units = epoch_units([s for s in sources if isinstance(s, int | float)])
    computed_units = epoch_units([c for c in computed if isinstance(c, int | float)])
    old_naive = any(isinstance(v, str) and instant(v) is not None for v in old) and not any(
        (i := instant(v)) is not None and i.aware for v in old if isinstance(v, str)
    )
    old_aware = any((i := instant(v)) is not None and i.aware for v in old if isinstance(v, str))
    dates = bool(old) and all(isinstance(v, str) and _DATE.fullmatch(v.strip()) for v in old)
    texts = [v for v in old if v is not None]
    if texts and not dates and all(isinstance(v, str) and instant(v) is None for v in texts):
        return None  # the old field held no instants (a time of day, a label): not a time's copy
    for source, value in zip(sources, computed, strict=True):
        was, now = instant(source, source_units), instant(value, computed_units)
        if was is None:
            continue
        if now is None:
            if value is None or isinstance(value, str | int | float):
                return f"gives {value!r}, which is no instant, where the source holds {source}"
            continue
        if dates:  # the old field is a calendar date: the day the source shows, as written
            day = _wall(source) if isinstance(source, str) else was.moment
            if day is not None and now.moment.date() != day.date():
                return f"gives the day {value} where the source {source} shows {day.date()}"
            continue
        if not was.aware and now.aware:
            return f"invents a zone: the source {source} is a local time without one"
        if not was.aware and not now.aware and old_aware:
            return (
                f"reads the local time {source} as if it were in the zone the field had: "
                "nothing shows which zone it is in"
            )
        if was.aware and not now.aware:
            if not old_naive:
                return f"drops the zone of {source}"
            if now.moment not in (was.moment.replace(tzinfo=None), _wall(source)):
                return f"shifts {source} to {value}"
            continue
        gap = abs((now.moment - was.moment).total_seconds())
        if gap <= 1e-6:
            continue
        if was.aware and (wrong := _wrong_unit(source, source_units, now)) is not None:
            return wrong
        if gap < 1 and now.digits < was.digits:
            return f"drops the fraction of a second of {source}"
        return f"shifts {source} by {gap:g} s (to {value})"
    return None
