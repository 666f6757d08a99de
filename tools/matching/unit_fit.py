"""judge_conversions: which conversion of a declared unit carries the old values onto the new.

Two kinds of evidence, both from samples of different events before and after a change:

- **exactness**: undoing the right conversion puts every new value back on the grid the old
  values are written on (whole centimetres, cents), up to the rounding of the new values;
  a wrong factor lands off it, or on a systematically coarser grid (x10 for x100);
- **distribution**: the values undone sit where the old values sit (log magnitudes for
  positive values, plain values for temperatures).

A conversion is chosen only when the values changed (undoing nothing fits neither) and exactly
one of the declared unit's conversions fits both; two that fit, or none, leave the change
unexplained, and the caller escalates with every candidate and the reason it was refused.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from tools.matching.unit_conversion import Conversion, conversions

MAX_PLACES = 9
"""Old values written with more decimals than this carry float noise, not a grid."""
MIN_VALUES = 3
FIT_T = 3.0
"""Largest Welch t between undone values and old ones for a conversion that fits."""
SHIFT_T = 4.0
"""Smallest Welch t between new values and old ones for the values to have moved."""
COARSE_SHIFT_T = 2.5
"""Smallest Welch t that, with every new value on a coarser grid, says the values moved."""
MAX_SPREAD_RATIO = 10.0
"""Undone values and old ones may differ this much in standard deviation."""
PRECISION_P = 0.05
"""Largest chance that the new, finer values are only the old field's own variation."""
COARSER_P = 0.01
"""Largest chance that undone values all sit on a coarser grid than the old by luck."""
ROUNDED_P = 0.01
"""Largest chance that values rounded after an inexact conversion end this often in zeros."""
STRONG_INFORMATION = 3.0
"""Log10 odds against landing on the old grid by luck, above which exactness alone is strong."""


def places(value: float) -> int:
    """Decimals of the shortest text of `value` (trailing zeros dropped).

    >>> places(12.5), places(182.0), places(0.0254), places(1e-05), places(3)
    (1, 0, 4, 5, 0)
    """
    return _decimal_places(Decimal(repr(float(value))))


def _decimal_places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else MAX_PLACES + 1


@dataclass(frozen=True)
class Verdict:
    """One candidate conversion and why it does not fit (None: it fits)."""

    conversion: Conversion
    refused: str | None
    information: float = 0.0  # log10 odds the exact fit is not luck

    def describe(self) -> str:
        """`degF (x1.8 + 32): fits` or `... refused: reason`."""
        shift = f" + {self.conversion.offset:g}" if self.conversion.offset else ""
        head = f"{self.conversion.unit} (x{self.conversion.factor:g}{shift})"
        return f"{head}: {self.refused or 'fits'}"


@dataclass(frozen=True)
class UnitJudgement:
    """Whether values moved away from the declared unit, and which conversions explain it."""

    changed: str | None  # why the values are no longer in the declared unit, None if they are
    verdicts: tuple[Verdict, ...]
    decisive: bool = False  # the change stands without a conversion to explain it

    @property
    def unexplained(self) -> bool:
        """Values that surely left the declared unit, with no single conversion explaining it."""
        return self.changed is not None and self.decisive and self.chosen is None

    @property
    def fitting(self) -> tuple[Verdict, ...]:
        """The candidates that fit both the grid and the distribution."""
        return tuple(v for v in self.verdicts if v.refused is None)

    @property
    def chosen(self) -> Verdict | None:
        """The one conversion that explains the change, or None (unchanged, none or several)."""
        fitting = self.fitting
        return fitting[0] if self.changed and len(fitting) == 1 else None

    def explain(self) -> str:
        """Every candidate considered, and what became of it."""
        return "; ".join(v.describe() for v in self.verdicts)


def _undone(conversion: Conversion, new: Sequence[float]) -> list[float]:
    return [(v - conversion.offset) / conversion.factor for v in new]


def _grid(
    conversion: Conversion, old: Sequence[float], new: Sequence[float]
) -> tuple[str | None, float]:
    """Why the undone values miss the old grid (None if they sit on it), and the information."""
    old_places = max(places(v) for v in old)
    if old_places > MAX_PLACES:
        return None, 0.0  # the old values carry float noise: no grid to land on
    step = 10.0**-old_places
    rounding = 0.5 * 10.0 ** -min(max(places(v) for v in new), MAX_PLACES + 3)
    information = 0.0
    for raw, value in zip(new, _undone(conversion, new), strict=True):
        tolerance = rounding / abs(conversion.factor) + 1e-9 * max(1.0, abs(value))
        off = abs(value - round(value / step) * step)
        if off > tolerance:
            return f"{raw:g} gives {value:.6g}, off the old grid of {step:g}", 0.0
        information += max(0.0, math.log10(step / (2 * tolerance)))
    coarser = _coarser(old, _undone(conversion, new), old_places)
    return (f"undone, {coarser}", 0.0) if coarser else (None, information)


