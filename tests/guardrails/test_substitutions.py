"""Tests for guardrails.substitutions: transforms must be justified by the events."""

from __future__ import annotations

import pytest

from core.contracts import Contract, Pipeline
from core.models import ModelPatch
from guardrails.substitutions import substitution_checks

MODEL = "select sensor, humidity, qty from readings"
PIPELINE = Pipeline(models={"stg": MODEL})
BEFORE: list[dict[str, object]] = [
    {"sensor": "s1", "humidity": 40.0, "qty": 3},
    {"sensor": "s2", "humidity": 55.0, "qty": 12},
]


def _check(after_sql: str, after: list[dict[str, object]]) -> tuple[bool, str]:
    patch = ModelPatch(model="stg", before_sql=MODEL, after_sql=after_sql)
    [result] = substitution_checks(PIPELINE, [patch], "readings", BEFORE, after)
    return result.passed, result.detail


@pytest.mark.parametrize("transform", ["least(humidity, 100)", "humidity / 2"])
def test_refuses_transforming_a_field_whose_values_did_not_change(transform: str) -> None:
    after: list[dict[str, object]] = [{"sensor": "s3", "humidity": 140.0, "qty": 2}]
    passed, detail = _check(f"select sensor, {transform} as humidity, qty from readings", after)
    assert not passed and "did not change" in detail


def test_allows_undoing_a_unit_change_of_the_same_field() -> None:
    after: list[dict[str, object]] = [{"sensor": "s3", "humidity": 0.42, "qty": 2}]
    passed, _ = _check("select sensor, humidity * 100 as humidity, qty from readings", after)
    assert passed


def test_requires_numbers_sent_as_text_to_keep_their_value() -> None:
    after: list[dict[str, object]] = [
        {"sensor": "s3", "humidity": 41.0, "qty": "7"},
        {"sensor": "s4", "humidity": 47.0, "qty": "15"},
    ]
    assert _check("select sensor, humidity, cast(qty as bigint) as qty from readings", after)[0]
    passed, detail = _check("select sensor, humidity, length(qty) as qty from readings", after)
    assert not passed and "does not keep the numbers" in detail


def test_ignores_renamed_fields_the_old_events_lack() -> None:
    after: list[dict[str, object]] = [{"sensor": "s3", "rh": 44.0, "qty": 2}]
    assert _check("select sensor, rh as humidity, qty from readings", after)[0]


def test_requires_text_flags_to_keep_their_meaning() -> None:
    model = "select room, busy from rooms"
    pipeline = Pipeline(models={"stg": model})
    before: list[dict[str, object]] = [{"room": "a", "busy": True}, {"room": "b", "busy": False}]
    after: list[dict[str, object]] = [{"room": "c", "busy": "Y"}, {"room": "d", "busy": "N"}]

    def check(sql: str) -> bool:
        patch = ModelPatch(model="stg", before_sql=model, after_sql=sql)
        [result] = substitution_checks(pipeline, [patch], "rooms", before, after)
        return result.passed

    assert check("select room, busy = 'Y' as busy from rooms")
    assert not check("select room, busy = 'N' as busy from rooms")


@pytest.mark.parametrize(
    "recode",
    [
        "case when sensor = 's9' then 's1' else sensor end",
        "case when sensor = 's9' then 's1' when sensor = 's8' then 's2' else sensor end",
    ],
)
def test_refuses_a_recode_of_values_nobody_vouches_for(recode: str) -> None:
    after: list[dict[str, object]] = [
        {"sensor": "s9", "humidity": 41.0, "qty": 2},
        {"sensor": "s1", "humidity": 43.0, "qty": 4},
    ]
    passed, detail = _check(f"select {recode} as sensor, humidity, qty from readings", after)
    assert not passed and "on no evidence" in detail


# a conversion a unit label in the events states


def _parcels_check(patched: str) -> tuple[bool, str]:
    contract = Contract(
        dataset="parcels",
        fields=[
            {"name": "weight", "type": "number", "unit": "lb"},
            {"name": "mass_unit", "type": "string"},
        ],
    )
    before = [{"weight": w, "mass_unit": "lb"} for w in [2.0, 55.0, 12.5, 0.8]]
    after = [{"weight": w, "mass_unit": "kg"} for w in [1.0, 24.0, 5.5, 0.35]]
    model = "select weight as weight_lb from parcels"
    pipeline = Pipeline(models={"stg": model})
    patch = ModelPatch(model="stg", before_sql=model, after_sql=patched)
    [result] = substitution_checks(pipeline, [patch], "parcels", before, after, contract)
    return result.passed, result.detail


def test_accepts_undoing_the_conversion_a_unit_label_states() -> None:
    passed, detail = _parcels_check("select weight / 0.45359237 as weight_lb from parcels")
    assert passed, detail


def test_refuses_a_factor_other_than_the_one_the_unit_label_states() -> None:
    passed, detail = _parcels_check("select weight * 2 as weight_lb from parcels")
    assert not passed and "does not undo" in detail
