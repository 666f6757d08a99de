"""Burrow's consumer lag evaluation rules, to check that lag scenarios expect what they should.

Each lag sample is one commit of the group on a partition; `now` is the newest sample time in
the section, so a partition whose samples end early stopped committing. Rules, per partition
over the window (github.com/linkedin/Burrow/wiki/Consumer-Lag-Evaluation-Rules):
any zero lag -> OK; no commit for longer than the window spans -> STOP; the committed offset
never moves -> STALL; committing, but lag never shrinks -> WARN; otherwise OK.
"""

from __future__ import annotations

import itertools

from core.models import LagStatus
from evals.scenario import LagSample, LagSection


def partition_status(samples: list[LagSample], now: float) -> LagStatus:
    """The Burrow status of one partition's window of commits (in time order).

    >>> from evals.scenario import LagSample as S
    >>> partition_status([S(t=0, partition=0, end=10, committed=5),
    ...                   S(t=60, partition=0, end=20, committed=5)], now=60)
    'STALL'
    """
    if any(sample.lag == 0 for sample in samples):
        return "OK"
    first, last = samples[0], samples[-1]
    if now - last.t > last.t - first.t:
        return "STOP"
    if len(samples) > 1 and all(s.committed == first.committed for s in samples):
        return "STALL"
    lags = [sample.lag for sample in samples]
    if len(lags) > 1 and all(b >= a for a, b in itertools.pairwise(lags)):
        return "WARN"
    return "OK"


def statuses(section: LagSection) -> dict[int, LagStatus]:
    """Partition -> Burrow status, for every partition in the section."""
    now = max(sample.t for sample in section.samples)
    return {p: partition_status(s, now) for p, s in section.partitions().items()}
