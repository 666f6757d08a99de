"""Tests for estimate_factor: scaled values snap to known unit ratios; variation does not."""

from __future__ import annotations

import pytest

from tools.matching.unit_change import estimate_factor
from tools.profiling.batch_profile import NumericStats


def _stats(*values: float) -> NumericStats:
    return NumericStats(
        count=len(values), min=min(values), max=max(values), total=sum(values), sample=list(values)
    )


@pytest.mark.parametrize(
    ("factor", "expected"),
    [(0.01, 0.01), (100, 100.0), (1000, 1000.0), (0.001, 0.001), (1 / 60, 0.0166667), (60, 60.0)],
)
def test_snaps_scaled_values_to_the_unit_ratio(factor: float, expected: float) -> None:
    before = (1250.0, 900.0, 3000.0, 4100.0, 2200.0)
    found = estimate_factor(_stats(*before), _stats(*(v * factor for v in before[::-1])))
    assert found is not None and found[0] == expected


def test_snaps_from_different_values_of_the_same_distribution() -> None:
    found = estimate_factor(_stats(1250, 900, 3000, 2200), _stats(10.5, 31.0, 18.25))
    assert found is not None and found[0] == 0.01 and found[1] > 0.8


@pytest.mark.parametrize("factor", [1.0, 1.5, 3.0, 0.4])
def test_small_shifts_are_not_unit_changes(factor: float) -> None:
    before = (1250.0, 900.0, 3000.0, 4100.0)
    assert estimate_factor(_stats(*before), _stats(*(v * factor for v in before))) is None


def test_overlapping_ranges_are_not_unit_changes() -> None:
    assert estimate_factor(_stats(1, 5, 900, 20000), _stats(90, 20, 15000, 400000)) is None
