"""Watches one contracted topic in micro-batches: DatasetMonitor alerts, plus the contract's policy.

Detection is DatasetMonitor's (tools/monitoring/dataset_monitor.py), one mechanism for live and
offline use: each micro-batch (undecodable events aside) is observed with its offsets, partitions
and arrival times (the records' timestamps), whole or cut where the producer changed (see
`_segments`). Each alert's samples (before: the monitor's reservoir of conforming events;
after: the events breaking the contract, or the batch when none does) and the alert itself are
stored BEFORE the alert is returned for publication.

Per event, the contract's `on_violation` decides what happens to events that break it:
`pass` nothing; `quarantine` copies the raw bytes, unchanged, to `<topic>.quarantine` with the
reasons and their source position in headers (agents/quarantine.py replays them once a fix is
applied); `block` quarantines the same way, withholds them from that replay, and raises an
incident asking a human. suture cannot stop a foreign engine reading the topic, so `block`
means "suture will not feed these events to the fixed pipeline until a human releases them".
Once a fix for a drift alert is applied (`handle_fix`, fed by the same loop as the batches, so
the monitor's state has one owner), events that break the contract only the way that alert's
events did are no longer held back, and the monitor judges by the contract the fix left.
Undecodable events become dead letters. The monitor names no topic: it returns events and the
Kafka edge's Destinations table publishes them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from agents.quarantine import quarantine_headers
from core.models import (
    AlertCategory,
    AlertRaised,
    DeadLetter,
    FixApplied,
    HeldEvent,
    IncidentEscalated,
)
from core.ports import AlertStore, RecordDecoder, SchemaChangeReport
from tools.contracts.check import Violation, check_decoded
from tools.monitoring.dataset_monitor import DatasetMonitor
from tools.profiling.profile_batch import DecodedEvents, decode_events

_log = logging.getLogger(__name__)
SOURCE = "suture.drift_monitor"
SAMPLE_LIMIT = 200
MAX_REMEMBERED = 100  # drift alerts whose violations are kept until a fix accepts them
Output = AlertRaised | DeadLetter | HeldEvent | IncidentEscalated


class RawRecord(Protocol):
    """What the monitor reads of a Kafka record."""

    @property
    def value(self) -> bytes | None: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def offset(self) -> int: ...
    @property
    def partition(self) -> int: ...
    @property
    def topic(self) -> str: ...
    @property
    def timestamp(self) -> int: ...


Signature = tuple[str | None, str]  # (field, rule) of a contract violation


@dataclass
class PolicyState:
    """What the policy remembers: the last "blocked" incident (one per cool-down), the
    violations behind each drift alert, and those a fix made acceptable."""

    incident_at: float | None = None
    raised: dict[str, frozenset[Signature]] = field(default_factory=dict)
    accepted: set[Signature] = field(default_factory=set)


@dataclass
class SchemaState:
    """The registry schema id the topic's messages were last written with."""

    schema_id: int | None = None


@dataclass(frozen=True)
class Deps:
    """What the monitor of one topic needs; `monitor` holds the contract and what it learned.
    `decoder` reads Schema Registry framed messages (None: every message is JSON)."""

    monitor: DatasetMonitor
    ledger: AlertStore
    clock: Callable[[], float]
    policy: PolicyState = field(default_factory=PolicyState)
    decoder: RecordDecoder | None = None
    schema: SchemaState = field(default_factory=SchemaState)


