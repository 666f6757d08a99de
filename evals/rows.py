"""Compare rows as multisets, tolerant on number precision and timestamp spelling."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

REL_TOLERANCE = 1e-6
ABS_TOLERANCE = 1e-9


def _instant(value: Any) -> datetime | date | None:
    """A datetime (UTC) or date for datetime-like values and ISO strings, else None."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10 and value[:4].isdigit() and value[4] == "-":
        text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
        if len(text) == 10:
            try:
                return date.fromisoformat(text)
            except ValueError:
                return None
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _as_datetime(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time(), tzinfo=UTC)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def values_equal(expected: Any, actual: Any) -> bool:
    """True when two values mean the same: numbers within tolerance, timestamps as instants.

    >>> values_equal("2026-01-01T10:05:00Z", "2026-01-01 10:05:00")
    True
    >>> values_equal(9.0, 9.0000000001), values_equal(1, True)
    (True, False)
    """
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and expected == actual
    if _is_number(expected) and _is_number(actual):
        a, b = float(expected), float(actual)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=REL_TOLERANCE, abs_tol=ABS_TOLERANCE)
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        return rows_equal(expected, actual)
    if isinstance(expected, list | tuple) and isinstance(actual, list | tuple):
        return len(expected) == len(actual) and all(
            values_equal(e, a) for e, a in zip(expected, actual, strict=True)
        )
    if isinstance(expected, str) and isinstance(actual, str) and expected == actual:
        return True
    left, right = _instant(expected), _instant(actual)
    if left is not None and right is not None:
        if isinstance(left, datetime) != isinstance(right, datetime):
            return _as_datetime(left) == _as_datetime(right)
        return left == right
    return bool(type(expected) is type(actual) and expected == actual)


def rows_equal(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> bool:
    """True when both rows have the same columns with equal values."""
    if set(expected) != set(actual):
        return False
    return all(values_equal(expected[name], actual[name]) for name in expected)


def row_differences(
    expected: Sequence[Mapping[str, Any]], actual: Sequence[Mapping[str, Any]]
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """(expected rows nobody produced, produced rows nobody expected), order-insensitive."""
    unmatched = list(actual)
    missing: list[Mapping[str, Any]] = []
    for row in expected:
        index = next((i for i, got in enumerate(unmatched) if rows_equal(row, got)), None)
        if index is None:
            missing.append(row)
        else:
            del unmatched[index]
    return missing, unmatched


def compare_outputs(
    expected: Mapping[str, Sequence[Mapping[str, Any]]],
    actual: Mapping[str, Sequence[Mapping[str, Any]]],
) -> list[str]:
    """One sentence per model whose rows differ from the expected multiset; [] when all match."""
    problems: list[str] = []
    for model, rows in expected.items():
        if model not in actual:
            problems.append(f"{model}: the model produced no output")
            continue
        missing, extra = row_differences(rows, actual[model])
        if missing or extra:
            example = f"; e.g. expected {dict(missing[0])!r}" if missing else ""
            got = f"; got {dict(extra[0])!r}" if extra else ""
            problems.append(
                f"{model}: {len(missing)} expected rows missing, {len(extra)} unexpected rows"
                f"{example}{got}"
            )
    return problems
