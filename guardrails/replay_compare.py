"""Compare a model's output on the old events (original SQL) with its output on the new (patched).

Each comparison is one CheckResult; together they refuse plausible but wrong patches: a field
replaced by NULL, a unit off by a factor, a swapped field of another type or shape.
"""

from __future__ import annotations

import re
import statistics
from datetime import UTC, datetime

from pydantic import JsonValue

from core.models import CheckResult
from tools.matching.text_difference import text_difference
from tools.matching.unit_fit import separation
from tools.sql.replay import ModelOutput

MAGNITUDE_TOLERANCE = 5.0
"""Largest ratio between typical absolute values of a fractional or computed numeric column."""
SEPARATION = 3.0
"""Smallest Welch t (log magnitudes) at which two samples of a column differ by more than their
own spread: samples of different events (prices across decades) often differ 5x in median."""
LOOSE_TOLERANCE = 100.0
"""The same for integer columns read as they are (keys, counts): small samples of identifiers
differ a lot, so only a gross mismatch (a swapped field) is refused there."""
MAX_YEARS_APART = 5.0
"""Largest allowed distance between the typical instants of a temporal column."""
_FAMILIES = {
    "TINYINT": "integer",
    "SMALLINT": "integer",
    "INTEGER": "integer",
    "BIGINT": "integer",
    "HUGEINT": "integer",
    "UTINYINT": "integer",
    "USMALLINT": "integer",
    "UINTEGER": "integer",
    "UBIGINT": "integer",
    "UHUGEINT": "integer",
    "FLOAT": "number",
    "DOUBLE": "number",
}
_TEMPORAL = ("TIMESTAMP", "DATE")


def type_family(duckdb_type: str) -> str:
    """Types that read the same for consumers: every integer width is `integer`, and so on.

    >>> type_family("DECIMAL(18,3)"), type_family("HUGEINT"), type_family("VARCHAR")
    ('number', 'integer', 'VARCHAR')
    """
    if duckdb_type.startswith("DECIMAL"):
        return "number"
    return _FAMILIES.get(duckdb_type, duckdb_type)


def _values(output: ModelOutput, column: str) -> list[JsonValue]:
    return [row.get(column) for row in output.rows if row.get(column) is not None]


def shape(text: str) -> str:
    """The shape of a string: letter runs `a`, digit runs `9`, other characters kept.

    >>> shape("2026-01-01T10:00:00Z"), shape("Ada Lovelace")
    ('9-9-9a9:9:9a', 'a a')
    """
    return re.sub(r"\s+", " ", re.sub(r"\d+", "9", re.sub(r"[^\W\d_]+", "a", text)))


def schema_check(model: str, before: ModelOutput, after: ModelOutput) -> CheckResult:
    """The patched model outputs the same column names and type families as before."""
    old = [(c.name, type_family(c.type)) for c in before.columns]
    new = [(c.name, type_family(c.type)) for c in after.columns]
    detail = f"columns {new}" if old == new else f"columns {new} differ from the original {old}"
    return CheckResult(name=f"schema:{model}", passed=old == new, detail=detail)


def null_check(model: str, before: ModelOutput, after: ModelOutput) -> CheckResult:
    """No column that had values on the old events is entirely NULL on the new ones."""
    if not after.rows:
        return CheckResult(name=f"nulls:{model}", passed=True, detail="no rows to look at")
    lost = [
        c.name for c in before.columns if _values(before, c.name) and not _values(after, c.name)
    ]
    detail = (
        f"columns {lost} are all NULL on the new events" if lost else "no column lost its values"
    )
    return CheckResult(name=f"nulls:{model}", passed=not lost, detail=detail)


def _typical(values: list[JsonValue]) -> float | None:
    numbers = [
        abs(float(v)) for v in values if isinstance(v, int | float) and not isinstance(v, bool)
    ]
    if not numbers:
        return None
    return statistics.median(numbers) or statistics.fmean(numbers) or None


def _instant(value: JsonValue) -> float | None:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _separated(old: list[JsonValue], new: list[JsonValue]) -> bool:
    """Whether the two samples sit apart beyond their spread (True when too few to tell)."""
    numbers = [
        [abs(float(v)) for v in found if isinstance(v, int | float) and not isinstance(v, bool)]
        for found in (old, new)
    ]
    t = separation(numbers[0], numbers[1]) if all(numbers) else None
    return t is None or t >= SEPARATION


def _column_problem(
    column: str,
    family: str,
    old: list[JsonValue],
    new: list[JsonValue],
    shapes: bool,
    tolerance: float,
) -> str | None:
    if not old or not new:
        return None
    if family in ("integer", "number"):
        a, b = _typical(old), _typical(new)
        if a and b and max(a, b) / min(a, b) > tolerance and _separated(old, new):
            return f"{column} typically {b:g} instead of {a:g} (x{b / a:.3g})"
    elif family.startswith(_TEMPORAL):
        a_times, b_times = [_instant(v) for v in old], [_instant(v) for v in new]
        if None in b_times and None not in a_times:
            return f"{column} has instants that cannot be read: {new[:3]}"
        a_ok, b_ok = [t for t in a_times if t is not None], [t for t in b_times if t is not None]
        if a_ok and b_ok:
            years = abs(statistics.median(b_ok) - statistics.median(a_ok)) / (365.25 * 86400)
            if years > MAX_YEARS_APART:
                return f"{column} moved {years:.0f} years from the original values"
    elif shapes and family == "VARCHAR":
        difference = text_difference([str(v) for v in old], [str(v) for v in new], shape)
        if difference is not None:
            return f"{column} {difference}"
    return None


def distribution_check(
    model: str,
    before: ModelOutput,
    after: ModelOutput,
    changed: set[str],
    computed: set[str] = frozenset(),  # type: ignore[assignment]
    tolerance: float = MAGNITUDE_TOLERANCE,
) -> CheckResult:
    """Numeric magnitudes, instants and (for `changed` columns) text stay comparable; text as
    far as the samples support a claim (tools.matching.text_difference: free text by its
    lengths, cuts and marks, other text by outlines, a row or two only by gross differences).

    Fractional columns and `computed` ones (the patch computes them with an expression) must
    keep their magnitude within `tolerance`; other integer columns within LOOSE_TOLERANCE.
    """
    families = {c.name: type_family(c.type) for c in after.columns}
    problems = [
        problem
        for c in before.columns
        if families.get(c.name) == type_family(c.type)
        and (
            problem := _column_problem(
                c.name,
                type_family(c.type),
                _values(before, c.name),
                _values(after, c.name),
                c.name in changed,
                tolerance
                if type_family(c.type) == "number" or c.name in computed
                else max(tolerance, LOOSE_TOLERANCE),
            )
        )
    ]
    detail = "; ".join(problems) if problems else "values are comparable to the original output"
    return CheckResult(name=f"distribution:{model}", passed=not problems, detail=detail)


def row_count_check(
    model: str, before: ModelOutput, after: ModelOutput, events: int
) -> CheckResult:
    """A model that produced rows from the old events produces some from the new ones."""
    lost = bool(before.rows) and events > 0 and not after.rows
    detail = f"{len(after.rows)} rows from {events} new events (was {len(before.rows)} rows)"
    return CheckResult(name=f"rows:{model}", passed=not lost, detail=detail)
