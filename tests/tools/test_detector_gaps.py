"""Detector gaps: partly missing required fields, open objects, arrival-time freshness."""

from __future__ import annotations

import pytest

from core.contracts import Contract
from core.models import Detection
from tools.monitoring.dataset_monitor import DatasetMonitor
from tools.monitoring.detect_all import detect_all

Rows = list[dict[str, object]]


def _kinds(found: list[Detection]) -> list[tuple[str, str | None]]:
    return sorted((d.kind, d.field) for d in found)


ORDERS = Contract.model_validate(
    {
        "dataset": "orders",
        "fields": [
            {"name": "id", "type": "string", "required": True},
            {"name": "customer", "type": "string", "required": True},
            {"name": "total", "type": "number"},
        ],
    }
)


@pytest.mark.parametrize("kept", [1, 2, 3])
def test_a_required_field_missing_from_most_events_is_nullability(kept: int) -> None:
    before: Rows = [{"id": f"a{i}", "customer": f"c{i}", "total": 1.5 * i} for i in range(8)]
    after: Rows = [
        {"id": f"b{i}", "total": 2.0 * i, **({"customer": f"c{i}"} if i < kept else {})}
        for i in range(8)
    ]
    found = detect_all(ORDERS, before, after)
    assert _kinds(found) == [("nullability", "customer")]
    [detection] = found
    assert detection.rate == pytest.approx(1 - kept / 8)


def test_a_required_field_missing_from_every_event_is_still_removed() -> None:
    before: Rows = [{"id": f"a{i}", "customer": f"c{i}", "total": 1.5 * i} for i in range(4)]
    after: Rows = [{"id": f"b{i}", "total": 2.0 * i} for i in range(4)]
    assert _kinds(detect_all(ORDERS, before, after)) == [("remove", "customer")]


@pytest.mark.parametrize("leaf", ["zip", "geo.lat", "note"])
def test_undeclared_leaves_of_a_declared_object_are_not_removed(leaf: str) -> None:
    contract = Contract.model_validate(
        {
            "dataset": "users",
            "fields": [
                {"name": "id", "type": "string", "required": True},
                {"name": "address", "type": "object"},
                {"name": "address.city", "type": "string"},
            ],
        }
    )

    def address(i: int, with_leaf: bool) -> dict[str, object]:
        found: dict[str, object] = {"city": f"town{i}"}
        if with_leaf:
            head, _, tail = leaf.partition(".")
            found[head] = {tail: 1.5 + i} if tail else f"v{i}"
        return found

    before: Rows = [{"id": f"a{i}", "address": address(i, True)} for i in range(4)]
    after: Rows = [{"id": f"b{i}", "address": address(i, False)} for i in range(4)]
    assert [d for d in detect_all(contract, before, after) if d.kind == "remove"] == []


def _stamped(delay: int, gap_after: int = 0) -> tuple[Contract, Rows, Rows]:
    contract = Contract.model_validate(
        {
            "dataset": "clicks",
            "fields": [
                {"name": "id", "type": "string", "required": True},
                {"name": "at", "type": "timestamp", "required": True},
                {"name": "received", "type": "timestamp"},
            ],
            "event_time": "at",
            "arrival_time": "received",
            "freshness": {"max_delay_seconds": 300, "max_silence_seconds": 900},
        }
    )

    def row(i: int, late: int, shift: int) -> dict[str, object]:
        return {"id": f"e{i}", "at": _iso(60 * i + shift), "received": _iso(60 * i + shift + late)}

    before = [row(i, 5, 0) for i in range(4)]
    after = [row(i, delay, gap_after) for i in range(4, 8)]
    return contract, before, after


def _iso(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"2026-06-01T{10 + hours:02d}:{rest // 60:02d}:{rest % 60:02d}Z"


@pytest.mark.parametrize("delay", [600, 1200, 3000])
def test_lateness_is_the_arrival_time_field_minus_event_time(delay: int) -> None:
    contract, before, after = _stamped(delay)
    found = [d for d in detect_all(contract, before, after) if d.kind == "freshness"]
    [late] = [d for d in found if "late" in d.evidence.note]
    assert late.seconds == pytest.approx(delay)


def test_events_stamped_on_time_are_fresh_whatever_their_order() -> None:
    contract, before, after = _stamped(30)
    assert [d for d in detect_all(contract, before, after) if d.kind == "freshness"] == []


def test_silence_is_the_gap_between_arrivals() -> None:
    contract, before, after = _stamped(5, gap_after=3600)  # same lateness, an hour of silence
    [found] = [d for d in detect_all(contract, before, after) if d.kind == "freshness"]
    assert "arrival time" in found.evidence.note and found.seconds == pytest.approx(3660)


def test_the_live_monitor_reads_the_arrival_time_field() -> None:
    contract, before, after = _stamped(1200)
    monitor = DatasetMonitor(contract)
    monitor.observe(before, now=0.0)
    alerts = monitor.observe(after, now=1.0)
    found = [d for a in alerts for d in a.detections if d.kind == "freshness"]
    assert any(d.seconds == pytest.approx(1200) for d in found)
