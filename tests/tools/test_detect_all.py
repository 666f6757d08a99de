"""Tests for detect_all on scenario-sized before/after event lists."""

from __future__ import annotations

from pathlib import Path

import pytest
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


_PROFILES = Contract(
    dataset="profiles",
    fields=[
        {"name": "profile_id", "type": "string", "required": True},
        {"name": "full_name", "type": "string", "required": True},
        {"name": "state", "type": "string", "required": True},
    ],
)


@pytest.mark.parametrize(
    ("new", "before", "after"),
    [
        ("region", ["OH", "PA", "OK", "NV", "KY"], ["AR", "UT", "OR", "SD", "VA"]),
        ("province", ["ON", "QC", "BC", "AB", "MB"], ["NS", "NB", "SK", "PE", "NL"]),
        ("territory", ["OH", "PA", "OK", "NV", "KY", "WY"], ["AR", "UT", "OR", "SD"]),
    ],
)
def test_a_rename_beside_a_split_is_found_by_elimination(
    new: str, before: list[str], after: list[str]
) -> None:
    names = ["Melba Dore", "Allisan Giallo", "Misti RUDDICK", "SALAH MERWIN", "Oue Atchison"]
    names += ["Netti PELLAND"]
    parts = [("Donny", "Posthumus"), ("arlyne", "Mckeegan"), ("ATHAR", "pfieffer")]
    parts += [("Catherin", "dacal"), ("Mari", "SKALSKI")]
    old_events = [
        {"profile_id": f"a{i}", "full_name": n, "state": s}
        for i, (n, s) in enumerate(zip(names, before, strict=False))
    ]
    new_events = [
        {"profile_id": f"b{i}", "first_name": f, "last_name": s, new: v}
        for i, ((f, s), v) in enumerate(zip(parts, after, strict=False))
    ]
    found = {(d.kind, d.field, str(d.to)) for d in detect_all(_PROFILES, old_events, new_events)}
    assert ("rename", "state", new) in found, found
    assert not any(kind in ("remove", "add") for kind, _, _ in found), found


@pytest.mark.parametrize(
    ("new", "after"),
    [
        (
            "trace_id",
            ["9f1c2a77d0e4b5a1", "03be7c11aa9f4e20", "7d2e0f99c4b1a366", "c0ffee00deadbeef"],
        ),
        ("ingest_node", ["node-0", "node-1", "node-2", "node-0", "node-1"]),
        ("schema_version", [2, 2, 2, 2, 2]),
    ],
)
def test_a_removal_beside_a_split_is_not_paired_with_an_unrelated_new_field(
    new: str, after: list[object]
) -> None:
    names = ["Melba Dore", "Allisan Giallo", "Misti RUDDICK", "SALAH MERWIN", "Oue Atchison"]
    parts = [("Donny", "Posthumus"), ("arlyne", "Mckeegan"), ("ATHAR", "pfieffer")]
    parts += [("Catherin", "dacal"), ("Mari", "SKALSKI")]
    states = ["OH", "PA", "OK", "NV", "KY"]
    old_events = [
        {"profile_id": f"a{i}", "full_name": n, "state": s}
        for i, (n, s) in enumerate(zip(names, states, strict=True))
    ]
    new_events = [
        {"profile_id": f"b{i}", "first_name": f, "last_name": s, new: v}
        for i, ((f, s), v) in enumerate(zip(parts, after, strict=False))
    ]
    found = {(d.kind, d.field) for d in detect_all(_PROFILES, old_events, new_events)}
    assert ("remove", "state") in found, found
