"""Tests for guardrails.replay_compare."""

from __future__ import annotations

from pydantic import JsonValue

from guardrails.replay_compare import distribution_check, null_check, schema_check
from tools.sql.replay import ModelOutput, OutputColumn


def _output(column_type: str, *values: JsonValue) -> ModelOutput:
    return ModelOutput(
        columns=[OutputColumn(name="c", type=column_type)], rows=[{"c": v} for v in values]
    )


def test_compares_type_families_not_widths() -> None:
    assert schema_check("m", _output("INTEGER", 1), _output("HUGEINT", 1)).passed
    assert not schema_check("m", _output("BIGINT", 1), _output("DOUBLE", 1.0)).passed


def test_flags_a_column_that_lost_all_its_values() -> None:
    assert not null_check("m", _output("BIGINT", 1, None), _output("BIGINT", None)).passed
    assert null_check("m", _output("BIGINT", None), _output("BIGINT", None)).passed


def test_flags_numbers_a_power_of_ten_away() -> None:
    assert not distribution_check(
        "m", _output("DOUBLE", 12.5, 3.0), _output("DOUBLE", 1250.0, 300.0), set()
    ).passed
    assert distribution_check(
        "m", _output("DOUBLE", 12.5, 3.0), _output("DOUBLE", 9.0, 21.0), set()
    ).passed


def test_flags_instants_decades_away() -> None:
    old = _output("TIMESTAMP", "2026-01-01T10:00:00")
    assert not distribution_check(
        "m", old, _output("TIMESTAMP", "1970-01-21T10:00:00"), set()
    ).passed
    assert distribution_check("m", old, _output("TIMESTAMP", "2026-02-01T00:00:00"), set()).passed


def test_compares_text_shapes_only_for_changed_columns() -> None:
    old, new = _output("VARCHAR", "2026-01-01"), _output("VARCHAR", "ACME Corp")
    assert not distribution_check("m", old, new, {"c"}).passed
    assert distribution_check("m", old, new, set()).passed


def test_lets_identifiers_read_as_they_are_vary_more_than_computed_numbers() -> None:
    old, new = _output("BIGINT", 7, 9), _output("BIGINT", 420)
    assert distribution_check("m", old, new, {"c"}).passed
    assert not distribution_check("m", old, new, {"c"}, computed={"c"}).passed
    assert not distribution_check("m", old, _output("BIGINT", 9000), {"c"}).passed


def test_free_text_of_other_events_needs_no_outline_in_common() -> None:
    old = _output("VARCHAR", "monopoly 3", "comic book library", "pc hoyle jewels : swap & drop it")
    new = _output(
        "VARCHAR", "print shop 22 deluxe", "adobe photoshop elements 4.0", "learn to speak spanish"
    )
    assert distribution_check("m", old, new, {"c"}).passed


def test_codes_written_another_way_still_need_an_outline_in_common() -> None:
    old = _output("VARCHAR", "Food and Drink", "Gas Stations", "Shops and Malls")
    new = _output("VARCHAR", "FOOD_AND_DRINK", "GAS_STATIONS", "SHOPS")
    assert not distribution_check("m", old, new, {"c"}).passed
