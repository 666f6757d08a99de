"""fit_conversion: which unit a field's values moved to, fitted as `new = a * old + b`.

The declared unit (the contract's) fixes the dimension; pint knows every conversion inside it,
affine ones included (Celsius to Fahrenheit), and factors that are neither powers of ten nor
10x apart (miles 1.609, pounds 2.205, m/s to km/h 3.6). The samples before and after a change
are different events, so a conversion fits when it carries the old values' mean and spread onto
the new ones; it is chosen only when it fits tightly and clearly better than every other.
"""

from __future__ import annotations

import functools
import math
import statistics
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import pint

FAMILIES: dict[str, tuple[str, ...]] = {
    "length": ("mm", "cm", "m", "km", "inch", "foot", "yard", "mile", "nautical_mile"),
    "mass": ("mg", "g", "kg", "metric_ton", "ounce", "pound"),
    "time": ("ns", "us", "ms", "s", "minute", "hour", "day"),
    "speed": ("m/s", "km/h", "mile/hour", "knot", "foot/s"),
    "temperature": ("degC", "degF", "kelvin"),
    "volume": ("mL", "L", "m**3", "gallon", "fluid_ounce", "cubic_foot"),
    "area": ("cm**2", "m**2", "km**2", "hectare", "acre", "foot**2", "mile**2"),
    "pressure": ("Pa", "hPa", "kPa", "bar", "mbar", "psi", "atm", "mmHg"),
    "energy": ("J", "kJ", "MJ", "cal", "kcal", "Wh", "kWh"),
    "power": ("W", "kW", "MW", "horsepower"),
    "frequency": ("Hz", "kHz", "MHz", "GHz", "rpm"),
    "angle": ("degree", "radian"),
    "information": ("bit", "byte", "kB", "MB", "GB", "KiB", "MiB", "GiB"),
    "ratio": ("percent", "permille", "ppm", "basis_point", "dimensionless"),
    "money": ("cent", "mill", "money_unit"),
}
"""The units a field in one dimension is plausibly written in, by family."""
_DEFINITIONS = (
    "money_unit = [currency] = major_unit",
    "cent = 0.01 * money_unit = _ = cents = minor_unit = minor_units",
    "mill = 0.001 * money_unit = _ = mills",
    "basis_point = 0.0001 = _ = basis_points",
)
TIGHT_FIT = 1.5
"""Largest Welch t between converted old values and new ones for a conversion that fits."""
MARGIN = 2.0
"""How much worse (in t) the runner-up must fit for the best conversion to be chosen."""
MIN_SHIFT = 4.0
"""Smallest Welch t between the old and new values themselves: else nothing changed."""
MAX_SPREAD_RATIO = 3.0
"""Converted old values and new ones may differ this much in standard deviation."""
MIN_VALUES = 3


@dataclass(frozen=True)
class Conversion:
    """`new = old * factor + offset`: values that were in `source` are now in `unit`."""

    source: str
    unit: str
    factor: float
    offset: float

    def apply(self, value: float) -> float:
        """The value in the new unit."""
        return value * self.factor + self.offset


_REGISTRY_LOCK = threading.Lock()


def registry() -> pint.UnitRegistry[float]:
    """pint's registry with money (major and minor units) and basis points added.

    One per process, made under a lock: two threads making one each would hand out units that
    cannot be compared ("Cannot operate with Unit and Unit of different registries").
    """
    with _REGISTRY_LOCK:
        return _registry()


@functools.cache
def _registry() -> pint.UnitRegistry[float]:
    units: pint.UnitRegistry[float] = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    for definition in _DEFINITIONS:
        units.define(definition)
    return units


def _parsed(name: str) -> pint.Unit | None:
    try:
        return registry().parse_units(name.strip().replace(" ", "_"))
    except (pint.errors.PintError, ValueError, AttributeError, TypeError, AssertionError):
        return None


