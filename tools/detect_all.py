"""detect_all: every drift and quality detection of a scenario's before/after events."""

from __future__ import annotations

from collections.abc import Sequence

from agents.core.contracts import Contract
from agents.core.models import Detection
from tools.drift_detection import detect_drift
from tools.profiling import RawEvent, profile_batch
from tools.quality import detect_quality


def detect_all(
    contract: Contract, before_events: Sequence[RawEvent], after_events: Sequence[RawEvent]
) -> list[Detection]:
    """Drift and quality detections of `after_events`, with `before_events` as the baseline.

    >>> from agents.core.contracts import Contract
    >>> c = Contract(dataset="t", fields=[{"name": "cust_id", "type": "integer", "required": True}])
    >>> [(d.kind, d.field, d.to) for d in detect_all(c, [{"cust_id": 7}], [{"customer_id": 7}])]
    [('rename', 'cust_id', 'customer_id')]
    """
    baseline = (
        profile_batch(before_events, event_time=contract.event_time) if before_events else None
    )
    current = profile_batch(after_events, event_time=contract.event_time)
    return [
        *detect_drift(contract, baseline, current),
        *detect_quality(contract, baseline, current),
    ]
