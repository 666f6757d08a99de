"""Tests for guardrails.units_kept: a patched model must not pass a field through in a unit it
no longer has, under its own name or an alias."""

from __future__ import annotations

from core.contracts import Contract, Pipeline
from core.models import ModelPatch
from guardrails.units_kept import units_kept_checks
from tools.sql.replay import replay

PARCELS = Contract(
    dataset="parcels",
    fields=[
        {"name": "id", "type": "string"},
        {"name": "length", "type": "number", "unit": "in"},
        {"name": "distance_unit", "type": "string"},
    ],
)
BEFORE = [
    {"id": f"a{i}", "length": n, "distance_unit": "in"} for i, n in enumerate([10.0, 30.0, 52.0])
]
AFTER = [
    {"id": f"b{i}", "length": n, "distance_unit": "cm"} for i, n in enumerate([25.4, 76.2, 127.0])
]


def _failures(model: str, patched: str) -> list[str]:
    patch = ModelPatch(model="stg", before_sql=model, after_sql=patched)
    pipeline = Pipeline(models={"stg": patched})
    output = replay(pipeline, {"parcels": AFTER}, {"parcels": PARCELS})
    checks = units_kept_checks(output, [patch], PARCELS, BEFORE, AFTER)
    return [c.detail for c in checks if not c.passed]


def test_refuses_a_field_passed_through_under_an_alias_in_the_unit_a_label_now_states() -> None:
    model = "select id, length as length_in from parcels"
    patched = "select id, length as length_in, 1 as parcels from parcels"
    [detail] = _failures(model, patched)
    assert "as length_in" in detail and "label now says cm" in detail


def test_accepts_the_field_converted_back() -> None:
    model = "select id, length as length_in from parcels"
    assert _failures(model, "select id, length / 2.54 as length_in from parcels") == []


def test_a_column_the_original_model_computed_may_read_the_new_unit_directly() -> None:
    model = "select id, length * 2.54 as length_cm from parcels"
    assert _failures(model, "select id, length as length_cm from parcels") == []
