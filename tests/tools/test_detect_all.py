"""Tests for detect_all on scenario-sized before/after event lists."""

from __future__ import annotations

from pathlib import Path

import yaml

from core.contracts import Contract
from tools.monitoring.detect_all import detect_all

SHOP = Contract.model_validate(
    yaml.safe_load((Path(__file__).parents[2] / "examples/shop/contracts/orders.yaml").read_text())
)
BEFORE = [
    {
        "order_id": "o1",
        "cust_id": 7,
        "amount_cents": 1250,
        "status": "placed",
        "created_at": "2026-01-01T10:00:00Z",
        "email": "a@example.com",
    },
    {
        "order_id": "o2",
        "cust_id": 9,
        "amount_cents": 900,
        "status": "shipped",
        "created_at": "2026-01-01T10:01:00Z",
        "email": "b@example.com",
    },
    {
        "order_id": "o3",
        "cust_id": 7,
        "amount_cents": 3000,
        "status": "placed",
        "created_at": "2026-01-01T10:02:00Z",
    },
]


def _after(**changes: object) -> list[dict[str, object]]:
    events = []
    for i, event in enumerate(BEFORE):
        changed = {**event, "order_id": f"n{i}", "created_at": f"2026-01-01T10:0{5 + i}:00Z"}
        for name, value in changes.items():
            changed.pop(name, None)
            if value is not None:
                changed[name] = value(event) if callable(value) else value
        events.append(changed)
    return events


def test_quiet_on_conforming_scenario_events() -> None:
    assert detect_all(SHOP, BEFORE, _after()) == []


def test_scenario_rename_is_one_detection() -> None:
    found = detect_all(SHOP, BEFORE, _after(cust_id=None, customer_id=lambda e: e["cust_id"]))
    assert [(d.kind, d.field, d.to) for d in found] == [("rename", "cust_id", "customer_id")]


def test_scenario_unit_change_reports_the_factor() -> None:
    found = detect_all(SHOP, BEFORE, _after(amount_cents=lambda e: e["amount_cents"] / 100))
    assert [(d.kind, d.field, d.factor) for d in found] == [("unit_change", "amount_cents", 0.01)]


def test_scenario_type_change_reports_from_and_to() -> None:
    found = detect_all(SHOP, BEFORE, _after(cust_id=lambda e: str(e["cust_id"])))
    assert [(d.kind, d.field, d.from_, d.to) for d in found] == [
        ("type_change", "cust_id", "integer", "string")
    ]


def test_scenario_drift_and_quality_together() -> None:
    after = _after(status="refunded")
    after[1]["order_id"] = "n0"
    found = detect_all(SHOP, BEFORE, after)
    assert sorted((d.kind, d.field) for d in found) == [
        ("duplicates", "order_id"),
        ("enum_new_value", "status"),
    ]


def test_without_before_events_the_contract_is_the_reference() -> None:
    found = detect_all(SHOP, [], _after(cust_id=None))
    assert [(d.kind, d.field) for d in found] == [("remove", "cust_id")]


def test_unit_change_explains_values_beyond_the_contract_max() -> None:
    contract = Contract(
        dataset="t", fields=[{"name": "level", "type": "number", "required": True, "max": 100}]
    )
    found = detect_all(
        contract, [{"level": v} for v in (40, 55, 61)], [{"level": v} for v in (4200, 5800, 6000)]
    )
    assert [(d.kind, d.factor) for d in found] == [("unit_change", 100.0)]


def test_events_out_of_order_are_late() -> None:
    contract = Contract(
        dataset="t",
        fields=[{"name": "at", "type": "timestamp", "required": True}],
        event_time="at",
        freshness={"max_delay_seconds": 300},
    )
    before = [{"at": "2026-01-01T10:00:00Z"}, {"at": "2026-01-01T10:01:00Z"}]
    after = [{"at": "2026-01-01T10:30:00Z"}, {"at": "2026-01-01T10:02:00Z"}]
    [found] = detect_all(contract, before, after)
    assert (found.kind, found.seconds) == ("freshness", 1680.0)


def test_a_gap_in_event_time_is_silence() -> None:
    contract = Contract(
        dataset="t",
        fields=[{"name": "at", "type": "timestamp", "required": True}],
        event_time="at",
        freshness={"max_silence_seconds": 600},
    )
    before = [{"at": "2026-01-01T10:00:00Z"}, {"at": "2026-01-01T10:01:00Z"}]
    after = [{"at": "2026-01-01T10:02:00Z"}, {"at": "2026-01-01T10:40:00Z"}]
    [found] = detect_all(contract, before, after)
    assert (found.kind, found.seconds) == ("freshness", 2280.0)


def test_a_unit_change_is_detected_when_free_items_cost_zero() -> None:
    contract = Contract(
        dataset="listings",
        fields=[
            {"name": "listing_id", "type": "string", "required": True},
            {"name": "price", "type": "number", "required": True, "unit": "dollars"},
        ],
    )
    dollars = [0.0, 42.97, 41.89, 159.98, 29.88, 47.54]
    cents = [2688, 10982, 0, 1899, 1488, 5482]
    before = [{"listing_id": f"a{i}", "price": v} for i, v in enumerate(dollars)]
    after = [{"listing_id": f"b{i}", "price": v} for i, v in enumerate(cents)]
    found = [(d.kind, d.field) for d in detect_all(contract, before, after)]
    assert ("unit_change", "price") in found, found
