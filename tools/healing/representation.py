"""Expressions that give an old field's representation (unit, type, format) from a new value.

All are DuckDB SQL over the new event; tools.sql.patch transpiles them into a pipeline's dialect.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import JsonValue
from sqlglot import exp

from tools.healing.durations import all_durations, old_unit, seconds_sql
from tools.matching.samples import FLAG_WORDS, epoch_units, flags, iso_format, kinds, typical
from tools.sql.patch import column_from_parts


def ref(path: str) -> str:
    """The DuckDB SQL reading a dotted field path, quoted where needed.

    >>> ref("address.city"), ref("order id")
    ('address.city', '"order id"')
    """
    parts = [exp.to_identifier(p) for p in path.split(".")]
    return column_from_parts(parts).sql(dialect="duckdb")


def literal(text: str) -> str:
    """A DuckDB string literal holding `text`."""
    return exp.Literal.string(text).sql(dialect="duckdb")


def scale(reference: str, factor: float, integral: bool, offset: float = 0.0) -> str:
    """The expression undoing `new = old * factor + offset` on `reference`.

    >>> scale("amount", 0.01, True), scale("grams", 1000.0, False)
    ('CAST(round(amount * 100) AS BIGINT)', 'grams / 1000')
    >>> scale("temp_f", 1.8, False, 32.0), scale("mph", 0.621371, False)
    ('(temp_f - 32) / 1.8', 'mph / 0.621371')
    >>> scale("temp_k", 1.0, False, 273.15)
    '(temp_k - 273.15)'
    """
    if offset:
        shift = f"{offset:g}" if offset > 0 else f"({offset:g})"
        reference = f"({reference} - {shift})"
    inverse = 1.0 / factor
    if factor == 1:
        expression = reference
    elif abs(inverse - round(inverse)) < 1e-9 * max(1.0, abs(inverse)):
        expression = f"{reference} * {round(inverse)}"
    elif abs(factor - round(factor)) < 1e-9 * max(1.0, abs(factor)):
        expression = f"{reference} / {round(factor)}"
    else:
        expression = f"{reference} / {factor!r}"
    return f"CAST(round({expression}) AS BIGINT)" if integral else expression


def estimated_factor(old: Sequence[JsonValue], new: Sequence[JsonValue]) -> float | None:
    """The power of ten that scales typical old values to typical new ones (None if 1 or unknown).

    >>> estimated_factor([1250, 300], [12.5, 3.0])
    0.01
    """
    a, b = typical(old), typical(new)
    if not a or not b:
        return None
    exponent = round(math.log10(b / a))
    return float(10**exponent) if exponent else None


_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})*(\.\d+)?")
_NUMBERS = frozenset({"int", "float", "numeric"})


@dataclass(frozen=True)
class _Values:
    """What a restore rule looks at: the new reference, the old and the new values."""

    reference: str
    old_kinds: set[str]
    old: Sequence[JsonValue]
    new: Sequence[JsonValue]

    @property
    def new_kinds(self) -> set[str]:
        return kinds(self.new)


def grouped_decimals(found: Sequence[JsonValue]) -> int | None:
    """Decimals of numbers written as text with thousands separators, None unless all are.

    The kind lattice reads int < decimal < numeric text < text with separators: a field of
    those is rebuilt with its separators and its number of decimals, never a bare cast.

    >>> grouped_decimals(["1,299.00", "12.50"]), grouped_decimals(["1,299"])
    (2, 0)
    >>> grouped_decimals(["7"]) is None
    True
    """
    texts = [v.strip() for v in found if isinstance(v, str)]
    if not texts or len(texts) != len(found) or not all(_GROUPED.fullmatch(t) for t in texts):
        return None
    if not any("," in t for t in texts):
        return None
    places = {len(t.partition(".")[2]) for t in texts}
    return places.pop() if len(places) == 1 else None


def _decimals(value: JsonValue) -> int:
    text = repr(value) if isinstance(value, float) else str(value)
    return len(text.partition(".")[2].rstrip("0")) if "e" not in text.lower() else 9


def _epoch_to_iso(v: _Values) -> tuple[str, str] | None:
    if v.old_kinds != {"iso"} or not v.new_kinds or not v.new_kinds <= _NUMBERS:
        return None
    units = epoch_units(v.new) or 1.0
    seconds = v.reference if units == 1.0 else f"{v.reference} / {units:g}"
    fmt = iso_format(str(v.old[0])) if v.old else "%Y-%m-%dT%H:%M:%SZ"
    fmt = _keep_subseconds(fmt or "", v.new, units)
    return f"strftime(to_timestamp({seconds}), {literal(fmt)})", "epoch to ISO text"


def _iso_to_epoch(v: _Values) -> tuple[str, str] | None:
    if not v.old_kinds or not v.old_kinds <= {"int", "float"} or v.new_kinds != {"iso"}:
        return None
    if not all(_zoned(x) for x in v.new):
        return None  # a local time without a zone has no epoch: inventing UTC is a guess
    units = epoch_units(v.old) or 1.0
    seconds = f"epoch(CAST({v.reference} AS TIMESTAMPTZ))"
    finer = max((_fraction_digits(str(x)) for x in v.new), default=0) > round(math.log10(units))
    if finer:  # the old integers cannot hold the new precision: keep it as a decimal
        return f"{seconds} * {units:g}", "ISO text to epoch, sub-unit precision kept"
    return f"CAST(round({seconds} * {units:g}) AS BIGINT)", "ISO text to epoch"


def _iso_to_iso(v: _Values) -> tuple[str, str] | None:
    if v.old_kinds != {"iso"} or v.new_kinds != {"iso"} or not v.old or not v.new:
        return None
    fmt = iso_format(str(v.old[0]))
    zoned_old, zoned_new = _zoned(v.old[0]), all(_zoned(x) for x in v.new)
    if fmt is None or (zoned_old and not zoned_new):
        return None  # never invent a zone for a naive timestamp
    digits = max(_fraction_digits(str(x)) for x in v.new)
    if digits > _fraction_digits(str(v.old[0])) and "%H" in fmt:
        fraction = ".%n" if digits > 6 else ".%f" if digits > 3 else ".%g"
        fmt = re.sub(r"%S(\.%[gfn])?", "%S" + fraction, fmt, count=1)
    if fmt == iso_format(str(v.new[0])):
        return None
    cast = "TIMESTAMPTZ" if zoned_new else "TIMESTAMP"
    return f"strftime(CAST({v.reference} AS {cast}), {literal(fmt)})", "ISO reformatted"


def _to_grouped(v: _Values) -> tuple[str, str] | None:
    places = grouped_decimals(v.old)
    if places is None or not v.new_kinds or not v.new_kinds <= _NUMBERS:
        return None
    if any(_decimals(x) > places for x in v.new):
        return None  # the old text cannot hold the new precision
    number = f"CAST({v.reference} AS DOUBLE)"
    return f"format({literal('{:,.' + str(places) + 'f}')}, {number})", "number written as before"


def _from_grouped(v: _Values) -> tuple[str, str] | None:
    if grouped_decimals(v.new) is None or not v.old_kinds or not v.old_kinds <= {"int", "float"}:
        return None
    cast = "BIGINT" if v.old_kinds == {"int"} and grouped_decimals(v.new) == 0 else "DOUBLE"
    plain = f"replace({v.reference}, ',', '')"
    return f"CAST({plain} AS {cast})", "thousands separators read as a number"


def _flags(v: _Values) -> tuple[str, str] | None:
    if v.old_kinds != {"bool"} or v.new_kinds == {"bool"} or flags(v.new) is None:
        return None
    truthy = ", ".join(literal(w) for w, meaning in sorted(FLAG_WORDS.items()) if meaning)
    return f"lower(CAST({v.reference} AS VARCHAR)) IN ({truthy})", "text flags read as booleans"


def _cast(v: _Values) -> tuple[str, str] | None:
    casts = {"int": "BIGINT", "float": "DOUBLE", "bool": "BOOLEAN"}
    new_kinds = v.new_kinds
    if len(v.old_kinds) != 1 or not new_kinds or new_kinds == v.old_kinds:
        return None
    (old_kind,) = v.old_kinds
    if old_kind in casts and new_kinds <= {"numeric", "str", "int", "float"}:
        return f"CAST({v.reference} AS {casts[old_kind]})", f"text cast to {casts[old_kind]}"
    if old_kind in ("str", "numeric") and new_kinds <= {"int", "float", "bool"}:
        return f"CAST({v.reference} AS VARCHAR)", "value cast back to text"
    return None


def _from_duration(v: _Values) -> tuple[str, str] | None:
    """ISO 8601 durations where numbers of a time unit were: their seconds, in that unit."""
    if not v.old_kinds or not v.old_kinds <= {"int", "float"} or not all_durations(v.new):
        return None
    unit = old_unit(v.old, v.new)
    if unit is None:
        return None
    name, per_second = unit
    seconds = seconds_sql(v.reference)
    if per_second == 1:
        return seconds, "ISO 8601 duration read as seconds"
    scaled = (
        f"({seconds}) * {per_second:g}" if per_second > 1 else f"({seconds}) / {1 / per_second:g}"
    )
    return scaled, f"ISO 8601 duration read as {name}"


_RULES = (
    _epoch_to_iso,
    _iso_to_epoch,
    _iso_to_iso,
    _to_grouped,
    _from_grouped,
    _flags,
    _from_duration,
    _cast,
)


def _whole(new: Sequence[JsonValue], factor: float, offset: float) -> bool:
    """Whether every new value converts back to a whole number: rounding then loses nothing.
    Finer values (milliseconds where whole seconds were) keep their fraction.

    >>> _whole([1250, 300.0], 0.01, 0.0), _whole([121480, 45020], 1000.0, 0.0)
    (True, False)
    """
    numbers = [n for v in new if (n := _number(v)) is not None]
    back = [(n - offset) / factor for n in numbers]
    return all(abs(b - round(b)) <= 1e-6 + 1e-12 * abs(b) for b in back)


def _number(value: JsonValue) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _zoned(value: JsonValue) -> bool:
    return isinstance(value, str) and bool(re.search(r"(Z|[+-]\d{2}:?\d{2})$", value.strip()))


def _fraction_digits(text: str) -> int:
    found = re.search(r":\d{2}[.,](\d+)", text)
    return len(found.group(1)) if found else 0


def restore(
    reference: str,
    old_kinds: set[str],
    new: Sequence[JsonValue],
    old: Sequence[JsonValue],
    factor: float | None,
    offset: float = 0.0,
) -> tuple[str, str]:
    """An expression giving the old representation from `reference`, and what it undoes.

    Nothing is lost on the way: fractions of a second are kept, a naive time never gains a
    zone, numbers written with thousands separators are written so again.

    >>> restore("t", {"iso"}, ["2026-01-01T10:00:00.250Z"], ["2026-01-01T09:00:00+00:00"], None)
    ("strftime(CAST(t AS TIMESTAMPTZ), '%Y-%m-%dT%H:%M:%S.%g%z')", 'ISO reformatted')
    >>> restore("t", {"iso"}, ["2026-01-01 10:00:00"], ["2026-01-01T09:00:00Z"], None)
    ('t', '')
    >>> restore("p", {"str"}, [1299.5, 12.0], ["1,299.00", "7.50"], None)[0]
    "format('{:,.2f}', CAST(p AS DOUBLE))"
    """
    if factor is not None:
        base = f"CAST({reference} AS DOUBLE)" if "numeric" in kinds(new) else reference
        shift = f" plus {offset:g}" if offset else ""
        undone = f"unit factor {factor:g}{shift} undone"
        return scale(base, factor, old_kinds == {"int"} and _whole(new, factor, offset), offset), (
            undone
        )
    values = _Values(reference, old_kinds, old, new)
    return next((found for rule in _RULES if (found := rule(values))), (reference, ""))


_FRACTIONS = ((1e9, ".%n"), (1e6, ".%f"), (1e3, ".%g"))


def _keep_subseconds(fmt: str, found: Sequence[JsonValue], units: float) -> str:
    """`fmt` with fractional seconds when the epochs carry them: a fix must not drop precision.

    >>> _keep_subseconds("%Y-%m-%dT%H:%M:%SZ", [1780297621500], 1e3)
    '%Y-%m-%dT%H:%M:%S.%gZ'
    >>> _keep_subseconds("%Y-%m-%dT%H:%M:%SZ", [1780297621000], 1e3)
    '%Y-%m-%dT%H:%M:%SZ'
    """
    numbers = [v for v in found if isinstance(v, int | float) and not isinstance(v, bool)]
    if "%S." in fmt or units <= 1 or all(v % units == 0 for v in numbers):
        return fmt
    fraction = next(text for size, text in _FRACTIONS if units >= size)
    return fmt.replace("%S", "%S" + fraction, 1)