async def handle_batch(records: Sequence[RawRecord], deps: Deps) -> list[Output]:
    """Judge one micro-batch; return dead letters, quarantined copies, alerts and incidents."""
    contract = deps.monitor.contract
    out: list[Output] = []
    changes: list[SchemaChangeReport] = []
    if deps.decoder is None:
        raw = [r.value or b"" for r in records]
    else:
        records, raw, letters, changes = await _decode_framed(records, deps)
        out += letters
    decoded, indices, rejects = decode_events(raw)  # once, for checking and for profiling
    violations = check_decoded(contract, decoded, indices, rejects, len(raw))
    row_of = dict(zip(indices, range(len(indices)), strict=True))
    good: list[int] = []
    bad: list[int] = []
    for index, found in enumerate(violations):
        if any(v.rule == "malformed" for v in found):
            out.append(_dead_letter(records[index], _why_unreadable(raw[index], found[0].detail)))
        else:
            (bad if found else good).append(index)
    now = deps.clock()
    detected: dict[AlertCategory, list[AlertRaised]] = {}
    for segment in _segments(sorted(good + bad), set(bad)):
        for alert in deps.monitor.observe(
            decoded
            if len(segment) == len(decoded)
            else DecodedEvents(decoded[row_of[i]] for i in segment),
            now=now,
            offsets=[records[i].offset for i in segment],
            partitions=[records[i].partition for i in segment],
            arrived_at=[records[i].timestamp / 1000 for i in segment],
        ):
            detected.setdefault(alert.category, []).append(alert)
    if changes:
        detected["drift"] = _with_schema_changes(detected.get("drift", []), changes, deps)
    if "drift" in detected and "quality" in detected:
        # One picture of the batch for the healer, as the monitor groups one segment's findings.
        detected["drift"] = [*detected["drift"], *detected.pop("quality")]
    for category, raised in detected.items():
        alert = _merged(raised)
        # The drifted events are those breaking the contract (the batch when none does).
        drifted = bad if category == "drift" and bad else sorted(good + bad)
        if category == "drift":
            _remember(deps.policy, alert.event_id, [violations[i] for i in bad])
        after = [_decoded(raw[i]) for i in drifted[:SAMPLE_LIMIT]]
        before = [dict(e) for e in deps.monitor.before]
        await deps.ledger.save_samples(alert.event_id, contract.dataset, before, after)
        await deps.ledger.save_alert(alert)
        _log.info("alert raised: %s", alert.summary, extra={"event_id": alert.event_id})
        out.append(alert)
    held = [i for i in bad if not _signatures(violations[i]) <= deps.policy.accepted]
    if contract.on_violation != "pass":
        out += [_quarantined(records[i], violations[i], deps) for i in held]
    if contract.on_violation == "block" and held:
        out += _block_incident(deps, len(held), now)
    return out


async def handle_fix(event: FixApplied, deps: Deps) -> list[Output]:
    """A fix was applied: if it answers one of this monitor's drift alerts, stop holding back
    events that break the contract only the way that alert's events did (the fixed pipeline
    reads them now); if it brought the topic's contract up to date, judge by that contract.

    In memory: after a restart, the contract on the default branch (merged with the fix) holds.
    """
    if event.dataset != deps.monitor.contract.dataset:
        return []
    found = deps.policy.raised.pop(event.alert_id, None)
    if found is not None:
        deps.policy.accepted |= found
    if event.contract is not None and event.contract != deps.monitor.contract:
        deps.monitor.rebaseline(event.contract)
    return []


def _signatures(found: Sequence[Violation]) -> frozenset[Signature]:
    return frozenset((v.field, v.rule) for v in found)


def _remember(policy: PolicyState, alert_id: str, found: Sequence[Sequence[Violation]]) -> None:
    policy.raised[alert_id] = frozenset().union(*(_signatures(v) for v in found))
    while len(policy.raised) > MAX_REMEMBERED:
        del policy.raised[next(iter(policy.raised))]


async def check_silence(deps: Deps) -> list[Output]:
    """A freshness alert when the topic has been silent longer than its contract allows."""
    out: list[Output] = []
    for alert in deps.monitor.check_silence(now=deps.clock()):
        await deps.ledger.save_alert(alert)
        out.append(alert)
    return out


def _segments(kept: list[int], bad: set[int]) -> list[list[int]]:
    """The batch, cut in two where the producer changed: when every event from the first one
    breaking the contract on breaks it too, the conforming prefix and the changed suffix are
    observed apart (a rename mid-batch is a rename, not an add plus a nullability). Breaks
    interleaved with conforming events (some nulls) stay one batch, so their share is seen."""
    first = next((n for n, i in enumerate(kept) if i in bad), None)
    if first is None or first == 0 or not all(i in bad for i in kept[first:]):
        return [kept] if kept else []
    return [kept[:first], kept[first:]]


def _merged(alerts: Sequence[AlertRaised]) -> AlertRaised:
    """One alert, even when both parts of a cut batch found something; named after the drift
    when some part found drift."""
    if len(alerts) == 1:
        return alerts[0]
    detections = [d for a in alerts for d in a.detections]
    summary = "; ".join(a.summary for a in alerts if a.summary)
    first = next((a for a in alerts if a.category == "drift"), alerts[0])
    return first.model_copy(update={"detections": detections, "summary": summary})


def _quarantined(record: RawRecord, found: Sequence[Violation], deps: Deps) -> HeldEvent:
    reasons = [f"{v.field or '(event)'}: {v.rule} ({v.detail})" for v in found]
    return HeldEvent(
        kind="quarantine",
        dataset=deps.monitor.contract.dataset,
        value=record.value or b"",
        key=record.key,
        headers=quarantine_headers(
            reasons=reasons,
            policy=deps.monitor.contract.on_violation,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
        ),
    )


