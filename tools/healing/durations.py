"""ISO 8601 durations (`PT12M30S`) where a field held a number of seconds (or minutes, ...).

Serializers write time spans this way by default (pydantic v2's timedelta, Java's Duration,
.NET's XmlConvert): a producer upgrading one turns `754.0` into `PT12M34S`. Only spans of fixed
length are read (days, hours, minutes, seconds): years and months have no fixed number of
seconds, so a duration holding them is no number a fix could give back.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from pydantic import JsonValue

from tools.matching.samples import typical

_DURATION = re.compile(
    r"P(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?"
)
_SECONDS = {"days": 86400.0, "hours": 3600.0, "minutes": 60.0, "seconds": 1.0}
_PATTERNS = {
    "days": r"^P(\d+(?:\.\d+)?)D",
    "hours": r"T(?:.*?[^\d.])?(\d+(?:\.\d+)?)H",
    "minutes": r"T(?:.*?[^\d.])?(\d+(?:\.\d+)?)M",
    "seconds": r"T(?:.*?[^\d.])?(\d+(?:\.\d+)?)S",
}
UNITS: dict[str, float] = {
    "seconds": 1.0,
    "milliseconds": 1000.0,
    "minutes": 1 / 60,
    "hours": 1 / 3600,
}
"""Units an old number of a span may have been in: how many of them one second is."""
MAX_RATIO = 3.0
"""How far typical old values may sit from the durations in the unit chosen for them."""


def duration_seconds(value: JsonValue) -> float | None:
    """The seconds an ISO 8601 duration of fixed length spells, or None.

    >>> duration_seconds("PT12M30S"), duration_seconds("PT1H2M5S"), duration_seconds("P1DT2H")
    (750.0, 3725.0, 93600.0)
    >>> duration_seconds("PT45.5S"), duration_seconds("P1M"), duration_seconds("P")
    (45.5, None, None)
    """
    if not isinstance(value, str):
        return None
    found = _DURATION.fullmatch(value.strip())
    if found is None or not any(found.groupdict().values()) or value.strip().endswith("T"):
        return None
    return sum(float(v) * _SECONDS[k] for k, v in found.groupdict().items() if v)


def all_durations(found: Sequence[JsonValue]) -> bool:
    """Whether every value is an ISO 8601 duration of fixed length (and there is one)."""
    return bool(found) and all(duration_seconds(v) is not None for v in found)


def seconds_sql(reference: str) -> str:
    """DuckDB SQL giving the seconds of the ISO 8601 duration in `reference` (NULL stays NULL).

    >>> "regexp_extract" in seconds_sql("prep_time")
    True
    """
    parts = [
        f"coalesce(CAST(nullif(regexp_extract({reference}, '{pattern}', 1), '') AS DOUBLE), 0)"
        + (f" * {int(_SECONDS[unit])}" if _SECONDS[unit] != 1 else "")
        for unit, pattern in _PATTERNS.items()
    ]
    return f"CASE WHEN {reference} IS NULL THEN NULL ELSE {' + '.join(parts)} END"


def old_unit(old: Sequence[JsonValue], new: Sequence[JsonValue]) -> tuple[str, float] | None:
    """The unit the old numbers were in, judged by where typical old values sit against the
    durations' seconds: (name, how many of it one second is), or None if none is near."""
    seconds = [s for v in new if (s := duration_seconds(v)) is not None]
    a, b = typical(old), typical(seconds)
    if not a or not b:
        return None
    name, per_second = min(UNITS.items(), key=lambda u: abs(math.log(a / (b * u[1]))))
    return (
        (name, per_second)
        if a / (b * per_second) <= MAX_RATIO and b * per_second / a <= MAX_RATIO
        else None
    )


def durations_lost(new: Sequence[JsonValue], computed: Sequence[JsonValue]) -> str | None:
    """Why `computed` (one value per new duration) is not every duration's length in one unit,
    or None: a reading that drops a component (hours, days) is off on the spans that hold one.

    >>> durations_lost(["PT1M", "PT1H2M"], [1.0, 62.0]) is None
    True
    >>> durations_lost(["PT1M", "PT1H2M"], [1.0, 2.0])
    "gives 2.0 for 'PT1H2M', not 62 (the lengths of the durations in one unit)"
    """
    pairs = [
        (text, seconds, value)
        for text, value in zip(new, computed, strict=True)
        if (seconds := duration_seconds(text)) is not None
    ]
    scale = next((float(v) / s for _, s, v in pairs if s and isinstance(v, int | float)), None)
    if scale is None:
        return None
    for text, seconds, value in pairs:
        wanted = seconds * scale
        if not isinstance(value, int | float) or abs(float(value) - wanted) > 1e-9 * max(
            1.0, abs(wanted)
        ):
            spans = "the lengths of the durations in one unit"
            return f"gives {value!r} for {text!r}, not {wanted:g} ({spans})"
    return None
