"""Tests for guardrails.null_fills: a constant written where a field is missing is found."""

from __future__ import annotations

import pytest

from guardrails.null_fills import filled_constant


@pytest.mark.parametrize(
    ("target", "constant"),
    [
        ("coalesce(price, 0)", "0"),
        ("nvl(price, 0.0) * 100", "0.0"),
        ("coalesce(price, list_price, -1)", "-1"),
        ("coalesce(payload.price, 0)", "0"),
        ("CASE WHEN price IS NULL THEN 9.99 ELSE price END", "9.99"),
        ("coalesce(flag, FALSE)", "FALSE"),
    ],
)
def test_finds_the_constant_written_where_the_field_is_missing(target: str, constant: str) -> None:
    field = "payload.price" if "payload" in target else "flag" if "flag" in target else "price"
    assert filled_constant(target, field) == constant


@pytest.mark.parametrize(
    "target",
    [
        "price",
        "coalesce(price, list_price)",
        "coalesce(discount, 0) + price",
        "CASE WHEN price > 100 THEN 0 ELSE price END",
        "not sql at all (",
    ],
)
def test_finds_no_constant_where_missing_values_stay_missing(target: str) -> None:
    assert filled_constant(target, "price") is None