def _block_incident(deps: Deps, count: int, now: float) -> list[Output]:
    last = deps.policy.incident_at
    if last is not None and now - last <= deps.monitor.cooldown_seconds:
        return []
    deps.policy.incident_at = now
    dataset = deps.monitor.contract.dataset
    incident = IncidentEscalated(
        alert_id=f"block:{dataset}",
        dataset=dataset,
        reason=(
            f"topic {dataset!r} is blocked by its contract (on_violation: block): {count} "
            f"event(s) broke it and were quarantined to {dataset + '.quarantine'!r} (by default); "
            "suture will not replay them after a fix. Inspect them, then release them with "
            "agents.quarantine.replay_quarantined(..., release_blocked=True) or fix the producer"
        ),
    )
    return [incident]


def _decoded(raw: bytes) -> dict[str, Any]:
    value = orjson.loads(raw)
    return value if isinstance(value, dict) else {}


def _dead_letter(record: RawRecord, reason: str) -> DeadLetter:
    return DeadLetter.of_payload(
        record.value or b"",
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=None if record.key is None else record.key.decode("utf-8", errors="replace"),
        reason=f"undecodable event on {record.topic!r}: {reason}",
        error_type="EventDecodeError",
    )


async def _decode_framed(
    records: Sequence[RawRecord], deps: Deps
) -> tuple[list[RawRecord], list[bytes], list[Output], list[SchemaChangeReport]]:
    """Registry-framed values as JSON: the records kept, their JSON, the dead letters of those
    that cannot be read, and one report per switch to a schema id not seen just before."""
    assert deps.decoder is not None
    topic = deps.monitor.contract.dataset
    results = await deps.decoder.decode(topic, [r.value or b"" for r in records])
    kept: list[RawRecord] = []
    raw: list[bytes] = []
    letters: list[Output] = []
    changes: list[SchemaChangeReport] = []
    for record, result in zip(records, results, strict=True):
        if result.value is None:
            letters.append(_dead_letter(record, result.error or "unreadable"))
            continue
        kept.append(record)
        raw.append(result.value)
        previous, now = deps.schema.schema_id, result.schema_id
        if now is not None and previous is not None and now != previous:
            changes.append(await deps.decoder.schema_change(topic, previous, now))
        if now is not None:
            deps.schema.schema_id = now
    return kept, raw, letters, changes


def _with_schema_changes(
    alerts: Sequence[AlertRaised], changes: Sequence[SchemaChangeReport], deps: Deps
) -> list[AlertRaised]:
    """The batch's drift alert carrying the (last) schema change, its declared renames in place
    of the remove + add the data showed; or a drift alert made from the schemas' comparison."""
    report = changes[-1]
    change = report.change
    renamed = {r.old: r.new for r in change.declared_renames}
    declared = [d for d in report.detections if d.kind == "rename"]
    summary = (
        f"{change.subject}: schema id {change.old_schema_id} -> {change.new_schema_id} "
        f"(version {change.old_version} -> {change.new_version}); suture: {change.verdict}, "
        f"registry: {change.registry_verdict}"
    )
    if alerts:
        alert = _merged(alerts)
        kept = [
            d
            for d in alert.detections
            if not (d.field in renamed and d.kind in ("remove", "rename", "nullability"))
            and not (d.kind == "add" and d.field in renamed.values())
        ]
        update = {
            "detections": declared + kept,
            "schema_change": change,
            "summary": f"{alert.summary}; {summary}",
        }
        return [alert.model_copy(update=update)]
    if not report.detections:
        _log.info("schema changed without a field change: %s", summary)
        return []
    return [
        AlertRaised(
            source=SOURCE,
            category="drift",
            dataset=deps.monitor.contract.dataset,
            detections=list(report.detections),
            summary=summary,
            contract_fingerprint=deps.monitor.contract.fingerprint(),
            schema_change=change,
        )
    ]


def _why_unreadable(value: bytes, detail: str) -> str:
    """The decoder's reason, or what a Schema Registry framed message needs to be read."""
    if len(value) < 5 or value[0] != 0:
        return detail
    schema_id = int.from_bytes(value[1:5], "big")
    return (
        f"a Schema Registry framed message (magic byte 0, schema id {schema_id}) but no "
        "registry is configured; set registry.url (SUTURE_REGISTRY_URL)"
    )
