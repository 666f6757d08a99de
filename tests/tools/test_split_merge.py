"""Tests for split and merge evidence: exact rebuilds, containment, and shapes with names."""

from __future__ import annotations

from core.contracts import Contract
from core.models import Detection
from tools.monitoring.drift_detection import detect_drift
from tools.profiling.profile_batch import profile_batch


def _drift(
    fields: list[dict[str, object]], before: list[dict[str, object]], after: list[dict[str, object]]
) -> list[tuple[object, ...]]:
    contract = Contract(dataset="t", fields=fields)
    found: list[Detection] = detect_drift(contract, profile_batch(before), profile_batch(after))
    return [(d.kind, d.field, d.to) for d in found]


def test_split_found_when_parts_appear_inside_old_values() -> None:
    fields = [
        {"name": "id", "type": "integer", "required": True},
        {"name": "endpoint", "type": "string", "required": True},
    ]
    before = [
        {"id": 1, "endpoint": "https://api.example.org/v1/users"},
        {"id": 2, "endpoint": "https://api.example.org/v1/orders"},
    ]
    after = [
        {"id": 3, "host": "api.example.org", "route": "/v1/users"},
        {"id": 4, "host": "api.example.org", "route": "/v1/orders"},
    ]
    assert _drift(fields, before, after) == [("split", "endpoint", ["host", "route"])]


def test_split_into_numbers_found_by_shape_and_names() -> None:
    fields = [{"name": "valid_until", "type": "string", "required": True}]
    before = [{"valid_until": "03/29"}, {"valid_until": "12/31"}]
    after = [{"valid_month": 7, "valid_year": 2030}, {"valid_month": 1, "valid_year": 2032}]
    assert _drift(fields, before, after) == [
        ("split", "valid_until", ["valid_month", "valid_year"])
    ]


def test_merge_of_date_and_time_found_by_shape_and_names() -> None:
    fields = [
        {"name": "shipped_day", "type": "string", "required": True},
        {"name": "shipped_clock", "type": "string", "required": True},
    ]
    before = [
        {"shipped_day": "2026-02-01", "shipped_clock": "08:00:00"},
        {"shipped_day": "2026-02-02", "shipped_clock": "17:45:10"},
    ]
    after = [{"shipped_at": "2026-02-03T09:30:00"}, {"shipped_at": "2026-02-03T11:00:05"}]
    assert _drift(fields, before, after) == [
        ("merge", "shipped_day", ["shipped_at"]),
        ("merge", "shipped_clock", ["shipped_at"]),
    ]


def test_merge_found_when_some_joined_values_reappear() -> None:
    fields = [
        {"name": "given_name", "type": "string", "required": True},
        {"name": "family_name", "type": "string", "required": True},
    ]
    before = [
        {"given_name": "Ana", "family_name": "Silva"},
        {"given_name": "Li", "family_name": "Wei"},
        {"given_name": "Ola", "family_name": "Nordmann"},
    ]
    after = [{"name": "Li Wei"}, {"name": "Maria de la Cruz"}, {"name": "Kim Min-jun"}]
    assert _drift(fields, before, after) == [
        ("merge", "given_name", ["name"]),
        ("merge", "family_name", ["name"]),
    ]


def test_unrelated_new_fields_are_not_a_split() -> None:
    fields = [{"name": "comment", "type": "string", "required": True}]
    before = [{"comment": "leave at door"}, {"comment": "ring twice"}]
    after = [{"channel": "web", "locale": "fr"}, {"channel": "app", "locale": "de"}]
    assert sorted(_drift(fields, before, after)) == [
        ("add", "channel", None),
        ("add", "locale", None),
        ("remove", "comment", None),
    ]