def _coarser(old: Sequence[float], values: Sequence[float], old_places: int) -> str | None:
    """Why `values` all sit on a coarser grid than the old ones, when that is no luck."""
    full = sum(places(v) == old_places for v in old) / len(old)
    if not old_places or any(places(round(v, old_places)) >= old_places for v in values):
        return None
    if (1 - full) ** len(values) >= COARSER_P:
        return None
    step = 10.0**-old_places
    return f"every value sits on a grid coarser than the old {step:g}"


def _rounded(conversion: Conversion, old: Sequence[float], new: Sequence[float]) -> str | None:
    """Why `new` cannot be values rounded after this (inexact) conversion, or None.

    A conversion that does not keep the old values' decimals within the new ones' (yards from
    centimetres) leaves the producer rounding, and rounded values seldom end in zeros.
    """
    new_places = max(places(v) for v in new)
    if new_places > MAX_PLACES:
        return None
    factor, offset = Decimal(repr(conversion.factor)), Decimal(repr(conversion.offset))
    exact = (Decimal(repr(float(v))) * factor + offset for v in old)
    if all(_decimal_places(v) <= new_places for v in exact):
        return None  # exact at the new precision: short values are expected
    short = sum(places(v) < new_places for v in new)
    chance = sum(
        math.comb(len(new), k) * 0.1**k * 0.9 ** (len(new) - k) for k in range(short, len(new) + 1)
    )
    if chance >= ROUNDED_P:
        return None
    return (
        f"{short} of {len(new)} values end before the {new_places} decimals a rounded "
        f"x{conversion.factor:g} conversion leaves (chance {chance:.4f})"
    )


def _welch(first: Sequence[float], second: Sequence[float]) -> float:
    """Welch's t between two samples, with a floor on each variance (identical values)."""
    scale = max(map(abs, [*first, *second])) or 1.0
    floor = (1e-3 * scale) ** 2
    spread = math.sqrt(
        max(floor, statistics.variance(first)) / len(first)
        + max(floor, statistics.variance(second)) / len(second)
    )
    return abs(statistics.fmean(first) - statistics.fmean(second)) / spread


def _magnitudes(
    first: Sequence[float], second: Sequence[float]
) -> tuple[list[float], list[float]] | None:
    """The positive values of two samples that hold no negative one, when each keeps
    MIN_VALUES of them (or keeps all its values); None for samples that are no scale.

    Zero reads the same in every unit (a free item costs 0 dollars and 0 cents), so it says
    nothing about a scale, and it has no log magnitude: it is left out, not allowed to turn a
    scale into plain values.

    >>> _magnitudes([0.0, 42.97, 41.89, 159.98], [2688, 0, 1899, 1488])
    ([42.97, 41.89, 159.98], [2688, 1899, 1488])
    >>> _magnitudes([0.0, 4.0, 5.0], [3.0, 9.0, 1.0]) is None, _magnitudes([-4.0, 1.0], [2.0])
    (True, None)
    """
    if not all(v >= 0 for group in (first, second) for v in group):
        return None
    kept = [v for v in first if v > 0], [v for v in second if v > 0]
    for group, positive in zip((first, second), kept, strict=True):
        if len(positive) < len(group) and len(positive) < MIN_VALUES:
            return None
    return kept if kept[0] and kept[1] else None


def _scaled(first: Sequence[float], second: Sequence[float]) -> tuple[list[float], list[float]]:
    """Log magnitudes of the positive values of a scale (zeros left out), else the values
    (temperatures, balances)."""
    found = _magnitudes(first, second)
    if found is not None:
        return [math.log10(v) for v in found[0]], [math.log10(v) for v in found[1]]
    return list(first), list(second)


def _distribution(old: Sequence[float], undone: Sequence[float]) -> str | None:
    """Why the undone values do not sit where the old ones do, or None."""
    a, b = _scaled(old, undone)
    t = _welch(a, b)
    if t > FIT_T:
        means = f"mean {statistics.fmean(undone):.4g} vs {statistics.fmean(old):.4g}"
        return f"undone values sit elsewhere (Welch t {t:.1f}, {means})"
    spreads = sorted((statistics.stdev(a), statistics.stdev(b)))
    floor = 1e-3 * (max(map(abs, [*a, *b])) or 1.0)
    if max(spreads[0], floor) * MAX_SPREAD_RATIO < spreads[1]:
        return "undone values spread unlike the old ones"
    return None


