"""evaluate_lag: consumer-lag status per partition with Burrow's evaluation rules.

Burrow (linkedin/Burrow, core/internal/evaluator/caching.go) judges a window of commits:
1. lag is zero at any point of the window, or now -> OK;
2. the committed offset ever goes backwards -> REWIND (reported here as ERR, which is what
   Burrow's consumer status becomes for a rewinding partition);
3. now minus the last commit time exceeds the window's own span -> STOP;
4. the committed offset never changes -> STALL;
5. the lag never decreases between two samples -> WARN;
6. otherwise OK.
Offsets are Kafka's: `end` is the high watermark (the next offset to be written) and
`committed` the next offset the group will read, so lag = end - committed, never below 0.
Each sample's commit time is `committed_at` when the caller knows it (Burrow reads it from
__consumer_offsets), else the sample time `t`. `now` defaults to the newest sample of any
partition, so a partition whose samples end early has stopped committing.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.models import Detection, Evidence, LagStatus

WINDOW = 10  # samples per partition, Burrow's default `intervals`
Trend = Literal["growing", "shrinking", "flat"]


class LagSample(BaseModel):
    """Offsets of one partition for one consumer group at time `t` (epoch seconds)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    t: float
    partition: int = 0
    end: int = Field(ge=0, description="High watermark: the offset the next message will get.")
    committed: int | None = Field(default=None, description="Next offset the group will read.")
    committed_at: float | None = Field(default=None, description="When that offset was committed.")

    @property
    def lag(self) -> int:
        """Messages not yet consumed (0 when the committed offset is unknown or ahead)."""
        return max(0, self.end - self.committed) if self.committed is not None else 0


class LagReport(BaseModel):
    """The status of one partition over the window, with lag in messages and seconds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    partition: int
    status: LagStatus
    lag: int
    seconds: float | None = Field(description="Time to drain the lag at the produce rate.")
    trend: Trend
    produce_rate: float = Field(description="Messages per second over the window.")
    complete: bool = Field(description="False when the window held fewer than two commits.")
    note: str

    def detection(self) -> Detection:
        """This report in the monitors' detection vocabulary."""
        evidence = Evidence(count=self.lag, note=self.note)
        return Detection(
            kind="lag",
            status=self.status,
            partition=self.partition,
            seconds=self.seconds,
            evidence=evidence,
        )


def evaluate_lag(
    samples: Sequence[LagSample], *, now: float | None = None, window: int = WINDOW
) -> list[LagReport]:
    """One report per partition, judging each partition's last `window` samples.

    >>> rows = [LagSample(t=0, end=100, committed=90), LagSample(t=60, end=160, committed=90)]
    >>> [(r.status, r.lag, r.trend) for r in evaluate_lag(rows)]
    [('STALL', 70, 'growing')]
    """
    partitions: dict[int, list[LagSample]] = {}
    for sample in sorted(samples, key=lambda s: s.t):
        if sample.committed is not None:
            partitions.setdefault(sample.partition, []).append(sample)
    if now is None and samples:
        now = max(sample.t for sample in samples)  # a partition whose samples end early stopped
    return [evaluate_partition(rows[-window:], now=now) for _, rows in sorted(partitions.items())]


def lag_detections(samples: Sequence[LagSample], *, now: float | None = None) -> list[Detection]:
    """Detections for the partitions whose status is not OK."""
    return [r.detection() for r in evaluate_lag(samples, now=now) if r.status != "OK"]


def evaluate_partition(rows: Sequence[LagSample], *, now: float | None = None) -> LagReport:
    """Burrow's rules over one partition's samples (sorted by time, all with a commit)."""
    first, last = rows[0], rows[-1]
    span = last.t - first.t
    rate = (last.end - first.end) / span if span > 0 else 0.0
    status, why = _status(rows, last.t if now is None else now)
    return LagReport(
        partition=last.partition,
        status=status,
        lag=last.lag,
        seconds=_seconds(rows, rate),
        trend=_trend(rows),
        produce_rate=round(rate, 6),
        complete=len(rows) >= 2,
        note=f"partition {last.partition}: {why}; lag {last.lag} over {len(rows)} samples",
    )


def _status(rows: Sequence[LagSample], now: float) -> tuple[LagStatus, str]:
    lags = [r.lag for r in rows]
    if 0 in lags:
        return "OK", "the consumer caught up within the window"
    committed = [r.committed or 0 for r in rows]
    if any(b < a for a, b in pairwise(committed)):
        return "ERR", "the committed offset went backwards (rewind)"
    times = [r.committed_at if r.committed_at is not None else r.t for r in rows]
    if now - times[-1] > times[-1] - times[0]:
        return "STOP", f"no commit for {now - times[-1]:.0f}s, longer than the window"
    if len(rows) < 2:
        return "OK", "too few samples to judge"
    if len(set(committed)) == 1:
        return "STALL", "the committed offset did not move while lag stayed above zero"
    if all(b >= a for a, b in pairwise(lags)):
        return "WARN", "the consumer commits but its lag never decreases"
    return "OK", "the consumer is keeping up"


def _seconds(rows: Sequence[LagSample], rate: float) -> float | None:
    last = rows[-1]
    if last.lag == 0:
        return 0.0
    if rate > 0:
        return round(last.lag / rate, 3)
    moved = [r.t for a, r in pairwise(rows) if r.committed != a.committed]
    return round(last.t - (moved[-1] if moved else rows[0].t), 3)


def _trend(rows: Sequence[LagSample]) -> Trend:
    if len(rows) < 2:
        return "flat"
    times = [r.t for r in rows]
    lags = [float(r.lag) for r in rows]
    mean_t, mean_lag = sum(times) / len(times), sum(lags) / len(lags)
    spread = sum((t - mean_t) ** 2 for t in times)
    if spread == 0:
        return "flat"
    slope = sum((t - mean_t) * (v - mean_lag) for t, v in zip(times, lags, strict=True)) / spread
    change = slope * (times[-1] - times[0])
    if abs(change) <= max(1.0, 0.05 * mean_lag):
        return "flat"
    return "growing" if change > 0 else "shrinking"
