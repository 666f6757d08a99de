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


_TITLES = (
    "sony premium ex earbuds mdrex57lp blk",
    "pc treasures external dvd-rw drive pink",
    "sony 4gb flash memory card black",
    "storm 2306 case with foam olive drab",
    "belkin 6 firewire cable 4-pin 6-pin",
    "alera lcd crt mobile computer security cabinet 26w x 24d x 63h light gray",
)
_OTHER_TITLES = (
    "draper high contrast grey ultimate access series e electric screen - ntsc 11 diagonal",
    "evga 1gb geforce gt 520 ddr3 graphics card",
    "dreamgear i.sound stand for ipad",
    "garmin gpsmap 78s 010-00864-01 marine gps navigator and world wide chartplotter",
    "verbatim 8.5 gb 2.4 x - 6x dvd r dl 10 packs double layer disc",
)


def test_free_text_of_other_events_keeps_its_distribution() -> None:
    old, new = _output("VARCHAR", *_TITLES), _output("VARCHAR", *_OTHER_TITLES)
    assert distribution_check("m", old, new, {"c"}).passed


def test_a_text_column_of_one_or_two_rows_is_not_judged_by_its_outline() -> None:
    old = _output("VARCHAR", "Fat Head's Brewery & Saloon")
    new = _output("VARCHAR", "Odin Brewing Company", "Nail Brewing Australia Pty Ltd")
    assert distribution_check("m", old, new, {"c"}).passed


def test_free_text_cut_short_or_replaced_by_a_constant_is_refused() -> None:
    old = _output("VARCHAR", *_TITLES)
    cut = distribution_check("m", old, _output("VARCHAR", *(t[:16] for t in _OTHER_TITLES)), {"c"})
    constant = distribution_check("m", old, _output("VARCHAR", *["n/a"] * 5), {"c"})
    assert not cut.passed and "cuts values at 16 characters" in cut.detail
    assert not constant.passed and "shaped like 'n/a'" in constant.detail


def test_free_text_upper_cased_is_refused_where_the_field_wrote_lower_case() -> None:
    new = _output("VARCHAR", *(t.upper() for t in _OTHER_TITLES))
    found = distribution_check("m", _output("VARCHAR", *_TITLES), new, {"c"})
    assert not found.passed and "lower case" in found.detail


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
