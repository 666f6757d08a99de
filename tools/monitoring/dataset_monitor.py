"""DatasetMonitor: turns per-batch detections of one dataset into alerts, one per change.

It also keeps what detection needs across batches: the baseline (merged profiles of
conforming batches only) and bounded reservoirs of recent conforming ("before") and
drifted ("after") events, which the healer uses as samples. Time is always passed in.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence

from core.contracts import Contract
from core.models import DRIFT_KINDS, QUALITY_KINDS, AlertCategory, AlertRaised, Detection
from tools.monitoring.detect_all import explained_away
from tools.monitoring.drift_detection import detect_drift
from tools.monitoring.quality import detect_quality, detect_silence
from tools.monitoring.recent_keys import RecentKeys, replayed_keys
from tools.profiling.batch_profile import BatchProfile
from tools.profiling.profile_batch import RawEvent, decode_events, profile_decoded

SOURCE = "suture.monitors"
LEARNABLE = frozenset({"add"})  # detections a batch may carry and still teach the baseline
ChangeKey = tuple[str, ...]


def change_key(detection: Detection) -> ChangeKey:
    """What makes two detections the same change: identity plus value, status and partition."""
    kind, field, to = detection.identity()
    extra = (repr(detection.value), str(detection.status), str(detection.partition))
    return (kind, str(field), str(to), *extra)


def category(detection: Detection) -> AlertCategory:
    """The alert category a detection belongs to."""
    if detection.kind in DRIFT_KINDS:
        return "drift"
    return "quality" if detection.kind in QUALITY_KINDS else "lag"


def alert_groups(
    detections: Sequence[Detection],
) -> list[tuple[AlertCategory, list[Detection]]]:
    """The alerts one batch of a topic raises: its drift and quality findings together (the
    healer must see all that changed at once: a fix for one finding that ignores the other
    would be validated on a wrong picture), named after the drift when there is some; lag
    findings apart.

    >>> [(c, len(f)) for c, f in alert_groups([])]
    []
    """
    data = [d for d in detections if category(d) != "lag"]
    lag = [d for d in detections if category(d) == "lag"]
    groups: list[tuple[AlertCategory, list[Detection]]] = []
    if data:
        drift = any(category(d) == "drift" for d in data)
        groups.append(("drift" if drift else "quality", data))
    if lag:
        groups.append(("lag", lag))
    return groups


class DatasetMonitor:
    """Alert state, learned baseline and event reservoirs of one dataset (one topic)."""

    def __init__(
        self,
        contract: Contract,
        *,
        cooldown_seconds: float = 600.0,
        reservoir_size: int = 100,
        source: str = SOURCE,
    ) -> None:
        self.contract = contract
        self.cooldown_seconds = cooldown_seconds
        self.source = source
        self.baseline: BatchProfile | None = None
        self.before: deque[Mapping[str, object]] = deque(maxlen=reservoir_size)
        self.after: deque[Mapping[str, object]] = deque(maxlen=reservoir_size)
        self.last_event_at: float | None = None
        self._last_seen: dict[ChangeKey, float] = {}
        self._keys: dict[str, RecentKeys] = {}

    def observe(
        self,
        events: Sequence[RawEvent],
        *,
        now: float,
        offsets: Sequence[int] | None = None,
        partitions: Sequence[int] | None = None,
        arrived_at: float | Sequence[float] | None = None,
    ) -> list[AlertRaised]:
        """Profile a batch, detect drift and quality problems, and return only new alerts."""
        decoded, indices, rejects = decode_events(events, offsets=offsets, partitions=partitions)
        profile = profile_decoded(
            decoded,
            indices,
            rejects,
            offsets=offsets,
            partitions=partitions,
            event_time=self.contract.event_time,
            arrival_time=self.contract.arrival_time,
            arrived_at=arrived_at,
            timeline=self.contract.freshness is not None,
        )
        drift = detect_drift(self.contract, self.baseline, profile)
        quality = detect_quality(self.contract, self.baseline, profile)
        replays = replayed_keys(self.contract, decoded, self._keys)
        quality += [d for d in replays if d.identity() not in {q.identity() for q in quality}]
        detections = [*drift, *explained_away(drift, quality)]
        return self.record(profile, decoded, detections, now=now)

    def record(
        self,
        profile: BatchProfile,
        events: Sequence[Mapping[str, object]],
        detections: Sequence[Detection],
        *,
        now: float,
    ) -> list[AlertRaised]:
        """Fold one batch's profile and detections into the state; return alerts for new changes.

        A batch is conforming when nothing but additive fields was detected (an added field is
        compatible, and learning it stops it being reported forever): it extends the baseline
        and the "before" reservoir. Any other detection feeds the "after" reservoir instead.
        """
        if not profile.total:
            return self.alerts(detections, now=now)
        self.last_event_at = now
        if all(d.kind in LEARNABLE for d in detections):
            self.baseline = profile if self.baseline is None else self.baseline.merge(profile)
            self.before.extend(events)
        else:
            self.after.extend(events)
        return self.alerts(detections, now=now)

    def check_silence(self, *, now: float) -> list[AlertRaised]:
        """A freshness alert when the dataset has been silent longer than its contract allows."""
        limits = self.contract.freshness
        if limits is None or limits.max_silence_seconds is None:
            return []
        found = detect_silence(self.last_event_at, now, limits.max_silence_seconds)
        return self.alerts([found] if found is not None else [], now=now)

    def alerts(self, detections: Sequence[Detection], *, now: float) -> list[AlertRaised]:
        """One alert for the detections not seen within the cool-down (see `alert_groups`).

        A change that keeps appearing, or flaps within the cool-down, raises nothing new.
        """
        fresh: list[Detection] = []
        for detection in detections:
            key = change_key(detection)
            seen = self._last_seen.get(key)
            if seen is None or now - seen > self.cooldown_seconds:
                if not any(change_key(d) == key for d in fresh):
                    fresh.append(detection)
            self._last_seen[key] = now
        self._forget(now)
        return [
            AlertRaised(
                source=self.source,
                category=kind,
                dataset=self.contract.dataset,
                detections=found,
                summary="; ".join(d.evidence.note or d.kind for d in found),
                contract_fingerprint=self.contract.fingerprint(),
            )
            for kind, found in alert_groups(fresh)
        ]

    def rebaseline(self, contract: Contract | None = None) -> None:
        """Start learning again (after a fix is applied or the contract changes)."""
        if contract is not None:
            self.contract = contract
        self.baseline = None
        self._last_seen.clear()
        self._keys.clear()
        self.before.clear()
        self.after.clear()

    def _forget(self, now: float) -> None:
        expired = [k for k, seen in self._last_seen.items() if now - seen > self.cooldown_seconds]
        for key in expired:
            del self._last_seen[key]
