"""Tests for judge_conversions and the guardrail built on it: a unit change is healed only by the
one exact conversion of the declared unit the values fit; near-fits, two fits and currency rates
escalate; wrong undoings (off by a unit, a constant, a fitted rate, separators dropped) are refused
with a named reason."""

from __future__ import annotations

import pytest

from core.contracts import Contract, ContractField, Pipeline
from core.models import ModelPatch, ValidationReport
from guardrails.replay_gate import validate_patch
from guardrails.substitutions import substitution_checks
from tools.matching.unit_fit import judge_conversions


def _exact(
    readings: list[float], factor: float, offset: float = 0.0, digits: int = 6
) -> list[float]:
    return [round(v * factor + offset, digits) for v in readings]


@pytest.mark.parametrize(
    ("declared", "old", "readings", "factor", "offset", "unit"),
    [
        (
            "mile/hour",
            [31.0, 28.5, 35.0, 30.5, 29.0],
            [33.0, 27.5, 30.0, 36.5, 31.5],
            1.609344,
            0,
            "km/h",
        ),
        ("kWh", [12.4, 13.1, 11.8, 12.9, 12.2], [12.6, 13.3, 11.9, 12.0, 13.5], 3.6, 0, "MJ"),
        ("inch", [12.0, 15.0, 9.5, 11.0, 14.5], [13.5, 10.0, 12.5, 16.0, 11.5], 2.54, 0, "cm"),
        (
            "kilograms",
            [62.0, 71.5, 80.0, 66.5, 75.0],
            [70.5, 64.0, 77.5, 82.0, 68.0],
            2.20462262185,
            0,
            "pound",
        ),
        (
            "celsius",
            [21.5, 22.0, 19.8, 23.1, 20.4],
            [22.4, 20.9, 21.7, 19.6, 23.0],
            1.0,
            273.15,
            "kelvin",
        ),
        (
            "dollars",
            [19.99, 4.5, 129.0, 38.75, 7.25],
            [24.99, 12.5, 89.95, 5.75, 310.0],
            100,
            0,
            "cent",
        ),
        (
            "dollars",
            [1250000.0, 84000.0, 460500.0, 2780000.0],
            [512000.0, 99500.0, 1400500.0],
            0.001,
            0,
            "thousands",
        ),
    ],
)
def test_chooses_the_one_exact_conversion_of_the_declared_unit(
    declared: str,
    old: list[float],
    readings: list[float],
    factor: float,
    offset: float,
    unit: str,
) -> None:
    found = judge_conversions(old, _exact(readings, factor, offset), declared)
    assert found.changed is not None
    assert found.chosen is not None, found.explain()
    assert found.chosen.conversion.unit == unit


@pytest.mark.parametrize(
    ("declared", "old", "new"),
    [
        # metres and yards both land on whole centimetres when the new values carry two decimals
        (
            "centimeters",
            [182.0, 172.0, 182.0, 170.0, 180.0, 156.0],
            [1.63, 1.83, 1.6, 1.73, 1.52, 1.75, 1.88],
        ),
        # kilometres read as miles or nautical miles: both fit four readings
        ("km", [12.0, 13.5, 11.2, 12.8], [7.6, 8.3, 7.0, 8.0]),
    ],
)
def test_refuses_to_choose_between_two_conversions_that_fit(
    declared: str, old: list[float], new: list[float]
) -> None:
    found = judge_conversions(old, new, declared)
    assert found.chosen is None
    assert len(found.fitting) >= 2


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            [495277.0, 3064615.0, 1421319.0, 2784776.0, 3673128.0],
            [376225.72, 135176.52, 271995.24, 806449.08],
        ),
        ([29.99, 9.99, 149.95, 19.99, 49.5], [27.5908, 9.1908, 137.954, 18.3908, 45.54]),
    ],
)
def test_a_currency_rate_is_an_unexplained_change_never_a_fitted_factor(
    old: list[float], new: list[float]
) -> None:
    found = judge_conversions(old, new, "dollars")
    assert found.unexplained, found.explain()
    assert found.chosen is None


