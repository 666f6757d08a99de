"""detect_all: every drift and quality detection of a scenario's before/after events."""

from __future__ import annotations

from collections.abc import Sequence

from core.contracts import Contract
from core.models import Detection
from tools.monitoring.drift_detection import detect_drift
from tools.monitoring.quality import detect_quality
from tools.profiling.batch_profile import BatchProfile
from tools.profiling.profile_batch import RawEvent, profile_batch


def detect_all(
    contract: Contract, before_events: Sequence[RawEvent], after_events: Sequence[RawEvent]
) -> list[Detection]:
    """Drift and quality detections of `after_events`, with `before_events` as the baseline.

    >>> from core.contracts import Contract
    >>> c = Contract(dataset="t", fields=[{"name": "cust_id", "type": "integer", "required": True}])
    >>> [(d.kind, d.field, d.to) for d in detect_all(c, [{"cust_id": 7}], [{"customer_id": 7}])]
    [('rename', 'cust_id', 'customer_id')]
    """

    def profile(events: Sequence[RawEvent]) -> BatchProfile:
        return profile_batch(
            events,
            event_time=contract.event_time,
            arrival_time=contract.arrival_time,
            timeline=True,
        )

    baseline = profile(before_events) if before_events else None
    current = profile(after_events)
    drift = detect_drift(contract, baseline, current)
    return [*drift, *explained_away(drift, detect_quality(contract, baseline, current))]


def explained_away(drift: Sequence[Detection], quality: Sequence[Detection]) -> list[Detection]:
    """Quality findings a drift already explains are dropped (a unit change breaks `max`).

    >>> unit = Detection(kind="unit_change", field="p", factor=100.0)
    >>> explained_away([unit], [Detection(kind="out_of_range", field="p")])
    []
    """
    changed = {d.field for d in drift if d.kind in _EXPLAINS_RANGE}
    return [q for q in quality if not (q.kind == "out_of_range" and q.field in changed)]


_EXPLAINS_RANGE = frozenset({"unit_change", "type_change"})
