"""Tests for DatasetMonitor: one alert per change, flap suppression, baseline and reservoirs."""

from __future__ import annotations

import orjson

from core.contracts import Contract
from tools.monitoring.dataset_monitor import DatasetMonitor

CONTRACT = Contract(
    dataset="orders",
    fields=[
        {"name": "order_id", "type": "string", "required": True},
        {"name": "cust_id", "type": "integer", "required": True},
        {"name": "status", "type": "string", "enum": ["placed", "shipped"]},
    ],
    freshness={"max_silence_seconds": 600},
)


def _batch(start: int, *, renamed: bool = False, status: str = "placed") -> list[bytes]:
    key = "customer_id" if renamed else "cust_id"
    return [
        orjson.dumps({"order_id": f"o{i}", key: i % 7, "status": status})
        for i in range(start, start + 5)
    ]


def _monitor() -> DatasetMonitor:
    monitor = DatasetMonitor(CONTRACT, cooldown_seconds=300, reservoir_size=8)
    assert monitor.observe(_batch(0), now=0) == []
    return monitor


def test_conforming_batches_raise_nothing_and_build_the_baseline() -> None:
    monitor = _monitor()
    assert monitor.observe(_batch(5), now=10) == []
    assert monitor.baseline is not None and monitor.baseline.total == 10
    assert len(monitor.before) == 8
    assert not monitor.after


def test_one_change_raises_one_alert_not_one_per_batch() -> None:
    monitor = _monitor()
    [alert] = monitor.observe(_batch(5, renamed=True), now=10)
    assert (alert.category, alert.dataset, alert.source) == ("drift", "orders", "suture.monitors")
    assert [(d.kind, d.field, d.to) for d in alert.detections] == [
        ("rename", "cust_id", "customer_id")
    ]
    assert alert.contract_fingerprint == CONTRACT.fingerprint()
    for step in range(1, 6):
        assert monitor.observe(_batch(5 + 5 * step, renamed=True), now=10 + step) == []


def test_drifted_batches_do_not_change_the_baseline_and_fill_the_after_reservoir() -> None:
    monitor = _monitor()
    monitor.observe(_batch(5, renamed=True), now=10)
    assert monitor.baseline is not None and monitor.baseline.total == 5
    assert [e["order_id"] for e in monitor.after] == ["o5", "o6", "o7", "o8", "o9"]
    assert all("cust_id" in e for e in monitor.before)


def test_flapping_producer_does_not_flood() -> None:
    monitor = _monitor()
    alerts = []
    for step in range(10):
        alerts += monitor.observe(_batch(5 + 5 * step, renamed=step % 2 == 0), now=10 + 20 * step)
    assert len(alerts) == 1


def test_change_seen_again_after_the_cooldown_raises_again() -> None:
    monitor = _monitor()
    assert len(monitor.observe(_batch(5, renamed=True), now=10)) == 1
    assert monitor.observe(_batch(10), now=20) == []
    assert len(monitor.observe(_batch(15, renamed=True), now=1000)) == 1


def test_a_different_change_raises_a_new_alert() -> None:
    monitor = _monitor()
    monitor.observe(_batch(5, renamed=True), now=10)
    [alert] = monitor.observe(_batch(10, status="lost"), now=20)
    assert [(d.kind, d.value) for d in alert.detections] == [("enum_new_value", "lost")]
    [again] = monitor.observe(_batch(15, status="gone"), now=30)
    assert [d.value for d in again.detections] == ["gone"]


def test_silence_alert_uses_the_injected_clock_once() -> None:
    monitor = _monitor()
    assert monitor.check_silence(now=500) == []
    [alert] = monitor.check_silence(now=700)
    assert (alert.category, alert.detections[0].kind) == ("quality", "freshness")
    assert monitor.check_silence(now=750) == []


def test_malformed_events_do_not_crash_the_monitor() -> None:
    monitor = _monitor()
    assert monitor.observe([b"{oops", *_batch(5)], now=10) == []


def test_rebaseline_starts_learning_again() -> None:
    monitor = _monitor()
    monitor.observe(_batch(5, renamed=True), now=10)
    monitor.rebaseline()
    assert monitor.baseline is None and not monitor.before and not monitor.after


def test_replayed_unique_keys_across_batches_are_duplicates() -> None:
    contract = CONTRACT.model_copy(
        update={
            "fields": [
                f.model_copy(update={"unique": f.name == "order_id"}) for f in CONTRACT.fields
            ]
        }
    )
    monitor = DatasetMonitor(contract, cooldown_seconds=300)
    assert monitor.observe(_batch(0), now=0) == []
    assert monitor.observe(_batch(5), now=1) == []
    [alert] = monitor.observe(_batch(3), now=2)
    assert [(d.kind, d.field, d.evidence.count) for d in alert.detections] == [
        ("duplicates", "order_id", 5)
    ]


def test_an_added_field_is_alerted_once_then_learned() -> None:
    monitor = _monitor()
    extra = [orjson.dumps({**orjson.loads(e), "channel": "web"}) for e in _batch(5)]
    [alert] = monitor.observe(extra, now=10)
    assert [(d.kind, d.field) for d in alert.detections] == [("add", "channel")]
    assert monitor.baseline is not None and "channel" in monitor.baseline.fields
    assert monitor.observe(extra, now=5000) == []


def test_drift_and_redeliveries_in_one_batch_raise_one_alert_with_both() -> None:
    contract = CONTRACT.model_copy(
        update={
            "fields": [
                f.model_copy(update={"unique": f.name == "order_id"}) for f in CONTRACT.fields
            ]
        }
    )
    monitor = DatasetMonitor(contract, cooldown_seconds=300)
    assert monitor.observe(_batch(0), now=0) == []
    renamed = _batch(5, renamed=True)
    [alert] = monitor.observe([*renamed, *renamed[:2]], now=1)
    assert alert.category == "drift"
    assert {d.kind for d in alert.detections} == {"rename", "duplicates"}


def test_quality_findings_alone_make_a_quality_alert() -> None:
    contract = CONTRACT.model_copy(
        update={
            "fields": [
                f.model_copy(update={"unique": f.name == "order_id"}) for f in CONTRACT.fields
            ]
        }
    )
    monitor = DatasetMonitor(contract, cooldown_seconds=300)
    assert monitor.observe(_batch(0), now=0) == []
    [alert] = monitor.observe([*_batch(5), *_batch(5)[:1]], now=1)
    assert (alert.category, [d.kind for d in alert.detections]) == ("quality", ["duplicates"])
