"""Tests for the lag monitor's core: status changes become alerts, linked to their cause."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agents import lag_monitor
from agents.edges.store import Store, open_store
from agents.lag_monitor import LagState, observe
from core.models import AlertRaised, Detection, PartitionOffsets

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC).timestamp()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A real SQLite store in the test's directory."""
    opened = open_store(None, tmp_path)
    yield opened
    opened.close()


class _Clock:
    def __init__(self, step: float = 10.0) -> None:
        self.now, self.step = START, step

    def __call__(self) -> float:
        return self.now

    def advance(self) -> None:
        self.now += self.step


class _ScriptedReader:
    """Plays one list of offsets per read, and fails if read once too often."""

    def __init__(self, reads: list[list[PartitionOffsets]]) -> None:
        self._reads = iter(reads)

    async def read(self) -> list[PartitionOffsets]:
        return next(self._reads)


def _at(topic: str, partition: int, end: int, committed: int | None) -> PartitionOffsets:
    return PartitionOffsets(topic=topic, partition=partition, end=end, committed=committed)


def _deps(store: Store, clock: _Clock, window: int = 4) -> lag_monitor.Deps:
    return lag_monitor.Deps(group="shop.pipeline", book=store, clock=clock, window=window)


async def _run(
    deps: lag_monitor.Deps, clock: _Clock, reads: list[list[PartitionOffsets]]
) -> list[AlertRaised]:
    """Sample after sample, as the Kafka edge's loop does: read, judge, advance the clock."""
    reader, alerts = _ScriptedReader(reads), []
    for _ in reads:
        alerts += await lag_monitor.handle_offsets(await reader.read(), deps)
        clock.advance()
    return alerts


def _drift_alert(topic: str, at: float) -> AlertRaised:
    return AlertRaised(
        source="suture.drift_monitor",
        category="drift",
        dataset=topic,
        detections=[Detection(kind="rename", field="cust_id", to="customer_id")],
        summary=f"{topic}: rename cust_id -> customer_id",
        occurred_at=datetime.fromtimestamp(at, UTC),
    )


def _stalling(topic: str = "orders") -> list[list[PartitionOffsets]]:
    """Partition 0 keeps up; partition 1 catches up once, then stops moving at offset 20."""
    reads = [[_at(topic, 0, 10, 10), _at(topic, 1, 20, 20)]]
    reads += [[_at(topic, 0, 10 + i, 10 + i), _at(topic, 1, 20 + 5 * i, 20)] for i in range(1, 6)]
    return reads


async def test_a_partition_whose_commits_stop_moving_raises_one_stall_alert(store: Store) -> None:
    clock = _Clock()
    alerts = await _run(_deps(store, clock), clock, _stalling())

    [alert] = alerts
    assert alert.category == "lag" and alert.dataset == "orders"
    [detection] = alert.detections
    assert (detection.kind, detection.status, detection.partition) == ("lag", "STALL", 1)
    assert detection.evidence.count == 20  # at the 4th sample behind: the window is full
    assert detection.seconds == 40.0  # 20 messages at 0.5 messages per second
    assert "partition 1 STALL" in alert.summary and "growing" in alert.summary
    assert alert.related_alert_ids == []
    assert [a.event_id for a in await store.list_alerts("orders")] == [alert.event_id]


async def test_a_group_that_keeps_up_raises_nothing(store: Store) -> None:
    clock = _Clock()
    reads = [[_at("orders", 0, 10 * i, 10 * i - (i % 2) * 3)] for i in range(1, 12)]
    assert await _run(_deps(store, clock), clock, reads) == []


async def test_lag_alert_links_the_drift_alert_raised_shortly_before(store: Store) -> None:
    clock = _Clock()
    # The drift monitor reads the same events as the consumer: its alert may come just after.
    drift = _drift_alert("orders", START + 12)  # raised just after the lag first showed
    await store.save_alert(_drift_alert("orders", START - 3600))  # too old to explain it
    await store.save_alert(drift)
    await store.save_alert(_drift_alert("payments", START + 6))  # another topic

    [alert] = await _run(_deps(store, clock), clock, _stalling())

    assert alert.related_alert_ids == [drift.event_id]
    assert "consumer stalled since the producer's change" in alert.summary
    assert drift.event_id[:8] in alert.summary


async def test_a_drift_alert_after_the_lag_showed_does_not_explain_it(store: Store) -> None:
    clock = _Clock()
    # The first sample behind is at START + 10; the grace after it is 5 s.
    await store.save_alert(_drift_alert("orders", START + 16))

    [alert] = await _run(_deps(store, clock), clock, _stalling())

    assert alert.related_alert_ids == []


async def test_only_status_changes_alert_and_recovery_resets(store: Store) -> None:
    clock = _Clock()
    reads = _stalling()
    reads += [[_at("orders", 0, 20, 20), _at("orders", 1, 60, 60)]]  # caught up again: OK
    reads += [[_at("orders", 0, 20, 20), _at("orders", 1, 60 + i, 60)] for i in range(1, 5)]

    alerts = await _run(_deps(store, clock), clock, reads)

    assert [[d.status for d in a.detections] for a in alerts] == [["STALL"], ["STALL"]]


def test_committed_offset_going_backwards_is_reported_as_err() -> None:
    state = LagState()
    changes = []
    for t, committed in enumerate([10, 20, 30, 15]):
        changes += observe(state, [_at("orders", 0, 100 + t, committed)], float(t), window=4)
    [change] = changes
    assert (change.before, change.report.status) == ("OK", "ERR")


def test_partitions_without_a_commit_are_not_judged() -> None:
    state = LagState()
    for t in range(5):
        assert observe(state, [_at("orders", 0, 100 + t, None)], float(t), window=3) == []
    assert state.samples == {}


def test_window_keeps_only_the_last_samples_per_partition() -> None:
    state = LagState()
    for t in range(10):
        observe(state, [_at("orders", 0, 100, 100)], float(t), window=3)
    assert [s.t for s in state.samples[("orders", 0)]] == [7.0, 8.0, 9.0]
