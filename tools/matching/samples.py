"""Read sample events by field path, and describe their values: kind, magnitude, shape, format."""

from __future__ import annotations

import re
import statistics
from collections.abc import Mapping, Sequence

from pydantic import JsonValue

Events = Sequence[Mapping[str, object]]
_ISO = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?P<time>(?P<sep>[T ])\d{2}:\d{2}:\d{2}(?:\.(?P<frac>\d+))?)?"
    r"(?P<zone>Z|[+-]\d{2}:?\d{2})?$"
)
FLAG_WORDS: dict[str, bool] = {
    **dict.fromkeys(("y", "yes", "true", "t", "1", "on"), True),
    **dict.fromkeys(("n", "no", "false", "f", "0", "off"), False),
}
"""How yes/no flags are spelled as text (lower-cased), and what they mean."""
EPOCH_UNITS = ((1e17, 1e9), (1e14, 1e6), (1e11, 1e3), (0.0, 1.0))
"""(smallest typical value, units per second): nanoseconds, micro-, milliseconds, seconds."""


def paths(events: Events) -> set[str]:
    """Every dotted field path present in at least one event (objects and their fields).

    >>> sorted(paths([{"a": {"b": 1}, "c": None}]))
    ['a', 'a.b', 'c']
    """
    found: set[str] = set()

    def walk(value: Mapping[str, object], prefix: str) -> None:
        for key, item in value.items():
            found.add(prefix + key)
            if isinstance(item, Mapping):
                walk(item, f"{prefix}{key}.")

    for event in events:
        walk(event, "")
    return found


def values(events: Events, path: str) -> list[JsonValue]:
    """The non-null values found at `path` (dotted) across `events`."""
    found: list[JsonValue] = []
    for event in events:
        value: object = event
        for part in path.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        if value is not None:
            found.append(value)  # type: ignore[arg-type]
    return found


def kind(value: JsonValue) -> str:
    """The kind of a value: bool, int, float, iso (timestamp or date text), numeric (text), str, ...

    >>> [kind(v) for v in (True, 3, 2.5, "2026-01-01T10:00:00Z", "12", "x", [1], {"a": 1})]
    ['bool', 'int', 'float', 'iso', 'numeric', 'str', 'list', 'object']
    """
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        if _ISO.match(value):
            return "iso"
        return "numeric" if re.fullmatch(r"[+-]?\d+(\.\d+)?", value.strip()) else "str"
    return "list" if isinstance(value, list) else "object"


def kinds(found: Sequence[JsonValue]) -> set[str]:
    """The kinds of `found`, with int folded into float when both appear."""
    result = {kind(v) for v in found}
    return result - {"int"} if {"int", "float"} <= result else result


def typical(found: Sequence[JsonValue]) -> float | None:
    """Median absolute value of the numbers (or numeric strings) in `found`, None if none."""
    numbers = []
    for value in found:
        if isinstance(value, int | float) and not isinstance(value, bool):
            numbers.append(abs(float(value)))
        elif isinstance(value, str) and kind(value) == "numeric":
            numbers.append(abs(float(value)))
    if not numbers:
        return None
    return statistics.median(numbers) or statistics.fmean(numbers) or None


def interleaved(first: Sequence[JsonValue], second: Sequence[JsonValue]) -> bool:
    """Whether each sample's median magnitude lies inside the other's range (three numbers or
    more each): two samples of one heavy-tailed field, whose medians differ by chance.

    >>> interleaved([19.88, 773.82, 3.88, 9.99, 49.0], [429.99, 11.94, 110.84, 1363.5])
    True
    >>> interleaved([19.88, 773.82, 3.88, 9.99, 49.0], [1988.0, 77382.0, 388.0, 999.0])
    False
    """
    found = [
        [abs(float(v)) for v in sample if isinstance(v, int | float) and not isinstance(v, bool)]
        for sample in (first, second)
    ]
    if any(len(numbers) < 3 for numbers in found):
        return False
    (a, b), (ma, mb) = found, (statistics.median(found[0]), statistics.median(found[1]))
    return min(b) <= ma <= max(b) and min(a) <= mb <= max(a)


def shape(text: str) -> str:
    """The shape of a string: letter runs `a`, digit runs `9`, other characters kept.

    >>> shape("2026-01-01T10:00:00Z")
    '9-9-9a9:9:9a'
    """
    return re.sub(r"\s+", " ", re.sub(r"\d+", "9", re.sub(r"[^\W\d_]+", "a", text)))


def iso_format(text: str) -> str | None:
    """A DuckDB strftime format that writes timestamps the way `text` is written.

    >>> iso_format("2026-01-01T10:00:00.123Z"), iso_format("2026-01-01")
    ('%Y-%m-%dT%H:%M:%S.%gZ', '%Y-%m-%d')
    """
    match = _ISO.match(text)
    if match is None:
        return None
    fmt = "%Y-%m-%d"
    if match["time"]:
        fmt += f"{match['sep']}%H:%M:%S"
        fmt += {3: ".%g", 6: ".%f", 9: ".%n"}.get(len(match["frac"] or ""), "")
    zone = match["zone"] or ""
    return fmt + ("Z" if zone == "Z" else "%z" if zone else "")


def epoch_units(found: Sequence[JsonValue]) -> float | None:
    """Units per second of epoch numbers in `found` (1e3 for milliseconds), None if not epochs."""
    size = typical(found)
    if size is None or size < 1e8:
        return None  # before 1973 in seconds: not an epoch we can tell apart from a count
    return next(units for floor, units in EPOCH_UNITS if size >= floor)


def flags(found: Sequence[JsonValue]) -> list[bool] | None:
    """The booleans text flags in `found` spell, or None unless every value is a flag word.

    >>> flags(["Y", "n", "true"]), flags(["maybe"])
    ([True, False, True], None)
    """
    words = [str(v).strip().lower() for v in found]
    if not words or any(w not in FLAG_WORDS for w in words):
        return None
    return [FLAG_WORDS[w] for w in words]
