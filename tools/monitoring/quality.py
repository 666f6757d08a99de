"""detect_quality: null spikes, duplicate keys, out-of-range values, late or silent streams."""

from __future__ import annotations

import math

from pydantic import JsonValue

from core.contracts import Contract
from core.models import Detection, Evidence
from tools.contracts.check import REDACTED
from tools.profiling.batch_profile import BatchProfile

SPIKE_JUMP = 0.25  # the null share must rise by this much over its baseline...
SPIKE_RATIO = 2.0  # ...and at least double it...
SPIKE_MIN_NULLS = 2  # ...across at least this many events...
SPIKE_P_VALUE = 0.05  # ...and be that unlikely under the baseline's null rate
LEARNED_DELAY_FACTOR = 3.0  # without a contract limit, delays may grow to 3x the baseline's worst
LEARNED_DELAY_FLOOR = 60.0  # ...but never alert below a minute of delay


def detect_quality(
    contract: Contract, baseline: BatchProfile | None, current: BatchProfile
) -> list[Detection]:
    """Quality problems of `current`, judged by the contract and the baseline learned before it."""
    if current.total == 0:
        return []
    return [
        *_null_spikes(contract, baseline, current),
        *_duplicates(contract, baseline, current),
        *_out_of_range(contract, current),
        *_freshness(contract, baseline, current),
    ]


def detect_silence(
    last_event_at: float | None, now: float, max_silence_seconds: float
) -> Detection | None:
    """A freshness detection when no event arrived for longer than `max_silence_seconds`.

    >>> detect_silence(100.0, 800.0, 600.0).seconds
    700.0
    >>> detect_silence(100.0, 200.0, 600.0) is None
    True
    """
    if last_event_at is None or now - last_event_at <= max_silence_seconds:
        return None
    silent = now - last_event_at
    note = f"no events for {silent:.0f}s (limit {max_silence_seconds:.0f}s)"
    return Detection(kind="freshness", seconds=silent, evidence=Evidence(note=note))


def fisher_greater(hits: int, trials: int, baseline_hits: int, baseline_trials: int) -> float:
    """One-sided Fisher exact p-value that the current rate exceeds the baseline rate.

    >>> round(fisher_greater(5, 5, 0, 5), 4), fisher_greater(0, 5, 0, 5)
    (0.004, 1.0)
    """
    total, marked = trials + baseline_trials, hits + baseline_hits
    tail = [
        _log_comb(marked, k) + _log_comb(total - marked, trials - k) - _log_comb(total, trials)
        for k in range(hits, min(marked, trials) + 1)
    ]
    return min(1.0, sum(math.exp(v) for v in tail))


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def _null_spikes(
    contract: Contract, baseline: BatchProfile | None, current: BatchProfile
) -> list[Detection]:
    if baseline is None or baseline.total == 0:
        return []
    found = []
    for path, profile in current.fields.items():
        spec = contract.field(path)
        if (spec is not None and spec.required) or "object" in profile.types:
            continue
        if baseline.fields.get(path) is None and spec is None:
            continue
        nulls = current.total - profile.valued
        rate = nulls / current.total
        before = 1.0 - baseline.share(path)
        jumped = rate >= before + SPIKE_JUMP and rate >= SPIKE_RATIO * before
        # Fisher's exact test weighs the baseline's own size: small baselines prove little.
        baseline_nulls = round(before * baseline.total)
        p_value = fisher_greater(nulls, current.total, baseline_nulls, baseline.total)
        unlikely = p_value < SPIKE_P_VALUE
        if nulls >= SPIKE_MIN_NULLS and jumped and unlikely:
            note = f"{path}: null in {rate:.0%} of events, baseline {before:.0%}"
            evidence = Evidence(count=nulls, total=current.total, note=note)
            found.append(
                Detection(kind="null_spike", field=path, rate=round(rate, 4), evidence=evidence)
            )
    return found