@pytest.mark.parametrize(
    ("declared", "old", "new"),
    [
        ("centimeters", [2.7, 1.5, 4.5, 4.5, 1.7], [3.0, 4.0, 7.0, 4.0, 4.0]),  # whole by chance
        ("centimeters", [182.0, 185.0, 176.0, 172.0, 175.0], [165.0, 153.0, 165.0, 152.0, 160.0]),
        ("dollars", [649.0, 5479.0, 499.99, 39.95, 169.65], [519.0, 45.5, 1299.0, 89.99, 12.5]),
        ("celsius", [21.5, 22.0, 19.8, 23.1], [21.0, 23.5, 20.2, 22.9]),
        ("kg", [62.0, 71.5, 80.0, 66.5], [70.5, 64.25, 77.5, 82.0]),
    ],
)
def test_natural_variation_is_no_unit_change(
    declared: str, old: list[float], new: list[float]
) -> None:
    found = judge_conversions(old, new, declared)
    assert found.chosen is None and not found.unexplained, found.changed


def _passes(
    unit: str | None, old: list[float | str], new: list[float | str], expression: str
) -> tuple[bool, str]:
    contract = Contract(
        dataset="r",
        fields=[
            ContractField(name="id", type="string"),
            ContractField(name="v", type="number", unit=unit),
        ],
    )
    pipeline = Pipeline(models={"stg": "select id, v from r"})
    before = [{"id": f"a{i}", "v": v} for i, v in enumerate(old)]
    after = [{"id": f"b{i}", "v": v} for i, v in enumerate(new)]
    patch = ModelPatch(
        model="stg",
        before_sql=pipeline.models["stg"],
        after_sql=f"select id, {expression} as v from r",
    )
    [result] = substitution_checks(pipeline, [patch], "r", before, after, contract)
    return result.passed, result.detail


@pytest.mark.parametrize(
    ("unit", "old", "new", "right", "wrong", "reason"),
    [
        # off by a unit: cents read as tenths
        (
            "dollars",
            [797.99, 78.88, 47.17, 498.0, 599.0, 159.95],
            [1188, 36699, 3794, 3999, 2800],
            "v / 100",
            "v / 10",
            "does not undo",
        ),
        # a rounded factor
        (
            "centimeters",
            [160.0, 153.0, 175.0, 165.0],
            _exact([182.0, 176.0, 162.0, 179.0], 1 / 2.54),
            "v * 2.54",
            "v * 2.5",
            "does not undo",
        ),
        # a dropped offset
        (
            "celsius",
            [5.9, 10.8, 11.5, 6.7, 4.1],
            [278.75, 280.05, 279.55, 281.85, 282.25],
            "(v - 273.15)",
            "v / 1",
            "does not undo",
        ),
    ],
)
def test_validation_refuses_a_wrong_undoing_with_a_named_reason(
    unit: str, old: list[float | str], new: list[float | str], right: str, wrong: str, reason: str
) -> None:
    assert _passes(unit, old, new, right)[0]
    passed, detail = _passes(unit, old, new, wrong)
    assert not passed and reason in detail


def test_validation_refuses_a_fitted_currency_rate() -> None:
    old: list[float | str] = [29.99, 9.99, 149.95, 19.99, 49.5]
    new: list[float | str] = [27.5908, 9.1908, 137.954, 18.3908, 45.54]
    for patch in ("v / 0.92", "round(v / 0.92, 2)", "v * 1.087"):
        passed, detail = _passes("dollars", old, new, patch)
        assert not passed and "no single conversion fits" in detail


@pytest.mark.parametrize(
    ("wrong", "shown"),
    [
        ("CAST(split_part(v, ',', 1) AS DOUBLE)", "gives 1.0 for 1083.95"),  # thousands dropped
        ("CAST(floor(CAST(replace(v, ',', '') AS DOUBLE)) AS BIGINT)", "gives 1083 for 1083.95"),
    ],
)
def test_validation_refuses_numbers_as_text_read_with_digits_lost(wrong: str, shown: str) -> None:
    old: list[float | str] = [1083.95, 2544.99, 9.99, 1399.0]
    new: list[float | str] = ["1,083.95", "12,544.99", "19.99", "1,399.00"]
    assert _passes("dollars", old, new, "CAST(replace(v, ',', '') AS DOUBLE)")[0]
    passed, detail = _passes("dollars", old, new, wrong)
    assert not passed and shown in detail


