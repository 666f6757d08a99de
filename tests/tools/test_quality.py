"""Tests for quality detections: null spikes, duplicates, ranges, freshness and silence."""

from __future__ import annotations

from core.contracts import Contract
from tools.monitoring.quality import detect_quality, detect_silence
from tools.profiling.profile_batch import profile_batch

CONTRACT = Contract(
    dataset="orders",
    fields=[
        {"name": "order_id", "type": "string", "required": True, "unique": True},
        {"name": "amount", "type": "integer", "min": 0, "max": 10000},
        {"name": "email", "type": "string"},
        {"name": "created_at", "type": "timestamp"},
    ],
    event_time="created_at",
    freshness={"max_delay_seconds": 300, "max_silence_seconds": 600},
)


def _orders(
    start: int, count: int, *, email_every: int = 10, minute: int = 0
) -> list[dict[str, object]]:
    return [
        {
            "order_id": f"o{i}",
            "amount": 100 + i,
            "email": None if i % email_every == 0 else f"u{i}@example.com",
            "created_at": f"2026-01-01T10:{minute + i % 5:02d}:00Z",
        }
        for i in range(start, start + count)
    ]


def _quality(before: list[dict[str, object]], after: list[dict[str, object]], **kwargs: object):  # type: ignore[no-untyped-def]
    baseline = profile_batch(before, event_time="created_at")
    return detect_quality(
        CONTRACT, baseline, profile_batch(after, event_time="created_at", **kwargs)
    )  # type: ignore[arg-type]


def test_conforming_batches_are_quiet() -> None:
    assert _quality(_orders(0, 30), _orders(30, 10)) == []
    assert _quality(_orders(0, 30), _orders(30, 3)) == []


def test_reports_null_spike_with_its_rate() -> None:
    after = _orders(30, 10)
    for event in after[:6]:
        event["email"] = None
    [found] = _quality(_orders(0, 30), after)
    assert (found.kind, found.field, found.rate) == ("null_spike", "email", 0.6)


def test_small_null_variation_is_not_a_spike() -> None:
    after = _orders(30, 10)
    after[1]["email"] = None
    assert _quality(_orders(0, 30), after) == []


def test_null_spike_needs_significance_against_a_small_baseline() -> None:
    before = _orders(0, 3, email_every=1000)
    after = _orders(3, 40, email_every=3)
    assert _quality(before[1:], after) == []


def test_null_spike_on_tiny_scenario_samples() -> None:
    before = _orders(1, 5, email_every=1000)
    after = _orders(6, 5)
    for event in after:
        event["email"] = None
    [found] = _quality(before, after)
    assert (found.kind, found.rate) == ("null_spike", 1.0)


def test_reports_duplicate_unique_keys_within_and_across_batches() -> None:
    after = _orders(30, 4)
    after[1]["order_id"] = "o30"
    after[2]["order_id"] = "o5"
    [found] = _quality(_orders(0, 30), after)
    assert (found.kind, found.field, found.evidence.count) == ("duplicates", "order_id", 2)


def test_reports_values_out_of_contract_range() -> None:
    after = _orders(30, 4)
    after[0]["amount"] = -5
    after[1]["amount"] = 20000
    [found] = _quality(_orders(0, 30), after)
    assert (found.kind, found.field, found.evidence.count) == ("out_of_range", "amount", 2)
    assert sorted(found.evidence.examples) == [-5, 20000]  # type: ignore[type-var]


def test_reports_late_events_from_arrival_times() -> None:
    arrival = 1767261600.0 + 3600  # 11:00 for events of 10:30..10:34
    [found] = _quality(_orders(0, 10, minute=20), _orders(10, 5, minute=30), arrived_at=arrival)
    assert found.kind == "freshness"
    assert found.seconds == 1800.0


def test_per_event_arrival_times_give_per_event_delays() -> None:
    after = _orders(10, 3, minute=30)
    base = 1767261600.0 + 30 * 60
    arrivals = [base + 10, base + 60 + 900, base + 120 + 20]
    [found] = _quality(_orders(0, 10, minute=20), after, arrived_at=arrivals)
    assert found.seconds == 900.0


def test_on_time_arrivals_are_quiet() -> None:
    arrival = 1767261600.0 + 35 * 60
    assert _quality(_orders(0, 10, minute=20), _orders(10, 5, minute=30), arrived_at=arrival) == []


def test_reports_events_older_than_the_baseline_watermark() -> None:
    [found] = _quality(_orders(0, 10, minute=40), _orders(10, 5, minute=0))
    assert found.kind == "freshness"
    assert found.seconds == 44 * 60


def test_reports_a_silent_gap_in_event_time() -> None:
    [found] = _quality(_orders(0, 10, minute=0), _orders(10, 5, minute=40))
    assert (found.kind, found.seconds) == ("freshness", 36 * 60)


def test_silence_uses_the_injected_clock() -> None:
    found = detect_silence(1000.0, 1700.0, 600.0)
    assert found is not None and (found.kind, found.seconds) == ("freshness", 700.0)
    assert detect_silence(1000.0, 1500.0, 600.0) is None
    assert detect_silence(None, 1500.0, 600.0) is None


def test_without_baseline_only_contract_checks_apply() -> None:
    after = _orders(0, 5)
    after[0]["email"] = None
    after[1]["amount"] = -1
    found = detect_quality(CONTRACT, None, profile_batch(after))
    assert [(d.kind, d.field) for d in found] == [("out_of_range", "amount")]
