"""Watches one contracted topic in micro-batches and raises one alert per change it sees.

Drift is judged on the events that break the contract, against a baseline learned from the
events that keep it; quality on the whole batch. Undecodable events become dead letters. A change
already alerted stays quiet for a cool-down, so a flapping producer does not flood the alerts.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from pydantic import BaseModel

from agents.core.contracts import Contract
from agents.core.models import AlertRaised, DeadLetter, Detection
from tools.batch_profile import BatchProfile
from tools.contract_check import check_batch
from tools.drift_detection import detect_drift
from tools.profiling import profile_batch
from tools.quality import detect_quality

_log = logging.getLogger(__name__)
SOURCE = "suture.drift_monitor"


class RawRecord(Protocol):
    """What the monitor reads of a Kafka record."""

    @property
    def value(self) -> bytes | None: ...
    @property
    def offset(self) -> int: ...
    @property
    def partition(self) -> int: ...
    @property
    def topic(self) -> str: ...


class AlertLedger(Protocol):
    """Where alerts and their evidence samples are kept before the alert is published."""

    async def save_samples(
        self, alert_id: str, dataset: str, before: list[dict[str, Any]], after: list[dict[str, Any]]
    ) -> bool: ...
    async def save_alert(self, alert: AlertRaised) -> bool: ...


@dataclass
class MonitorState:
    """What one topic's monitor has learned: baseline, samples, and the changes it alerted."""

    baseline: BatchProfile | None = None
    before: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=200))
    alerted: dict[tuple[str, str | None, str | None], float] = field(default_factory=dict)


@dataclass(frozen=True)
class Deps:
    """What the monitor of one topic needs."""

    contract: Contract
    ledger: AlertLedger
    alerts_topic: str
    dead_letter_topic: str
    clock: Callable[[], float]
    state: MonitorState = field(default_factory=MonitorState)
    cooldown_s: float = 600.0
    min_baseline: int = 5


async def handle_batch(records: Sequence[RawRecord], deps: Deps) -> list[tuple[str, BaseModel]]:
    """Judge one micro-batch; return the alerts and dead letters to publish."""
    contract, state = deps.contract, deps.state
    raw = [r.value or b"" for r in records]
    violations = check_batch(contract, raw)
    out: list[tuple[str, BaseModel]] = []
    good: list[int] = []
    bad: list[int] = []
    for index, found in enumerate(violations):
        if any(v.rule == "malformed" for v in found):
            out.append((deps.dead_letter_topic, _dead_letter(records[index], found[0].detail)))
        else:
            (bad if found else good).append(index)
    offsets = [r.offset for r in records]
    partitions = [r.partition for r in records]
    baseline = (
        state.baseline if state.baseline and state.baseline.total >= deps.min_baseline else None
    )
    drift: list[Detection] = []
    if bad:
        drifted = profile_batch(
            [raw[i] for i in bad],
            event_time=contract.event_time,
            offsets=[offsets[i] for i in bad],
            partitions=[partitions[i] for i in bad],
        )
        drift = detect_drift(contract, baseline, drifted)
    whole = profile_batch([raw[i] for i in good + bad], event_time=contract.event_time)
    quality = detect_quality(contract, baseline, whole) if whole.total else []
    # Learn from this batch only after judging it: a batch is never its own baseline.
    if good:
        conforming = profile_batch(
            [raw[i] for i in good],
            event_time=contract.event_time,
            offsets=[offsets[i] for i in good],
            partitions=[partitions[i] for i in good],
        )
        if state.baseline is None or state.baseline.total < deps.min_baseline * 50:
            state.baseline = (
                conforming if state.baseline is None else state.baseline.merge(conforming)
            )
        state.before.extend(_decoded(raw[i]) for i in good)
    for category, found in (("drift", drift), ("quality", quality)):
        fresh = _fresh(found, state, deps)
        if fresh:
            alert = AlertRaised(
                source=SOURCE,
                category=category,
                dataset=contract.dataset,
                detections=fresh,
                summary=_summary(contract.dataset, fresh),
                contract_fingerprint=contract.fingerprint(),
            )
            after = [_decoded(raw[i]) for i in (bad if category == "drift" else good + bad)]
            await deps.ledger.save_samples(
                alert.event_id, contract.dataset, list(state.before), after[:200]
            )
            await deps.ledger.save_alert(alert)
            _log.info("alert raised: %s", alert.summary, extra={"event_id": alert.event_id})
            out.append((deps.alerts_topic, alert))
    return out


def _fresh(found: Sequence[Detection], state: MonitorState, deps: Deps) -> list[Detection]:
    """Detections not alerted within the cool-down; marks them alerted now."""
    now = deps.clock()
    fresh = []
    for detection in found:
        key = detection.identity()
        last = state.alerted.get(key)
        if last is None or now - last > deps.cooldown_s:
            fresh.append(detection)
        state.alerted[key] = now
    return fresh


def _summary(dataset: str, found: Sequence[Detection]) -> str:
    parts = []
    for d in found:
        to = f" -> {d.to}" if d.to else ""
        parts.append(f"{d.kind} {d.field or ''}{to}".strip())
    return f"{dataset}: " + "; ".join(parts)


def _decoded(raw: bytes) -> dict[str, Any]:
    value = orjson.loads(raw)
    return value if isinstance(value, dict) else {}


def _dead_letter(record: RawRecord, reason: str) -> DeadLetter:
    return DeadLetter(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        value=(record.value or b"").decode("utf-8", errors="replace"),
        reason=f"undecodable event on {record.topic!r}: {reason}",
        error_type="EventDecodeError",
    )
