"""Watches consumer groups' offsets and raises an alert when a partition's lag status changes.

Each sample holds, per partition, the group's committed offset and the partition's end offset.
The last `window` samples of each partition are judged with Burrow's rules
(tools/monitoring/lag.py). An alert is raised only when the set of partitions that are not OK,
or their status, changes; a return to OK is logged, not alerted. A lag alert names the drift
or quality alert on the same topic that most likely explains it (the latest one raised
shortly before the lag began).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from core.models import AlertRaised, LagStatus, PartitionOffsets
from core.ports import AlertStore
from tools.monitoring.lag import LagReport, LagSample, evaluate_lag

_log = logging.getLogger(__name__)
SOURCE = "suture.lag_monitor"
_EXPLAINING = ("drift", "quality")


_Key = tuple[str, int]


@dataclass
class LagState:
    """What the monitor of one group remembers between samples."""

    samples: dict[_Key, deque[LagSample]] = field(default_factory=dict)
    status: dict[_Key, LagStatus] = field(default_factory=dict)
    last_caught_up: dict[_Key, float] = field(default_factory=dict)
    first_behind: dict[_Key, float] = field(default_factory=dict)


@dataclass(frozen=True)
class LagChange:
    """A partition whose status differs from the previous sample's."""

    topic: str
    before: LagStatus
    report: LagReport
    behind_since: tuple[float, float]  # last caught-up sample, first sample behind


@dataclass(frozen=True)
class Deps:
    """What the monitor of one consumer group needs."""

    group: str
    book: AlertStore
    clock: Callable[[], float]  # epoch seconds: alerts' occurred_at is wall time
    window: int = 10
    link_lookback_s: float = 600.0
    link_grace_s: float = 5.0
    state: LagState = field(default_factory=LagState)


def observe(
    state: LagState, offsets: Sequence[PartitionOffsets], now: float, window: int
) -> list[LagChange]:
    """Add one sample of every partition and return the partitions whose status changed."""
    changes: list[LagChange] = []
    for topic in sorted({o.topic for o in offsets}):
        rows = [o for o in offsets if o.topic == topic and o.committed is not None]
        for row in rows:
            key = (topic, row.partition)
            sample = LagSample(t=now, partition=row.partition, end=row.end, committed=row.committed)
            state.samples.setdefault(key, deque(maxlen=window)).append(sample)
            if sample.lag == 0:
                state.last_caught_up[key] = now
                state.first_behind.pop(key, None)
            else:
                state.first_behind.setdefault(key, now)
        window_rows = [s for o in rows for s in state.samples[(topic, o.partition)]]
        for report in evaluate_lag(window_rows, now=now, window=window):
            key = (topic, report.partition)
            before = state.status.get(key, "OK")
            state.status[key] = report.status
            if report.status != before:
                began = state.first_behind.get(key, now)
                since = (state.last_caught_up.get(key, began), began)
                changes.append(LagChange(topic, before, report, since))
    return changes


def explaining_alert(
    alerts: Sequence[AlertRaised],
    behind_since: tuple[float, float],
    lookback_s: float,
    grace_s: float = 5.0,
) -> AlertRaised | None:
    """The latest drift or quality alert raised from `lookback_s` before the lag began until
    `grace_s` after the first sample that saw it: the monitor that raises it reads the same
    events as the stalled consumer, so its alert may come a moment after the lag shows."""
    earliest, latest = behind_since[0] - lookback_s, behind_since[1] + grace_s
    found = [
        a
        for a in alerts
        if a.category in _EXPLAINING and earliest <= _epoch(a.occurred_at) <= latest
    ]
    return max(found, key=lambda a: a.occurred_at, default=None)


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


async def handle_offsets(offsets: Sequence[PartitionOffsets], deps: Deps) -> list[AlertRaised]:
    """Judge one sample; return one alert per topic whose partitions changed to a bad status."""
    now = deps.clock()
    changes = observe(deps.state, offsets, now, deps.window)
    out: list[AlertRaised] = []
    for topic in sorted({c.topic for c in changes}):
        mine = [c for c in changes if c.topic == topic]
        for change in mine:
            _log.info(
                "lag status of %s on %s[%d]: %s -> %s",
                deps.group,
                topic,
                change.report.partition,
                change.before,
                change.report.status,
            )
        bad = [c for c in mine if c.report.status != "OK"]
        if not bad:
            continue
        began = (min(c.behind_since[0] for c in bad), max(c.behind_since[1] for c in bad))
        cause = explaining_alert(
            await deps.book.list_alerts(topic), began, deps.link_lookback_s, deps.link_grace_s
        )
        alert = AlertRaised(
            source=SOURCE,
            category="lag",
            dataset=topic,
            detections=[c.report.detection() for c in bad],
            summary=_summary(deps.group, topic, bad, cause),
            related_alert_ids=[cause.event_id] if cause else [],
        )
        await deps.book.save_alert(alert)
        _log.warning("alert raised: %s", alert.summary, extra={"event_id": alert.event_id})
        out.append(alert)
    return out


def _summary(group: str, topic: str, bad: Sequence[LagChange], cause: AlertRaised | None) -> str:
    parts = []
    for change in bad:
        report = change.report
        seconds = "" if report.seconds is None else f", about {report.seconds:.0f}s"
        parts.append(
            f"partition {report.partition} {report.status} (lag {report.lag}{seconds}, "
            f"{report.trend})"
        )
    text = f"{topic}: consumer group {group!r} " + "; ".join(parts)
    if cause is not None:
        text += (
            f"; consumer stalled since the producer's change ({cause.category} alert "
            f"{cause.event_id[:8]}: {cause.summary})"
        )
    return text
