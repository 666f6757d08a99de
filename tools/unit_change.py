"""estimate_factor: the constant a numeric field was scaled by (cents -> dollars: 0.01)."""

from __future__ import annotations

import math
from statistics import median

from tools.batch_profile import NumericStats

_BASE = (10.0, 100.0, 1000.0, 1e4, 1e5, 1e6, 1e9, 24.0, 60.0, 3600.0, 86400.0, 60000.0, 3.6e6)
FACTORS: tuple[float, ...] = tuple(sorted({*_BASE, *(1 / f for f in _BASE)}))
TOLERANCE = 0.3  # in log10 units: the observed ratio may be off by a factor of two
MIN_SCALE = 1.0  # in log10 units: only scalings of 10x or more are unit changes


def estimate_factor(before: NumericStats, after: NumericStats) -> tuple[float, float] | None:
    """The factor `after ~ before * factor`, snapped to a known unit ratio, with a confidence.

    None when the values were not scaled (natural variation, or overlapping ranges).

    >>> cents = NumericStats(count=3, min=900, max=3000, total=5150, sample=[1250, 900, 3000])
    >>> dollars = NumericStats(count=3, min=5, max=20, total=37.5, sample=[12.5, 5.0, 20.0])
    >>> estimate_factor(cents, dollars)
    (0.01, 1.0)
    >>> estimate_factor(cents, cents) is None
    True
    """
    old = [abs(v) for v in before.sample if v]
    new = [abs(v) for v in after.sample if v]
    if not old or not new:
        return None
    ratio = median(new) / median(old)
    mean_ratio = abs(after.mean) / abs(before.mean) if before.mean and after.mean else ratio
    if abs(math.log10(ratio) - math.log10(mean_ratio)) > 2 * TOLERANCE:
        return None
    factor = min(FACTORS, key=lambda f: abs(math.log10(ratio) - math.log10(f)))
    error = abs(math.log10(ratio) - math.log10(factor))
    if error > TOLERANCE or abs(math.log10(factor)) < MIN_SCALE:
        return None
    inside = sum(before.min <= v <= before.max for v in after.sample) / len(after.sample)
    if inside >= 0.5:
        return None
    return _tidy(factor), round(1.0 - error, 2)


def _tidy(factor: float) -> float:
    """Round away float noise: 1/100 -> 0.01, and keep reciprocals of 60 etc. readable."""
    return float(f"{factor:.6g}")
