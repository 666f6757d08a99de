"""Units that field names spell out, and the conversion a renamed field's names imply.

Producers often say a field's unit in its name (`duration_ms`, `billmsec`, `weight_kg`). When a
field vanishes and its successor's name spells another unit of the same dimension than the old
field's (declared in the contract, or spelled in its own name), the rename carries a unit change
too: `billsec` -> `billmsec` is seconds to milliseconds, values 1000x larger. The conversion is
only taken when the values' magnitudes agree with it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from pydantic import JsonValue

from tools.matching.field_matching import Match, is_nesting, name_similarity, tokens, value_group
from tools.matching.samples import typical
from tools.matching.unit_conversion import Conversion, conversions, family
from tools.profiling.batch_profile import BatchProfile, FieldProfile

MAGNITUDE_AGREEMENT = 5.0
"""Largest ratio between the values' typical ratio and the conversion's factor."""
MIN_SUFFIX = 3
"""Letters an alias needs to be read off the end of a word (`billmsec`); shorter ones (`ms`,
`kg`) only count as words of their own (`duration_ms`), or they would be read in `items`."""

ALIASES: dict[str, str] = {
    **dict.fromkeys(("ns", "nsec", "nanos", "nanoseconds"), "ns"),
    **dict.fromkeys(("us", "usec", "micros", "microseconds"), "us"),
    **dict.fromkeys(("ms", "msec", "millis", "milliseconds"), "ms"),
    **dict.fromkeys(("s", "sec", "secs", "seconds"), "s"),
    **dict.fromkeys(("min", "mins", "minutes"), "minute"),
    **dict.fromkeys(("h", "hr", "hrs", "hours"), "hour"),
    **dict.fromkeys(("mm", "millimeters", "millimetres"), "mm"),
    **dict.fromkeys(("cm", "centimeters", "centimetres"), "cm"),
    **dict.fromkeys(("meters", "metres"), "m"),
    **dict.fromkeys(("km", "kilometers", "kilometres"), "km"),
    **dict.fromkeys(("inches",), "inch"),
    **dict.fromkeys(("ft", "feet"), "foot"),
    **dict.fromkeys(("miles",), "mile"),
    **dict.fromkeys(("mg", "milligrams"), "mg"),
    **dict.fromkeys(("g", "grams"), "g"),
    **dict.fromkeys(("kg", "kilograms"), "kg"),
    **dict.fromkeys(("lb", "lbs", "pounds"), "pound"),
    **dict.fromkeys(("oz", "ounces"), "ounce"),
    **dict.fromkeys(("bytes",), "byte"),
    **dict.fromkeys(("kb", "kilobytes"), "kB"),
    **dict.fromkeys(("mb", "megabytes"), "MB"),
    **dict.fromkeys(("gb", "gigabytes"), "GB"),
    **dict.fromkeys(("cents",), "cent"),
    **dict.fromkeys(("celsius",), "degC"),
    **dict.fromkeys(("fahrenheit",), "degF"),
    **dict.fromkeys(("kelvin",), "kelvin"),
}
"""Words (lower case) that name a unit in a field name, and the unit pint knows them by."""


def name_unit(path: str) -> str | None:
    """The unit the last word of a field name spells, or None.

    >>> name_unit("billmsec"), name_unit("__source_ts_ms"), name_unit("weightKg")
    ('ms', 'ms', 'kg')
    >>> name_unit("items"), name_unit("status"), name_unit("ts")
    (None, None, None)
    """
    words = tokens(path.rsplit(".", 1)[-1])
    if not words:
        return None
    last = words[-1]
    if last in ALIASES:
        return ALIASES[last]
    suffixes = [a for a in ALIASES if len(a) >= MIN_SUFFIX and last.endswith(a) and a != last]
    return ALIASES[max(suffixes, key=len)] if suffixes else None


def name_conversion(old: str, new: str, declared: str | None) -> Conversion | None:
    """The conversion from the old field's unit (declared, else spelled in its name) to the unit
    the new name spells, when both are units of one family and differ; else None.

    >>> c = name_conversion("billsec", "billmsec", None)
    >>> (c.source, c.unit, c.factor) if c else None
    ('s', 'ms', 1000.0)
    >>> name_conversion("ts", "__source_ts_ms", "seconds").factor
    1000.0
    >>> name_conversion("duration_ms", "durationMs", None), name_conversion("ts", "ts_ms", None)
    (None, None)
    >>> name_conversion("weight_kg", "weight_ms", None) is None
    True
    """
    source = (declared if declared and family(declared) else None) or name_unit(old)
    target = name_unit(new)
    if source is None or target is None or target not in family(source):
        return None
    return next((c for c in conversions(source) if c.unit == target), None)


def magnitudes_agree(
    conversion: Conversion, old: Sequence[JsonValue], new: Sequence[JsonValue]
) -> bool:
    """Whether typical new values sit where the conversion puts typical old ones.

    >>> c = name_conversion("billsec", "billmsec", None)
    >>> magnitudes_agree(c, [184, 62, 305], [121480, 45020, 250930])
    True
    >>> magnitudes_agree(c, [184, 62, 305], [121, 45, 250])
    False
    """
    a, b = typical(old), typical(new)
    if not a or not b:
        return False
    expected = abs(conversion.apply(a))
    if not expected:
        return False
    ratio = abs(b) / expected
    return 1 / MAGNITUDE_AGREEMENT <= ratio <= MAGNITUDE_AGREEMENT


def unit_renames(
    baseline: BatchProfile,
    current: BatchProfile,
    vanished: Sequence[str],
    appeared: Sequence[str],
    declared: Mapping[str, str],
) -> list[Match]:
    """Renames whose names spell a unit change their values confirm (`billsec` -> `billmsec`),
    where value evidence alone saw two different magnitudes. One successor per field only: a
    second one that fits as well leaves both unmatched.

    `declared` maps the contract's fields to their units.
    """
    pairs = [
        (old, new)
        for old in vanished
        for new in appeared
        if _unit_renamed(baseline.fields[old], current.fields[new], declared.get(old))
    ]
    olds, news = Counter(o for o, _ in pairs), Counter(n for _, n in pairs)
    return [
        Match(
            kind="nesting" if is_nesting(old, new) else "rename",
            old=[old],
            new=[new],
            confidence=UNIT_RENAME_CONFIDENCE,
            note=f"{old!r} stopped appearing and {new!r} appeared, its name and values in "
            f"{name_unit(new)} where {old!r} held {declared.get(old) or name_unit(old)}",
        )
        for old, new in pairs
        if olds[old] == 1 and news[new] == 1
    ]


UNIT_RENAME_CONFIDENCE = 0.6
"""Confidence of a rename found by its names' units: names and magnitudes agree, values differ."""


def _unit_renamed(old: FieldProfile, new: FieldProfile, declared: str | None) -> bool:
    if value_group(old) != "numeric" or value_group(new) != "numeric":
        return False
    if old.numeric is None or new.numeric is None:
        return False
    if name_similarity(old.path, new.path) < MIN_NAME_SIMILARITY:
        return False
    conversion = name_conversion(old.path, new.path, declared)
    return conversion is not None and magnitudes_agree(
        conversion, old.numeric.sample, new.numeric.sample
    )


MIN_NAME_SIMILARITY = 0.5
"""How alike the names must be besides their units (`ts` and `__source_ts_ms`: 0.67)."""
