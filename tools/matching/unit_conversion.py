"""conversions: every way a value in a declared unit may be rewritten, as `new = a * old + b`.

The declared unit (the contract's) fixes the dimension; pint knows every conversion inside it,
exactly, affine ones included (Celsius to Fahrenheit), and factors that are neither powers of
ten nor 10x apart (miles 1.609, pounds 2.205, m/s to km/h 3.6). Money is one dimension of its
own: major and minor units, mills, thousands and millions, never another currency (a rate of
exchange is no fixed factor). tools.matching.unit_fit judges which conversion the values took.
"""

from __future__ import annotations

import functools
import threading
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
    "money": ("cent", "mill", "money_unit", "thousands", "millions"),
}
"""The units a field in one dimension is plausibly written in, by family."""
_DEFINITIONS = (
    "money_unit = [currency] = _ = major_unit = dollar = euro = pound_sterling = yen = franc",
    "cent = 0.01 * money_unit = _ = cents = minor_unit = minor_units",
    "mill = 0.001 * money_unit = _ = mills",
    "thousands = 1000 * money_unit = _ = thousand_major_units",
    "millions = 1000000 * money_unit = _ = million_major_units",
    "basis_point = 0.0001 = _ = basis_points",
)


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
        found.append(Conversion(declared, member, _tidy(one - zero), _tidy(zero)))
    return tuple(found)


def conversion_between(source: str, target: str) -> Conversion | None:
    """The conversion from unit `source` to unit `target` (names pint knows: `lb`, `kg`, `in`),
    or None when either is unknown, they are one unit, or their dimensions differ.

    >>> c = conversion_between("lb", "kg")
    >>> (c.unit, round(c.factor, 8), c.offset) if c else None
    ('kg', 0.45359237, 0.0)
    >>> conversion_between("in", "in"), conversion_between("lb", "cm")
    (None, None)
    >>> conversion_between("x", "kg") is None
    True
    """
    old, new = _parsed(source), _parsed(target)
    if old is None or new is None or old == new or old.dimensionality != new.dimensionality:
        return None
    if old.dimensionless:
        return None  # counts, ratios and bytes: pint cannot tell them apart
    zero = registry().Quantity(0.0, old).to(new).magnitude
    one = registry().Quantity(1.0, old).to(new).magnitude
    return Conversion(source, target, _tidy(one - zero), _tidy(zero))


def same_unit(first: str, second: str) -> bool:
    """Whether two names denote one unit (`lb` and `pound`).

    >>> same_unit("lb", "pound"), same_unit("in", "cm"), same_unit("x", "x")
    (True, False, False)
    """
    a, b = _parsed(first), _parsed(second)
    return a is not None and a == b


def _tidy(number: float) -> float:
    """Float noise of the unit arithmetic rounded away: 31.999999999999936 -> 32.0."""
    return float(f"{number:.12g}")
