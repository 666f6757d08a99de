"""Tests for unit inference: a*x+b fitted in the declared unit's dimension, through to the fix."""

from __future__ import annotations

import pytest

from core.contracts import Contract, ContractField, Pipeline
from core.models import ModelPatch
from guardrails.replay_gate import validate_patch
from guardrails.substitutions import substitution_checks
from tools.healing.mapping import infer_mapping
from tools.matching.unit_change import estimate_factor, estimate_unit
from tools.matching.unit_conversion import family
from tools.matching.unit_fit import judge_conversions
from tools.monitoring.detect_all import detect_all
from tools.profiling.batch_profile import NumericStats
from tools.sql.patch import apply_mapping

OLD = [21.5, 22.0, 19.8, 23.1, 20.4, 22.7]


def _stats(values: list[float]) -> NumericStats:
    return NumericStats(
        count=len(values), min=min(values), max=max(values), total=sum(values), sample=values
    )


def _shifted(values: list[float], factor: float, offset: float = 0.0) -> list[float]:
    """The values converted, on other events: slightly different readings."""
    wobble = [0.3, -0.2, 0.1, -0.4, 0.2, 0.0]
    return [round((v + w) * factor + offset, 2) for v, w in zip(values, wobble, strict=True)]


@pytest.mark.parametrize(
    ("declared", "base", "factor", "offset"),
    [
        ("celsius", OLD, 1.8, 32.0),  # affine
        ("degF", [70.2, 71.6, 68.9, 73.0, 69.5, 72.1], 5 / 9, -160 / 9),
        ("celsius", OLD, 1.0, 273.15),  # a pure offset
        ("km", [12.0, 13.5, 11.2, 12.8, 12.2, 13.1], 0.621371, 0.0),  # below 10x
        ("mile", [12.0, 13.5, 11.2, 12.8, 12.2, 13.1], 1.609344, 0.0),
        ("kg", [62.0, 64.5, 61.2, 63.8, 62.9, 64.0], 2.204623, 0.0),
        ("m/s", [10.0, 10.4, 9.8, 10.2, 10.1, 10.3], 3.6, 0.0),
        ("hPa", [1012.0, 1015.5, 1009.8, 1013.2, 1011.1, 1014.0], 0.0145038, 0.0),  # psi
    ],
)
def test_fits_the_conversion_in_the_declared_units_dimension(
    declared: str, base: list[float], factor: float, offset: float
) -> None:
    found = estimate_unit(_stats(base), _stats(_shifted(base, factor, offset)), declared)
    assert found is not None
    assert found.factor == pytest.approx(factor, rel=1e-3)
    assert found.offset == pytest.approx(offset, abs=1e-3)


@pytest.mark.parametrize(
    ("declared", "factor"), [("m/s", 3.6), ("kg", 2.204623), ("km", 0.621371), ("s", 1 / 60)]
)
def test_never_snaps_a_declared_units_ratio_to_a_power_of_ten(declared: str, factor: float) -> None:
    base = [10.0, 10.4, 9.8, 10.2, 10.1, 10.3]
    found = estimate_factor(_stats(base), _stats(_shifted(base, factor)), declared)
    assert found is not None and found[0] == pytest.approx(factor, rel=1e-3)


@pytest.mark.parametrize(
    ("declared", "new"),
    [
        ("km", [7.5, 18.6, 5.0, 28.0]),  # km to miles and back: spread swamps the shift
        ("celsius", [21.0, 23.5, 20.2, 22.9]),  # natural variation, no conversion
        ("m/s", [36.1, 43.0, 34.4, 39.5]),  # km/h and ft/s fit these equally well
    ],
)
def test_requires_a_tight_fit_that_beats_every_other_conversion(
    declared: str, new: list[float]
) -> None:
    old = [12.0, 30.0, 8.0, 45.0] if declared == "km" else [10.0, 12.0, 9.5, 11.0]
    if declared == "celsius":
        old = [21.5, 22.0, 19.8, 23.1]
    assert judge_conversions(old, new, declared).chosen is None


def test_knows_families_by_member_and_by_dimension() -> None:
    assert family("kilometers") == family("km")
    assert "degF" in family("fahrenheit")
    assert family("furlong") == family("m")  # not listed, same dimension
    assert family("widgets") == ()


@pytest.mark.parametrize(
    ("unit", "old", "new", "expected"),
    [
        ("celsius", [21.5, 22.0, 19.8, 23.1], [70.7, 71.6, 67.6, 73.6], "(temp - 32) / 1.8"),
        (
            "km",
            [12.0, 13.5, 11.2, 12.8, 12.6, 13.2],
            [7.52, 8.33, 7.02, 8.02, 7.58, 8.08],
            "temp / 0.621371192237",
        ),
        ("kg", [62.0, 64.5, 61.2, 63.8], [137.1, 142.0, 134.7, 140.9], "temp / 2.20462262185"),
    ],
)
def test_heals_a_conversion_end_to_end(
    unit: str, old: list[float], new: list[float], expected: str
) -> None:
    contract = Contract(
        dataset="r",
        fields=[
            ContractField(name="id", type="string"),
            ContractField(name="temp", type="number", unit=unit),
        ],
    )
    before = [{"id": f"a{i}", "temp": v} for i, v in enumerate(old)]
    after = [{"id": f"b{i}", "temp": v} for i, v in enumerate(new)]
    detections = detect_all(contract, before, after)
    assert [d.kind for d in detections] == ["unit_change"]
    inference = infer_mapping(detections, contract, {"id", "temp"}, before, after)
    [entry] = inference.mapping.entries
    assert entry.target == expected
    pipeline = Pipeline(models={"stg": "select id, temp from r"})
    patches = apply_mapping(pipeline, "r", inference.mapping, contract)
    report = validate_patch(
        pipeline, patches, {"r": contract}, before, after, dataset="r", mapping=inference.mapping
    )
    assert report.passed, report.failures()


@pytest.mark.parametrize(
    ("unit", "old", "new", "right", "wrong"),
    [
        (
            "celsius",
            [21.5, 22.0, 19.8, 23.1],
            [295.0, 294.9, 293.2, 296.4],
            "(temp - 273.15)",
            "temp - 273",  # off by 0.15 on every row
        ),
        (
            "m/s",
            [10.0, 10.4, 9.8, 10.2],
            [22.59, 23.04, 21.7, 22.82],
            "temp / 2.23693629205",
            "temp / 1.609344",  # km/h's cousin, not mph
        ),
        (
            "celsius",
            [21.5, 22.0, 19.8, 23.1],
            [70.7, 71.6, 67.6, 73.6],
            "(temp - 32) / 1.8",
            "temp / 1.8 - 17",  # nearly, not exactly, the inverse
        ),
    ],
)
def test_validation_refuses_a_substitute_that_does_not_undo_the_conversion(
    unit: str, old: list[float], new: list[float], right: str, wrong: str
) -> None:
    contract = Contract(
        dataset="r",
        fields=[
            ContractField(name="id", type="string"),
            ContractField(name="temp", type="number", unit=unit),
        ],
    )
    pipeline = Pipeline(models={"stg": "select id, temp from r"})
    before = [{"id": f"a{i}", "temp": v} for i, v in enumerate(old)]
    after = [{"id": f"b{i}", "temp": v} for i, v in enumerate(new)]

    def passes(expression: str) -> bool:
        patch = ModelPatch(
            model="stg",
            before_sql=pipeline.models["stg"],
            after_sql=f"select id, {expression} as temp from r",
        )
        [result] = substitution_checks(pipeline, [patch], "r", before, after, contract)
        return result.passed

    assert passes(right)
    assert not passes(wrong)
