"""Unit conversions a producer may switch to: new = scale * old + offset (affine included)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Conversion:
    """From the contract's unit to the one the producer now sends."""

    source: str
    target: str
    scale: float
    offset: float = 0.0
    integral: bool = False  # the producer now sends whole numbers (cents)
    fixed: bool = True  # False: a rate (currencies) no contract fixes, so no fix may assume it

    def convert(self, value: float) -> float | int:
        """The value in the target unit, as the producer sends it."""
        converted = self.scale * value + self.offset
        return round(converted) if self.integral else round(converted, 6)

    def inverse_sql(self, column: str) -> str:
        """DuckDB SQL giving the old unit back from `column` in the new one."""
        shifted = f"({column} - {self.offset!r})" if self.offset else column
        return f"{shifted} / {self.scale!r}"


CONVERSIONS: tuple[Conversion, ...] = (
    Conversion("dollars", "cents", 100.0, integral=True),
    Conversion("dollars", "thousands of dollars", 0.001),
    Conversion("dollars", "euros at a fixed 0.92", 0.92, fixed=False),
    Conversion("percent", "fraction", 0.01),
    Conversion("centimeters", "meters", 0.01),
    Conversion("centimeters", "inches", 1 / 2.54),
    Conversion("centimeters", "millimeters", 10.0),
    Conversion("kilograms", "pounds", 2.2046226218),
    Conversion("kilograms", "grams", 1000.0),
    Conversion("celsius", "fahrenheit", 1.8, 32.0),
    Conversion("celsius", "kelvin", 1.0, 273.15),
)


def conversions_from(unit: str | None) -> list[Conversion]:
    """Every conversion that starts at `unit`."""
    return [c for c in CONVERSIONS if c.source == unit]
