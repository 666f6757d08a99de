"""Tests for detect_drift: each kind fires with the right fields; conforming traffic is quiet."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from core.contracts import Contract
from core.models import Detection
from tools.monitoring.drift_detection import detect_drift
from tools.profiling.profile_batch import profile_batch

CONTRACT = Contract(
    dataset="orders",
    fields=[
        {"name": "order_id", "type": "string", "required": True, "unique": True},
        {"name": "cust_id", "type": "integer", "required": True},
        {"name": "amount_cents", "type": "integer", "min": 0},
        {"name": "status", "type": "string", "enum": ["placed", "shipped", "cancelled"]},
        {"name": "created_at", "type": "timestamp", "required": True},
        {"name": "email", "type": "string", "pii": True},
        {"name": "city", "type": "string"},
    ],
    key="order_id",
    event_time="created_at",
)
Event = dict[str, object]


def orders(count: int, seed: int, start: int = 0) -> list[Event]:
    """Conforming orders with natural variation (optional email sometimes absent)."""
    rng = random.Random(seed)
    events: list[Event] = []
    for i in range(start, start + count):
        event: Event = {
            "order_id": f"o{i}",
            "cust_id": rng.randint(1, 40),
            "amount_cents": rng.randint(300, 9000),
            "status": rng.choice(["placed", "shipped", "cancelled"]),
            "created_at": f"2026-01-01T10:{i % 60:02d}:00Z",
            "city": rng.choice(["Paris", "Lyon", "Nice", "Lille"]),
        }
        if rng.random() < 0.8:
            event["email"] = f"user{i}@example.com"
        events.append(event)
    return events


def drift(
    change: Callable[[Event], object], *, before: int = 12, after: int = 6
) -> list[Detection]:
    baseline = profile_batch(orders(before, seed=1))
    changed = orders(after, seed=2, start=100)
    for event in changed:
        change(event)
    return detect_drift(CONTRACT, baseline, profile_batch(changed))


def summary(found: list[Detection]) -> list[tuple[object, ...]]:
    return [(d.kind, d.field, d.to) for d in found]


@pytest.mark.parametrize("seed", range(8))
def test_conforming_batches_with_natural_variation_are_quiet(seed: int) -> None:
    baseline = profile_batch(orders(20, seed=seed))
    for size in (3, 7, 50):
        current = profile_batch(orders(size, seed=seed + 100, start=500))
        assert detect_drift(CONTRACT, baseline, current) == []


def test_conforming_batch_against_contract_alone_is_quiet() -> None:
    assert detect_drift(CONTRACT, None, profile_batch(orders(5, seed=3))) == []


def test_empty_batch_is_quiet() -> None:
    assert detect_drift(CONTRACT, profile_batch(orders(5, seed=3)), profile_batch([])) == []


def test_detects_rename_from_shared_values() -> None:
    found = drift(lambda e: e.__setitem__("customer_id", e.pop("cust_id")))
    assert summary(found) == [("rename", "cust_id", "customer_id")]
    assert found[0].confidence > 0.5


def test_rename_with_many_shared_values_is_confident() -> None:
    baseline = profile_batch([{"cust_id": i, "order_id": f"o{i}"} for i in range(10)])
    current = profile_batch([{"customer": i, "order_id": f"p{i}"} for i in range(10)])
    [found] = detect_drift(CONTRACT, baseline, current)
    assert (found.kind, found.field, found.to) == ("rename", "cust_id", "customer")
    assert found.confidence > 0.9


def test_detects_rename_of_unique_key_from_shape_and_name() -> None:
    found = drift(lambda e: e.__setitem__("order_ref", e.pop("order_id")))
    assert summary(found) == [("rename", "order_id", "order_ref")]


def test_sole_unique_key_swap_is_a_weak_rename() -> None:
    found = drift(lambda e: e.__setitem__("ref", e.pop("order_id")))
    assert summary(found) == [("rename", "order_id", "ref")]
    assert found[0].confidence == 0.5


def test_unit_change_needs_more_than_one_value() -> None:
    found = drift(lambda e: e.__setitem__("amount_cents", e["amount_cents"] * 100), after=1)  # type: ignore[operator]
    assert found == []


def test_wide_natural_spread_is_not_a_unit_change() -> None:
    rng = random.Random(5)
    before = [{"order_id": f"o{i}", "amount_cents": rng.randint(300, 400)} for i in range(4)]
    after = [{"order_id": f"p{i}", "amount_cents": 10 ** rng.randint(2, 5)} for i in range(30)]
    assert detect_drift(CONTRACT, profile_batch(before), profile_batch(after)) == []


def test_remove_without_successor_is_not_a_rename() -> None:
    found = drift(lambda e: (e.pop("cust_id"), e.__setitem__("coupon", "SPRING")))
    assert sorted(summary(found)) == [("add", "coupon", None), ("remove", "cust_id", None)]


def test_detects_addition_of_unknown_field() -> None:
    assert summary(drift(lambda e: e.__setitem__("channel", "web"))) == [("add", "channel", None)]


def test_detects_nesting_into_an_object() -> None:
    found = drift(lambda e: e.__setitem__("address", {"city": e.pop("city")}))
    assert summary(found) == [("nesting", "city", "address.city")]


def test_detects_unit_change_with_snapped_factor() -> None:
    found = drift(lambda e: e.__setitem__("amount_cents", e["amount_cents"] / 100))  # type: ignore[operator]
    assert [(d.kind, d.field, d.factor) for d in found] == [("unit_change", "amount_cents", 0.01)]


def test_detects_unit_change_in_the_other_direction() -> None:
    found = drift(lambda e: e.__setitem__("amount_cents", e["amount_cents"] * 1000))  # type: ignore[operator]
    assert [(d.kind, d.factor) for d in found] == [("unit_change", 1000.0)]


def test_detects_numbers_sent_as_strings() -> None:
    found = drift(lambda e: e.__setitem__("cust_id", str(e["cust_id"])))
    assert [(d.kind, d.field, d.from_, d.to) for d in found] == [
        ("type_change", "cust_id", "integer", "string")
    ]
    assert "numeric_string" in found[0].evidence.note


def test_detects_iso_timestamp_becoming_epoch_millis() -> None:
    found = drift(lambda e: e.__setitem__("created_at", 1767261600000))
    assert [(d.kind, d.from_, d.to) for d in found] == [("type_change", "string", "integer")]
    assert "epoch_millis" in found[0].evidence.note


def test_detects_new_enum_value_once_per_value() -> None:
    found = drift(lambda e: e.__setitem__("status", "returned"))
    assert [(d.kind, d.field, d.value) for d in found] == [("enum_new_value", "status", "returned")]


def test_detects_required_field_arriving_null() -> None:
    found = drift(lambda e: e.__setitem__("cust_id", None))
    assert [(d.kind, d.field, d.rate) for d in found] == [("nullability", "cust_id", 1.0)]


def test_detects_required_field_missing_in_some_events() -> None:
    baseline = profile_batch(orders(10, seed=1))
    current = orders(4, seed=2)
    del current[0]["cust_id"]
    found = detect_drift(CONTRACT, baseline, profile_batch(current))
    assert [(d.kind, d.field, d.rate) for d in found] == [("nullability", "cust_id", 0.25)]


def test_detects_split_when_joined_parts_rebuild_old_values() -> None:
    contract = Contract(
        dataset="people", fields=[{"name": "name", "type": "string", "required": True}]
    )
    before = [{"name": "Ada Lovelace"}, {"name": "Alan Turing"}]
    after = [{"first": "Ada", "last": "Lovelace"}]
    found = detect_drift(contract, profile_batch(before), profile_batch(after))
    assert summary(found) == [("split", "name", ["first", "last"])]


def test_detects_split_of_different_people_by_structure() -> None:
    contract = Contract(
        dataset="people", fields=[{"name": "full_name", "type": "string", "required": True}]
    )
    before = [{"full_name": "Ada Lovelace"}, {"full_name": "Alan Turing"}]
    after = [{"first_name": "Grace", "last_name": "Hopper"}]
    found = detect_drift(contract, profile_batch(before), profile_batch(after))
    assert summary(found) == [("split", "full_name", ["first_name", "last_name"])]


def test_detects_merge_when_new_values_join_old_ones() -> None:
    contract = Contract(
        dataset="people",
        fields=[
            {"name": "first", "type": "string", "required": True},
            {"name": "last", "type": "string", "required": True},
        ],
    )
    before = [{"first": "Ada", "last": "Lovelace"}, {"first": "Alan", "last": "Turing"}]
    after = [{"full": "Alan Turing"}]
    found = detect_drift(contract, profile_batch(before), profile_batch(after))
    assert summary(found) == [("merge", "first", ["full"]), ("merge", "last", ["full"])]


def test_redacts_examples_of_pii_fields() -> None:
    found = drift(lambda e: e.__setitem__("email_address", e.pop("email", "x@example.com")))
    assert summary(found) == [("rename", "email", "email_address")]
    assert found[0].evidence.examples and set(found[0].evidence.examples) == {"<redacted>"}


def test_evidence_locates_the_first_changed_event() -> None:
    baseline = profile_batch(orders(10, seed=1))
    current = orders(3, seed=2)
    current[2]["cust_id"] = "7"
    found = detect_drift(
        CONTRACT, baseline, profile_batch(current, offsets=[70, 71, 72], partitions=[1, 1, 1])
    )
    [change] = found
    assert (change.evidence.first_offset, change.evidence.first_partition) == (72, 1)
    assert (change.evidence.count, change.evidence.total) == (3, 3)


def test_without_baseline_compares_against_the_contract() -> None:
    current = orders(4, seed=2)
    for event in current:
        event["cust_id"] = str(event["cust_id"])
        event["extra"] = 1
    found = detect_drift(CONTRACT, None, profile_batch(current))
    assert sorted(summary(found)) == [("add", "extra", None), ("type_change", "cust_id", "string")]


def test_without_baseline_a_missing_required_field_is_removed() -> None:
    current = orders(4, seed=2)
    for event in current:
        del event["cust_id"]
    assert summary(detect_drift(CONTRACT, None, profile_batch(current))) == [
        ("remove", "cust_id", None)
    ]


def test_nesting_keeps_its_name_when_the_prefix_moves_into_the_parent() -> None:
    contract = Contract(
        dataset="t", fields=[{"name": "bill_zip", "type": "string", "required": True}]
    )
    before = [{"bill_zip": "75001"}, {"bill_zip": "69002"}]
    after = [{"billing": {"zip": "75001"}}, {"billing": {"zip": "13001"}}]
    found = detect_drift(contract, profile_batch(before), profile_batch(after))
    assert summary(found) == [("nesting", "bill_zip", "billing.zip")]


def test_rename_of_negative_readings() -> None:
    contract = Contract(dataset="t", fields=[{"name": "temp", "type": "number", "required": True}])
    before = [{"temp": -18.2}, {"temp": -19.0}, {"temp": -12.4}]
    after = [{"temperature_c": -18.0}, {"temperature_c": 2.5}, {"temperature_c": -17.8}]
    found = detect_drift(contract, profile_batch(before), profile_batch(after))
    assert summary(found) == [("rename", "temp", "temperature_c")]


def test_new_wrapper_object_is_one_addition_and_fields_move_to_the_fuller_one() -> None:
    contract = Contract(
        dataset="t",
        fields=[
            {"name": "id", "type": "integer", "required": True},
            {"name": "state", "type": "string", "required": True},
        ],
    )
    before = [{"id": 1, "state": "open"}, {"id": 2, "state": "closed"}]
    after = [
        {"old": None, "new": {"id": 3, "state": "open"}},
        {"old": {"id": 1, "state": "open"}, "new": {"id": 1, "state": "closed"}},
        {"old": None, "new": {"id": 4, "state": "open"}},
    ]
    found = detect_drift(contract, profile_batch(before), profile_batch(after))
    assert sorted(summary(found), key=str) == [
        ("add", "old", None),
        ("nesting", "id", "new.id"),
        ("nesting", "state", "new.state"),
    ]