def _duplicates(
    contract: Contract, baseline: BatchProfile | None, current: BatchProfile
) -> list[Detection]:
    found = []
    for spec in contract.fields:
        profile = current.fields.get(spec.name)
        if not spec.unique or profile is None:
            continue
        within = profile.duplicates
        old = baseline.fields.get(spec.name) if baseline is not None else None
        # Shared hashes of a unique key between the baseline and this batch are replays.
        across = len(set(old.sketch) & set(profile.sketch)) if old is not None else 0
        if within + across:
            note = f"{spec.name}: {within} repeats within the batch, {across} of earlier keys"
            examples = [REDACTED] if spec.pii else []
            evidence = Evidence(
                count=within + across, total=current.total, examples=examples, note=note
            )
            found.append(Detection(kind="duplicates", field=spec.name, evidence=evidence))
    return found


def _out_of_range(contract: Contract, current: BatchProfile) -> list[Detection]:
    found = []
    for spec in contract.fields:
        profile = current.fields.get(spec.name)
        if profile is None or profile.numeric is None or (spec.min is None and spec.max is None):
            continue
        low = spec.min if spec.min is not None else float("-inf")
        high = spec.max if spec.max is not None else float("inf")
        if low <= profile.numeric.min and profile.numeric.max <= high:
            continue
        bad = [v for v in profile.numeric.sample if not low <= v <= high]
        scale = profile.numeric.count / max(1, len(profile.numeric.sample))
        note = f"{spec.name}: values outside [{spec.min}, {spec.max}]"
        examples: list[JsonValue] = [REDACTED] if spec.pii else list(bad[:3])
        evidence = Evidence(
            count=max(1, round(len(bad) * scale)),
            total=current.total,
            examples=examples,
            note=note,
        )
        found.append(Detection(kind="out_of_range", field=spec.name, evidence=evidence))
    return found


def _freshness(
    contract: Contract, baseline: BatchProfile | None, current: BatchProfile
) -> list[Detection]:
    time = current.time
    if time is None or time.event_min is None:
        return []
    limits = contract.freshness
    max_delay = limits.max_delay_seconds if limits is not None else None
    before = baseline.time if baseline is not None else None
    if max_delay is None and before is not None and before.delay_max is not None:
        max_delay = max(LEARNED_DELAY_FLOOR, LEARNED_DELAY_FACTOR * before.delay_max)
    found = []
    # Without arrival times, lateness is measured against the event-time watermark: the
    # newest event seen before (in this batch, or in the baseline).
    watermark_late = max(
        time.late_max or 0.0,
        before.event_max - time.event_min if before is not None and before.event_max else 0.0,
    )
    if max_delay is not None and time.delay_max is not None and time.delay_max > max_delay:
        note = f"events arrive up to {time.delay_max:.0f}s late (limit {max_delay:.0f}s)"
        found.append(_late(time.delay_max, note, time.delay_count, current.total))
    elif max_delay is not None and watermark_late > max_delay:
        note = f"events {watermark_late:.0f}s older than ones already seen (limit {max_delay:.0f}s)"
        found.append(_late(watermark_late, note, time.count, current.total))
    silence = limits.max_silence_seconds if limits is not None else None
    stamped = time.arrived_min is not None  # the contract's arrival_time: silence by arrivals
    since = 0.0
    if time.arrived_min is not None and before is not None and before.arrived_max is not None:
        since = time.arrived_min - before.arrived_max
    elif not stamped and before is not None and before.event_max:
        since = time.event_min - before.event_max
    gap = max(time.gap_max or 0.0, since)
    if silence is not None and gap > silence:
        clock = "arrival" if stamped else "event"
        note = f"no events for {gap:.0f}s of {clock} time (limit {silence:.0f}s)"
        found.append(_late(gap, note, time.count, current.total))
    return found


def _late(seconds: float, note: str, count: int, total: int) -> Detection:
    evidence = Evidence(count=count, total=total, note=note)
    return Detection(kind="freshness", seconds=round(seconds, 3), evidence=evidence)
