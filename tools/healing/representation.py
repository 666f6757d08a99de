"""Expressions that give an old field's representation (unit, type, format) from a new value.

All are DuckDB SQL over the new event; tools.sql.patch transpiles them into a pipeline's dialect.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pydantic import JsonValue
from sqlglot import exp

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
    """
    if offset:
        shift = f"{offset:g}" if offset > 0 else f"({offset:g})"
        reference = f"({reference} - {shift})"
    inverse = 1.0 / factor
    if abs(inverse - round(inverse)) < 1e-9 * max(1.0, abs(inverse)):
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


def restore(
    reference: str,
    old_kinds: set[str],
    new: Sequence[JsonValue],
    old: Sequence[JsonValue],
    factor: float | None,
    offset: float = 0.0,
) -> tuple[str, str]:
    """An expression giving the old representation from `reference`, and what it undoes."""
    new_kinds = kinds(new)
    numbers = {"int", "float", "numeric"}
    if factor is not None:
        base = f"CAST({reference} AS DOUBLE)" if "numeric" in new_kinds else reference
        shift = f" plus {offset:g}" if offset else ""
        undone = f"unit factor {factor:g}{shift} undone"
        return scale(base, factor, old_kinds == {"int"}, offset), undone
    if old_kinds == {"iso"} and new_kinds and new_kinds <= numbers:
        units = epoch_units(new) or 1.0
        seconds = reference if units == 1.0 else f"{reference} / {units:g}"
        fmt = iso_format(str(old[0])) if old else "%Y-%m-%dT%H:%M:%SZ"
        fmt = _keep_subseconds(fmt or "", new, units)
        return f"strftime(to_timestamp({seconds}), {literal(fmt)})", "epoch to ISO text"
    if old_kinds and old_kinds <= {"int", "float"} and new_kinds == {"iso"}:
        units = epoch_units(old) or 1.0
        seconds = f"epoch(CAST({reference} AS TIMESTAMPTZ))"
        return f"CAST(round({seconds} * {units:g}) AS BIGINT)", "ISO text to epoch"
    if old_kinds == {"iso"} and new_kinds == {"iso"} and old and new:
        fmt = iso_format(str(old[0]))
        if fmt and fmt != iso_format(str(new[0])):
            return f"strftime(CAST({reference} AS TIMESTAMPTZ), {literal(fmt)})", "ISO reformatted"
    if old_kinds == {"bool"} and new_kinds != {"bool"} and flags(new) is not None:
        truthy = ", ".join(literal(w) for w, meaning in sorted(FLAG_WORDS.items()) if meaning)
        return f"lower(CAST({reference} AS VARCHAR)) IN ({truthy})", "text flags read as booleans"
    casts = {"int": "BIGINT", "float": "DOUBLE", "bool": "BOOLEAN"}
    if len(old_kinds) == 1 and new_kinds and new_kinds != old_kinds:
        (old_kind,) = old_kinds
        if old_kind in casts and new_kinds <= {"numeric", "str", "int", "float"}:
            return f"CAST({reference} AS {casts[old_kind]})", f"text cast to {casts[old_kind]}"
        if old_kind in ("str", "numeric") and new_kinds <= {"int", "float", "bool"}:
            return f"CAST({reference} AS VARCHAR)", "value cast back to text"
    return reference, ""


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