@pytest.mark.parametrize(
    ("unit", "old", "new", "converted"),
    [
        (
            "centimeters",
            [160.0, 153.0, 175.0, 165.0],
            _exact([182.0, 176.0, 162.0, 179.0], 1 / 2.54),
            "v * 2.54",
        ),
        (
            "celsius",
            [5.9, 10.8, 11.5, 6.7, 4.1],
            [278.75, 280.05, 279.55, 281.85, 282.25],
            "(v - 273.15)",
        ),
        (
            "dollars",
            [797.99, 78.88, 47.17, 498.0, 599.0, 159.95],
            [1188, 36699, 3794, 3999, 2800],
            "v / 100",
        ),
    ],
)
def test_validation_refuses_a_patch_that_passes_a_converted_field_through(
    unit: str, old: list[float], new: list[float], converted: str
) -> None:
    contract = Contract(
        dataset="r",
        key="id",
        fields=[
            ContractField(name="id", type="string"),
            ContractField(name="v", type="number", unit=unit),
        ],
    )
    pipeline = Pipeline(models={"stg": "select id, v from r"})
    before = [{"id": f"a{i}", "v": v} for i, v in enumerate(old)]
    after = [{"id": f"b{i}", "v": v} for i, v in enumerate(new)]

    def report(sql: str) -> ValidationReport:
        patch = ModelPatch(model="stg", before_sql=pipeline.models["stg"], after_sql=sql)
        return validate_patch(
            pipeline, [patch], {"r": contract}, before, after, dataset="r", mapping=None
        )

    deduplicated = report("select distinct id, v from r")  # a recipe written on the old model
    assert not deduplicated.passed
    assert any(c.name == "units:stg" for c in deduplicated.failures())
    fixed = report(f"select distinct id, {converted} as v from r")
    assert not any(c.name == "units:stg" for c in fixed.failures())


# Zero reads the same in every unit: a free item among the samples must not hide a scaling.
_DOLLARS_WITH_ZERO = [0.0, 42.97, 41.89, 159.98, 29.88, 47.54]
_CENTS_WITH_ZERO = [2688, 10982, 0, 1899, 1488, 5482]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (_DOLLARS_WITH_ZERO, _CENTS_WITH_ZERO),
        (_DOLLARS_WITH_ZERO, [v for v in _CENTS_WITH_ZERO if v]),
        ([v for v in _DOLLARS_WITH_ZERO if v], _CENTS_WITH_ZERO),
        ([0.0, 797.99, 78.88, 47.17, 498.0, 599.0, 159.95], [1188, 36699, 0, 3794, 3999, 2800]),
    ],
)
def test_zero_values_do_not_hide_a_conversion(old: list[float], new: list[float]) -> None:
    found = judge_conversions(old, new, "dollars")
    assert found.chosen is not None, found.explain()
    assert found.chosen.conversion.unit == "cent"


def test_zero_values_do_not_make_natural_variation_a_unit_change() -> None:
    old = [0.0, 42.97, 41.89, 159.98, 29.88, 47.54]
    new = [0.0, 38.5, 120.0, 19.99, 55.25, 44.0]
    found = judge_conversions(old, new, "dollars")
    assert found.changed is None, found.changed


@pytest.mark.parametrize("wrong", ["v / 100000.0", "v / 10", "v / 1000"])
def test_validation_refuses_an_off_by_a_unit_undoing_when_the_samples_hold_zeros(
    wrong: str,
) -> None:
    old: list[float | str] = [*_DOLLARS_WITH_ZERO]
    new: list[float | str] = [*_CENTS_WITH_ZERO]
    assert _passes("dollars", old, new, "v / 100")[0]
    passed, detail = _passes("dollars", old, new, wrong)
    assert not passed and "does not undo" in detail, detail


# Samples of different events: prices spread over decades, medians 26x apart, yet no more
# apart than their spread allows (Welch t under 4) and off every power of ten: no conversion.
_PRICES_BEFORE: list[float | str] = [1.5, 2.0, 3.0, 120.0, 2.5]
_PRICES_AFTER: list[float | str] = [40.0, 65.0, 480.0, 900.0, 55.0]


@pytest.mark.parametrize("unit", ["dollars", None])
@pytest.mark.parametrize("rewrite", ["v / 100", "v * 100", "v / 10", "round(v)", "floor(v)"])
def test_validation_refuses_rewriting_numbers_no_conversion_explains(
    unit: str | None, rewrite: str
) -> None:
    passed, detail = _passes(unit, _PRICES_BEFORE, _PRICES_AFTER, rewrite)
    assert not passed, detail
    assert "no conversion fits" in detail, detail


def test_validation_leaves_numbers_too_few_to_judge_to_the_replay() -> None:
    passed, detail = _passes("percent", [40.0, 55.0], [0.42], "v * 100")
    assert passed, detail
