"""Tests for the drift monitor agent: DatasetMonitor alerts, samples first, on_violation policy."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from agents import drift_monitor
from agents.edges.store import Store, open_store
from core.contracts import Contract
from core.models import AlertRaised, DeadLetter, FixApplied, HeldEvent, IncidentEscalated
from tools.monitoring.dataset_monitor import DatasetMonitor

FIELDS = [
    {"name": "id", "type": "string", "required": True, "unique": True},
    {"name": "customer", "type": "integer", "required": True},
    {"name": "amount", "type": "integer", "required": True, "min": 0},
]


@dataclass(frozen=True)
class _Record:
    value: bytes | None
    offset: int
    partition: int = 0
    topic: str = "orders"
    key: bytes | None = None
    timestamp: int = 1_767_261_600_000


class _Ledger:
    """Keeps alerts and samples, and the order in which they were saved."""

    def __init__(self) -> None:
        self.saved: list[tuple[str, str]] = []
        self.samples: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}

    async def save_samples(
        self, alert_id: str, dataset: str, before: list[dict[str, Any]], after: list[dict[str, Any]]
    ) -> bool:
        self.saved.append(("samples", alert_id))
        self.samples[alert_id] = (before, after)
        return True

    async def save_alert(self, alert: AlertRaised) -> bool:
        self.saved.append(("alert", alert.event_id))
        return True


def _deps(policy: str = "pass", ledger: Any = None, now: list[float] | None = None) -> Any:
    contract = Contract(dataset="orders", fields=FIELDS, key="id", on_violation=policy)
    clock = now if now is not None else [1000.0]
    return drift_monitor.Deps(
        monitor=DatasetMonitor(contract),
        ledger=ledger or _Ledger(),
        clock=lambda: clock[0],
    )


def _records(events: list[dict[str, Any]], start: int = 0) -> list[_Record]:
    return [_Record(orjson.dumps(e), start + i) for i, e in enumerate(events)]


def _orders(start: int, count: int, *, renamed: bool = False) -> list[dict[str, Any]]:
    name = "customer_id" if renamed else "customer"
    return [
        {"id": f"o{n}", name: 1000 + n % 7, "amount": 100 + n * 3}
        for n in range(start, start + count)
    ]


def _events(out: list[Any], kind: type[Any]) -> list[Any]:
    return [o for o in out if isinstance(o, kind)]


def _alerts(out: list[Any]) -> list[AlertRaised]:
    return _events(out, AlertRaised)


def _quarantined(out: list[Any]) -> list[HeldEvent]:
    return [o for o in out if isinstance(o, HeldEvent)]


async def test_conforming_traffic_raises_nothing_and_quarantines_nothing() -> None:
    deps = _deps("quarantine")
    for batch in range(4):
        out = await drift_monitor.handle_batch(_records(_orders(batch * 20, 20), batch * 20), deps)
        assert out == []
    assert deps.monitor.baseline is not None and deps.monitor.baseline.total == 80


async def test_dead_letters_undecodable_event() -> None:
    deps = _deps()
    records = [*_records(_orders(0, 3)), _Record(b'{"id": "o-broken", ', 3, key=b"k")]
    [letter] = await drift_monitor.handle_batch(records, deps)
    assert isinstance(letter, DeadLetter) and letter.topic == "orders"
    assert (letter.offset, letter.key, letter.error_type) == (3, "k", "EventDecodeError")


async def test_a_framed_message_without_a_registry_says_what_to_configure() -> None:
    deps = _deps()
    framed = b"\x00" + (17).to_bytes(4, "big") + b"\x02avro payload"
    [letter] = await drift_monitor.handle_batch(
        [*_records(_orders(0, 2)), _Record(framed, 2)], deps
    )
    assert isinstance(letter, DeadLetter)
    assert "framed message (magic byte 0, schema id 17)" in letter.reason
    assert "set registry.url (SUTURE_REGISTRY_URL)" in letter.reason


async def test_rename_raises_one_alert_with_samples_saved_before_it_is_returned() -> None:
    ledger = _Ledger()
    deps = _deps(ledger=ledger)
    await drift_monitor.handle_batch(_records(_orders(0, 30)), deps)
    out = await drift_monitor.handle_batch(_records(_orders(30, 20, renamed=True), 30), deps)
    again = await drift_monitor.handle_batch(_records(_orders(50, 20, renamed=True), 50), deps)

    [alert] = _alerts(out)
    assert ("rename", "customer", "customer_id") in [d.identity() for d in alert.detections]
    assert _alerts(again) == [], "one change raises one alert"
    assert ledger.saved == [("samples", alert.event_id), ("alert", alert.event_id)]
    before, after = ledger.samples[alert.event_id]
    assert len(before) == 30 and "customer" in before[0]
    assert len(after) == 20 and all("customer_id" in e for e in after)


async def test_a_change_mid_batch_is_one_rename_and_the_prefix_is_learned() -> None:
    deps = _deps()
    await drift_monitor.handle_batch(_records(_orders(0, 20)), deps)
    mixed = [*_orders(20, 10), *_orders(30, 10, renamed=True)]
    out = await drift_monitor.handle_batch(_records(mixed, 20), deps)

    [alert] = _alerts(out)
    assert ("rename", "customer", "customer_id") in [d.identity() for d in alert.detections]
    assert deps.monitor.baseline is not None and deps.monitor.baseline.total == 30
    assert "customer_id" not in deps.monitor.baseline.fields


async def test_quarantine_copies_raw_bytes_with_reasons_and_source_in_headers() -> None:
    deps = _deps("quarantine")
    raw = b'{"id": "o9", "customer": "1009", "amount": -5}'
    records = [*_records(_orders(0, 5)), _Record(raw, 5, key=b"o9")]
    out = await drift_monitor.handle_batch(records, deps)

    [copy] = _quarantined(out)
    headers = {k: v.decode() for k, v in copy.headers}
    assert (copy.kind, copy.dataset, copy.value, copy.key) == ("quarantine", "orders", raw, b"o9")
    assert "customer: wrong_type" in headers["suture-reason"]
    assert "amount: below_min" in headers["suture-reason"]
    assert headers["suture-policy"] == "quarantine"
    assert (headers["suture-source-topic"], headers["suture-source-offset"]) == ("orders", "5")


async def test_pass_policy_quarantines_nothing() -> None:
    deps = _deps("pass")
    out = await drift_monitor.handle_batch(_records(_orders(0, 5, renamed=True)), deps)
    assert _quarantined(out) == []


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(None, tmp_path)
    yield opened
    opened.close()


async def test_block_quarantines_and_raises_one_incident_per_cooldown(store: Store) -> None:
    now = [1000.0]
    deps = _deps("block", ledger=store, now=now)
    first = await drift_monitor.handle_batch(_records(_orders(0, 5, renamed=True)), deps)
    second = await drift_monitor.handle_batch(_records(_orders(5, 5, renamed=True), 5), deps)
    now[0] += 601
    third = await drift_monitor.handle_batch(_records(_orders(10, 5, renamed=True), 10), deps)

    incidents = _events(first + second + third, IncidentEscalated)
    assert len(incidents) == 2 and "blocked" in incidents[0].reason
    assert len(_quarantined(first + second + third)) == 15
    assert {dict(q.headers)["suture-policy"] for q in _quarantined(first)} == {b"block"}
    stored = await store.list_alerts("orders")
    assert [a.category for a in stored] == ["drift", "drift"], "samples and alert kept too"
    assert [a.event_id for a in stored] == [a.event_id for a in _alerts(first + third)]


async def test_silence_beyond_the_contract_limit_raises_one_freshness_alert() -> None:
    now = [1000.0]
    contract = Contract(dataset="orders", fields=FIELDS, freshness={"max_silence_seconds": 60})
    deps = _deps(now=now)
    deps = drift_monitor.Deps(**{**deps.__dict__, "monitor": DatasetMonitor(contract)})
    await drift_monitor.handle_batch(_records(_orders(0, 5)), deps)
    assert await drift_monitor.check_silence(deps) == []
    now[0] += 61

    [alert] = await drift_monitor.check_silence(deps)

    assert isinstance(alert, AlertRaised)
    assert [(d.kind, d.seconds) for d in alert.detections] == [("freshness", 61.0)]
    assert await drift_monitor.check_silence(deps) == []


async def test_after_the_fix_events_broken_the_same_way_are_no_longer_held() -> None:
    deps = _deps("quarantine")
    await drift_monitor.handle_batch(_records(_orders(0, 20)), deps)
    out = await drift_monitor.handle_batch(_records(_orders(20, 5, renamed=True), 20), deps)
    [alert] = _alerts(out)
    assert len(_quarantined(out)) == 5
    unrelated = FixApplied(proposal_id="p0", alert_id="someone-else", dataset="orders")
    assert await drift_monitor.handle_fix(unrelated, deps) == []
    assert (
        len(
            _quarantined(
                await drift_monitor.handle_batch(_records(_orders(25, 1, renamed=True), 25), deps)
            )
        )
        == 1
    )

    fixed = FixApplied(proposal_id="p1", alert_id=alert.event_id, dataset="orders")
    assert await drift_monitor.handle_fix(fixed, deps) == []
    later = await drift_monitor.handle_batch(_records(_orders(25, 5, renamed=True), 25), deps)
    other = {"id": "o99", "customer_id": 1, "amount": -1}
    still = await drift_monitor.handle_batch(_records([other], 30), deps)

    assert _quarantined(later) == []
    assert [q.value for q in _quarantined(still)] == [orjson.dumps(other)], "a new way is held"


async def test_a_required_field_missing_in_some_events_is_nullability_not_removal() -> None:
    deps = _deps()
    await drift_monitor.handle_batch(_records(_orders(0, 20)), deps)
    events = _orders(20, 10)
    for event in events[::2]:
        del event["customer"]
    out = await drift_monitor.handle_batch(_records(events, 20), deps)

    [alert] = _alerts(out)
    assert [d.identity() for d in alert.detections] == [("nullability", "customer", None)]


async def test_a_fix_that_updates_the_contract_makes_the_monitor_judge_by_it() -> None:
    deps = _deps("quarantine")
    await drift_monitor.handle_batch(_records(_orders(0, 20)), deps)
    await drift_monitor.handle_batch(_records(_orders(20, 5, renamed=True), 20), deps)
    renamed = [{**f, "name": "customer_id"} if f["name"] == "customer" else f for f in FIELDS]
    updated = Contract(dataset="orders", fields=renamed, key="id", on_violation="quarantine")
    other = FixApplied(proposal_id="p2", alert_id="x", dataset="payments", contract=updated)
    await drift_monitor.handle_fix(other, deps)
    assert deps.monitor.contract.field("customer_id") is None, "another topic's fix is ignored"

    fix = FixApplied(proposal_id="p1", alert_id="a", dataset="orders", contract=updated)
    await drift_monitor.handle_fix(fix, deps)

    assert deps.monitor.contract == updated
    out = await drift_monitor.handle_batch(_records(_orders(100, 20, renamed=True), 100), deps)
    assert _quarantined(out) == [] and _alerts(out) == []
