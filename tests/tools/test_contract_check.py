"""Tests for per-event contract checking."""

from __future__ import annotations

from core.contracts import Contract
from tools.contracts.check import ContractChecker, check_batch

CONTRACT = Contract(
    dataset="orders",
    fields=[
        {"name": "order_id", "type": "string", "required": True},
        {"name": "amount", "type": "integer", "min": 0, "max": 1000},
        {"name": "status", "type": "string", "enum": ["placed", "shipped"]},
        {"name": "created_at", "type": "timestamp"},
        {"name": "email", "type": "string", "pii": True},
        {"name": "address.city", "type": "string"},
        {"name": "meta", "type": "object"},
    ],
)


def _rules(event: dict[str, object]) -> list[tuple[str | None, str]]:
    return [(v.field, v.rule) for v in ContractChecker(CONTRACT).check(event)]


def test_conforming_event_has_no_violations() -> None:
    event = {
        "order_id": "o1",
        "amount": 5,
        "status": "placed",
        "created_at": 1767225600,
        "address": {"city": "Paris"},
        "meta": {"anything": 1},
    }
    assert _rules(event) == []


def test_reports_missing_and_null_required_fields() -> None:
    assert _rules({}) == [("order_id", "missing_required")]
    assert _rules({"order_id": None}) == [("order_id", "null_required")]


def test_reports_wrong_type_enum_and_range() -> None:
    assert _rules({"order_id": 1}) == [("order_id", "wrong_type")]
    assert _rules({"order_id": "o", "status": "lost"}) == [("status", "not_in_enum")]
    assert _rules({"order_id": "o", "amount": -1}) == [("amount", "below_min")]
    assert _rules({"order_id": "o", "amount": 1001}) == [("amount", "above_max")]


def test_timestamp_text_must_be_iso() -> None:
    assert _rules({"order_id": "o", "created_at": "yesterday"}) == [("created_at", "wrong_type")]


def test_reports_unknown_fields_but_not_inside_open_objects() -> None:
    assert _rules({"order_id": "o", "coupon": "x", "address": {"zip": "1"}}) == [
        ("coupon", "unknown_field"),
        ("address.zip", "unknown_field"),
    ]


def test_redacts_values_of_pii_fields() -> None:
    [violation] = ContractChecker(CONTRACT).check({"order_id": "o", "email": 42})
    assert violation.value == "<redacted>"


def test_batch_results_align_with_events_and_flag_malformed() -> None:
    results = check_batch(CONTRACT, [b'{"order_id": "o"}', b"{", {"order_id": 3}])
    assert [[v.rule for v in r] for r in results] == [[], ["malformed"], ["wrong_type"]]
