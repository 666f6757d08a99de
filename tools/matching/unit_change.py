"""estimate_unit: how a numeric field's values were converted (cents -> dollars: 0.01 x)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from tools.matching.unit_conversion import conversions
from tools.matching.unit_fit import STRONG_INFORMATION, UnitJudgement, judge_conversions
from tools.profiling.batch_profile import NumericStats

_BASE = (10.0, 100.0, 1000.0, 1e4, 1e5, 1e6, 1e9, 24.0, 60.0, 3600.0, 86400.0, 60000.0, 3.6e6)
FACTORS: tuple[float, ...] = tuple(sorted({*_BASE, *(1 / f for f in _BASE)}))
DECIMAL_FACTORS: tuple[float, ...] = tuple(f for f in FACTORS if math.log10(f).is_integer())
TIME_UNITS = frozenset(
    {
        "ns",
        "us",
        "ms",
        "s",
        "sec",
        "secs",
        "second",
        "seconds",
        "min",
        "mins",
        "minute",
        "minutes",
        "h",
        "hour",
        "hours",
        "d",
        "day",
        "days",
        "millis",
        "milliseconds",
        "micros",
        "microseconds",
        "nanos",
        "nanoseconds",
        "epoch_ms",
        "epoch_s",
    }
)
TOLERANCE = 0.3  # in log10 units: the observed ratio may be off by a factor of two
MIN_SCALE = 1.0  # in log10 units: only scalings of 10x or more are unit changes
MIN_SEPARATION = 4.0  # Welch's t of log magnitudes: the shift must dwarf natural spread
MIN_VALUES = 2  # values needed on each side before calling anything a unit change
MAX_SPREAD_RATIO = 4.0  # log-magnitude spreads of before and after may differ this much
MIN_VARIANCE = 0.01  # floor of a log10 variance, so identical values do not divide by zero


@dataclass(frozen=True)
class UnitEstimate:
    """`after ~ before * factor + offset`, and how sure the samples are of it.

    `factor` is None when the values left the declared unit but no single conversion of it
    explains them (none fits, or several do): `note` then lists every candidate and its verdict.
    """

    factor: float | None
    offset: float
    confidence: float
    note: str = ""


def estimate_unit(
    before: NumericStats, after: NumericStats, unit: str | None = None
) -> UnitEstimate | None:
    """How the values were converted, or None when they were not.

    A declared `unit` (the contract's) that pint knows fixes the dimension: every conversion
    inside it is fitted as `a * x + b` (tools.matching.unit_conversion), affine and sub-10x ones
    included; failing a tight fit, only that family's own ratios of 10x or more may still snap.
    A declared unit pint does not know rules out time ratios. Without a unit, the table of
    common ratios (powers of ten and time) applies.

    >>> def stats(values: list[float]) -> NumericStats:
    ...     return NumericStats(count=len(values), min=min(values), max=max(values),
    ...                         total=sum(values), sample=values)
    >>> found = estimate_unit(stats([21.5, 22.0, 19.8, 23.1]), stats([70.9, 71.4, 67.8, 73.4]),
    ...                       "celsius")
    >>> found.factor, found.offset
    (1.8, 32.0)
    >>> estimate_unit(stats([10.0, 10.4, 9.8, 10.2]), stats([36.0, 37.4, 35.3, 36.7]), "m/s").factor
    3.6
    >>> old, new = [29.99, 9.99, 149.95, 19.99, 49.5], [27.5908, 9.1908, 137.954, 18.3908, 45.54]
    >>> estimate_unit(stats(old), stats(new), "dollars").note.split(";")[1]  # euros: no fixed rate
    ' no conversion of dollars fits: cent (x100): 27.5908 gives 0.275908, off the old grid of 0.01'

    """
    if unit and conversions(unit):
        return _judged(judge_conversions(before.sample, after.sample, unit), unit)
    if unit is not None and unit.strip().lower() not in TIME_UNITS:
        candidates = DECIMAL_FACTORS
    else:
        candidates = FACTORS
    found = _snapped(before, after, candidates)
    return UnitEstimate(found[0], 0.0, found[1]) if found is not None else None


def _judged(judgement: UnitJudgement, unit: str) -> UnitEstimate | None:
    """The chosen conversion, or an unexplained change with the evidence, or None (unchanged)."""
    chosen = judgement.chosen
    if judgement.changed is None or (chosen is None and not judgement.unexplained):
        return None
    if chosen is None:
        fitting = len(judgement.fitting)
        verdict = "several conversions fit" if fitting > 1 else f"no conversion of {unit} fits"
        note = f"{judgement.changed}; {verdict}: {judgement.explain() or 'none known'}"
        return UnitEstimate(None, 0.0, 0.5, note)
    conversion = chosen.conversion
    confidence = 0.99 if chosen.information >= STRONG_INFORMATION else 0.8
    note = f"{judgement.changed}; {unit} -> {conversion.unit}"
    return UnitEstimate(conversion.factor, conversion.offset, confidence, note)


def estimate_factor(
    before: NumericStats, after: NumericStats, unit: str | None = None
) -> tuple[float, float] | None:
    """The factor `after ~ before * factor` with a confidence (None for no or affine change).

    >>> cents = NumericStats(count=3, min=900, max=3000, total=5150, sample=[1250, 900, 3000])
    >>> dollars = NumericStats(count=3, min=5, max=20, total=37.5, sample=[12.5, 5.0, 20.0])
    >>> estimate_factor(cents, dollars)
    (0.01, 1.0)
    >>> estimate_factor(cents, cents) is None
    True
    >>> def stats(values: list[float]) -> NumericStats:
    ...     return NumericStats(count=len(values), min=min(values), max=max(values),
    ...                         total=sum(values), sample=values)
    >>> old = stats([1899, 450, 12999, 2350, 7600])
    >>> new = stats([21.5, 3.99, 149.0, 64.25, 12.0, 88.8])
    >>> estimate_factor(old, new), estimate_factor(old, new, "cents")
    ((0.0166667, 0.96), (0.01, 0.8))
    """
    found = estimate_unit(before, after, unit)
    if found is None or found.factor is None or found.offset:
        return None
    return found.factor, found.confidence


def _snapped(
    before: NumericStats, after: NumericStats, candidates: Sequence[float]
) -> tuple[float, float] | None:
    """The candidate ratio the samples scale by (10x or more, separated), with a confidence."""
    old = [abs(v) for v in before.sample if v]
    new = [abs(v) for v in after.sample if v]
    if len(old) < MIN_VALUES or len(new) < MIN_VALUES or not _same_spread(old, new):
        return None
    ratio = median(new) / median(old)
    mean_ratio = abs(after.mean) / abs(before.mean) if before.mean and after.mean else ratio
    if abs(math.log10(ratio) - math.log10(mean_ratio)) > 2 * TOLERANCE:
        return None
    usable = [f for f in candidates if abs(math.log10(f)) >= MIN_SCALE]
    if not usable:
        return None
    factor = min(usable, key=lambda f: abs(math.log10(ratio) - math.log10(f)))
    error = abs(math.log10(ratio) - math.log10(factor))
    if error > TOLERANCE:
        return None
    inside = sum(before.min <= v <= before.max for v in after.sample) / len(after.sample)
    if inside >= 0.5 or _separation(old, new) < MIN_SEPARATION:
        return None
    return _tidy(factor), round(1.0 - error, 2)


def _separation(old: list[float], new: list[float]) -> float:
    """Welch's t of log10 magnitudes: how far apart two samples sit, given their own spread."""
    logs_old, logs_new = [math.log10(v) for v in old], [math.log10(v) for v in new]
    var_old = _variance(logs_old, logs_new)
    var_new = _variance(logs_new, logs_old)
    spread = math.sqrt(var_old / len(old) + var_new / len(new))
    return abs(sum(logs_new) / len(new) - sum(logs_old) / len(old)) / spread


def _same_spread(old: list[float], new: list[float]) -> bool:
    """Scaling keeps the spread of log magnitudes; a wholly different spread is something else."""
    if len(old) < 3 or len(new) < 3:
        return True
    logs_old, logs_new = [math.log10(v) for v in old], [math.log10(v) for v in new]
    spreads = sorted(math.sqrt(_variance(x, x)) for x in (logs_old, logs_new))
    return spreads[1] / spreads[0] <= MAX_SPREAD_RATIO


def _variance(values: list[float], fallback: list[float]) -> float:
    """Sample variance, borrowed from the other sample when there is one value; floored."""
    sample = values if len(values) >= 2 else fallback
    if len(sample) < 2:
        return MIN_VARIANCE
    mean = sum(sample) / len(sample)
    return max(MIN_VARIANCE, sum((v - mean) ** 2 for v in sample) / (len(sample) - 1))


def _tidy(factor: float) -> float:
    """Round away float noise: 1/100 -> 0.01, and keep reciprocals of 60 etc. readable."""
    return float(f"{factor:.6g}")