def family(declared: str) -> tuple[str, ...]:
    """The family of units `declared` belongs to: by membership, else by dimension.

    >>> family("celsius")
    ('degC', 'degF', 'kelvin')
    >>> family("bytes")[:3], family("no such unit")
    (('bit', 'byte', 'kB'), ())
    """
    unit = _parsed(declared)
    if unit is None:
        return ()
    for members in FAMILIES.values():
        if any(_parsed(m) == unit for m in members):
            return members
    if unit.dimensionless:
        return ()  # bytes, ratios and counts share no dimension pint could tell apart
    return next((m for m in FAMILIES.values() if _compatible(unit, m[0])), ())


def _compatible(unit: pint.Unit, other: str) -> bool:
    target = _parsed(other)
    return target is not None and unit.dimensionality == target.dimensionality


@functools.cache
def conversions(declared: str) -> tuple[Conversion, ...]:
    """Every conversion from `declared` to another unit of its family.

    >>> [(c.unit, round(c.factor, 4), round(c.offset, 4)) for c in conversions("celsius")]
    [('degF', 1.8, 32.0), ('kelvin', 1.0, 273.15)]
    """
    unit = _parsed(declared)
    if unit is None:
        return ()
    found = []
    for member in family(declared):
        target = _parsed(member)
        if target is None or target == unit:
            continue
        zero = registry().Quantity(0.0, unit).to(target).magnitude
        one = registry().Quantity(1.0, unit).to(target).magnitude
        found.append(Conversion(declared, member, float(one - zero), float(zero)))
    return tuple(found)


def _welch(first: Sequence[float], second: Sequence[float]) -> float:
    scale = max(map(abs, [*first, *second])) or 1.0
    floor = (1e-3 * scale) ** 2  # identical values must not divide by zero
    spread = math.sqrt(
        max(floor, statistics.variance(first)) / len(first)
        + max(floor, statistics.variance(second)) / len(second)
    )
    return abs(statistics.fmean(first) - statistics.fmean(second)) / spread


def _spread_agrees(first: Sequence[float], second: Sequence[float]) -> bool:
    a, b = statistics.stdev(first), statistics.stdev(second)
    if min(a, b) == 0:
        return max(a, b) <= 1e-9 * max(map(abs, [*first, *second]), default=1.0)
    return max(a, b) / min(a, b) <= MAX_SPREAD_RATIO


def fit_conversion(
    old: Sequence[float], new: Sequence[float], declared: str
) -> tuple[Conversion, float] | None:
    """The conversion from `declared` that carries `old` onto `new`, with a confidence, or None.

    None when the values did not move, too few are known, or no conversion fits tightly and
    clearly better than the rest (the change is then left for the other evidence or a human).

    >>> fit_conversion([21.5, 22.0, 19.8, 23.1], [70.9, 71.4, 67.8, 73.4], "celsius")[0].unit
    'degF'
    >>> fit_conversion([12.0, 13.5, 11.2, 12.8], [7.4, 8.5, 7.0, 7.9], "km")[0].unit
    'mile'
    >>> fit_conversion([12.0, 30.0, 8.0, 45.0], [7.5, 18.6, 5.0, 28.0], "km") is None  # spread
    True
    """
    if len(old) < MIN_VALUES or len(new) < MIN_VALUES or _welch(old, new) < MIN_SHIFT:
        return None
    scored = []
    for conversion in conversions(declared):
        moved = [conversion.apply(v) for v in old]
        if _spread_agrees(moved, new):
            scored.append((_welch(moved, new), conversion))
    scored.sort(key=lambda item: item[0])
    if not scored or scored[0][0] > TIGHT_FIT:
        return None
    if len(scored) > 1 and scored[1][0] - scored[0][0] < MARGIN:
        return None
    best_t, best = scored[0]
    return best, round(max(0.5, 1.0 - best_t / (2 * TIGHT_FIT)), 2)