def _far(old: Sequence[float], new: Sequence[float]) -> bool:
    """A move no natural variation makes: 2x in magnitude, or twice the spread in value."""
    if (found := _magnitudes(old, new)) is not None:
        before, after = found
        ratio = statistics.fmean(map(math.log10, after)) - statistics.fmean(map(math.log10, before))
        return abs(ratio) >= math.log10(2)
    spread = max(statistics.stdev(old), statistics.stdev(new))
    return abs(statistics.fmean(new) - statistics.fmean(old)) >= 2 * spread


def separation(old: Sequence[float], new: Sequence[float]) -> float | None:
    """Welch's t between two samples (of log magnitudes when all are positive), None if either
    has fewer than MIN_VALUES numbers.

    >>> round(separation([348.0, 19.99, 47.88, 5.0], [12.5, 1299.0, 88.0]), 2)
    0.71
    """
    if len(old) < MIN_VALUES or len(new) < MIN_VALUES:
        return None
    return _welch(*_scaled(old, new))


def apart(old: Sequence[float], new: Sequence[float]) -> str | None:
    """Why `new` cannot be more values of the field `old` came from, by magnitude, or None.

    Only a move no natural variation makes counts (Welch t of SHIFT_T and 2x), so a small
    sample of prices spread over decades is not mistaken for a scaled one.

    >>> apart([348.0, 19.99, 47.88, 5.0], [12.5, 1299.0, 88.0]) is None
    True
    >>> apart([348.0, 199.99, 478.8, 250.0], [3.48, 1.9999, 4.788, 2.5])
    'values moved (Welch t 17.0, mean 3.192 vs 319.2)'
    """
    if len(old) < MIN_VALUES or len(new) < MIN_VALUES:
        return None
    t = _welch(*_scaled(old, new))
    if t < SHIFT_T or not _far(old, new):
        return None
    means = f"mean {statistics.fmean(new):.4g} vs {statistics.fmean(old):.4g}"
    return f"values moved (Welch t {t:.1f}, {means})"


def _moved(old: Sequence[float], new: Sequence[float]) -> tuple[str | None, bool]:
    """Why the new values are no longer the old field's values (None when they may be), and
    whether that alone is decisive (a move of 2x or more, or finer decimals) without a
    conversion that explains it."""
    t = _welch(*_scaled(old, new))
    means = f"mean {statistics.fmean(new):.4g} vs {statistics.fmean(old):.4g}"
    if t >= SHIFT_T:
        return f"values moved (Welch t {t:.1f}, {means})", _far(old, new)
    old_places = max(places(v) for v in old)
    if old_places > MAX_PLACES:
        return None, False
    coarser = _coarser(old, new, old_places)
    if coarser and t >= COARSE_SHIFT_T:
        return f"values moved (Welch t {t:.1f}, {means}) and {coarser}", False
    finer = [v for v in new if places(v) > old_places]
    if len(finer) < 3 or max(places(v) for v in finer) < old_places + 2:
        return None, False
    chance = math.comb(len(new), len(finer)) / math.comb(len(new) + len(old), len(finer))
    if chance > PRECISION_P:
        return None, False
    why = (
        f"{len(finer)} of {len(new)} values carry more decimals than the {old_places} "
        f"every old value has (chance {chance:.3f})"
    )
    return why, True


def judge_conversions(old: Sequence[float], new: Sequence[float], declared: str) -> UnitJudgement:
    """Whether `new` left the `declared` unit of `old`, and each conversion's verdict.

    >>> found = judge_conversions([160.0, 153.0, 175.0, 165.0], [71.653543, 70.866142,
    ...     62.204724, 72.440945], "centimeters")
    >>> found.chosen.conversion.unit
    'inch'
    >>> judge_conversions([49.99, 19.99, 129.0, 24.95], [45.9908, 18.3908, 118.68, 22.954],
    ...     "dollars").chosen is None  # euros at some rate: no fixed conversion of dollars
    True
    """
    if len(old) < MIN_VALUES or len(new) < MIN_VALUES:
        return UnitJudgement(None, ())
    verdicts = []
    for conversion in conversions(declared):
        if conversion.factor == 1 and not conversion.offset:
            continue  # another name for the same numbers (hPa and mbar)
        refused, information = _grid(conversion, old, new)
        refused = refused or _rounded(conversion, old, new)
        refused = refused or _distribution(old, _undone(conversion, new))
        verdicts.append(Verdict(conversion, refused, information))
    changed, decisive = _moved(old, new)
    return UnitJudgement(changed, tuple(verdicts), decisive)
