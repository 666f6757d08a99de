"""Unit changes a unit label in the events states (`mass_unit: lb` now `kg`)."""

from __future__ import annotations

import pytest

from core.contracts import Contract
from tools.monitoring.detect_all import detect_all
from tools.monitoring.unit_labels import labelled_conversion

PARCELS = Contract(
    dataset="parcels",
    fields=[
        {"name": "id", "type": "string", "unique": True},
        {"name": "weight", "type": "number", "unit": "lb"},
        {"name": "mass_unit", "type": "string"},
        {"name": "length", "type": "number", "unit": "in"},
        {"name": "distance_unit", "type": "string"},
    ],
)
BEFORE = [
    {"id": f"a{i}", "weight": w, "mass_unit": "lb", "length": n, "distance_unit": "in"}
    for i, (w, n) in enumerate([(2.0, 10.0), (55.0, 30.0), (12.5, 52.0), (0.8, 8.0)])
]


def _after(mass: object, distance: object) -> list[dict[str, object]]:
    return [
        {"id": f"b{i}", "weight": w, "mass_unit": mass, "length": n, "distance_unit": distance}
        for i, (w, n) in enumerate([(1.0, 25.4), (24.0, 76.2), (5.5, 127.0), (0.35, 20.0)])
    ]


def test_a_label_that_now_names_another_unit_states_the_conversion() -> None:
    found = detect_all(PARCELS, BEFORE, _after("kg", "cm"))
    units = {d.field: d.factor for d in found if d.kind == "unit_change"}
    assert units == {"weight": pytest.approx(0.45359237), "length": pytest.approx(2.54)}


def test_labels_that_did_not_change_state_nothing() -> None:
    assert labelled_conversion(PARCELS, "weight", BEFORE, _after("lb", "in")) is None


def test_a_label_that_varies_from_event_to_event_states_no_single_conversion() -> None:
    after = _after("kg", "cm")
    after[0]["mass_unit"] = "lb"
    assert labelled_conversion(PARCELS, "weight", BEFORE, after) is None


@pytest.mark.parametrize("label", ["cm", "parcel", "KGS?"])
def test_a_label_of_another_dimension_or_no_unit_states_nothing(label: str) -> None:
    assert labelled_conversion(PARCELS, "weight", BEFORE, _after(label, "cm")) is None


def test_a_measure_without_a_declared_unit_has_no_label() -> None:
    plain = Contract(dataset="parcels", fields=[{"name": "weight", "type": "number"}])
    assert labelled_conversion(plain, "weight", BEFORE, _after("kg", "cm")) is None
