"""Tests for tools.matching.samples."""

from __future__ import annotations

from tools.matching.samples import (
    epoch_units,
    interleaved,
    iso_format,
    kinds,
    paths,
    typical,
    values,
)


def test_reads_values_by_dotted_path_skipping_nulls() -> None:
    events: list[dict[str, object]] = [
        {"a": {"b": 1}},
        {"a": None},
        {"a": {"b": None}},
        {"a": {"b": 3}},
    ]
    assert values(events, "a.b") == [1, 3]
    assert paths(events) == {"a", "a.b"}


def test_describes_values() -> None:
    assert kinds([1, 2.5]) == {"float"}
    assert kinds(["2026-01-01 10:00:00", "2026-01-02"]) == {"iso"}
    assert typical([-10, 2, "4"]) == 4.0
    assert typical(["x"]) is None


def test_tells_epoch_units_apart() -> None:
    assert epoch_units([1767261600]) == 1.0
    assert epoch_units([1767261600123]) == 1e3
    assert epoch_units([1767261600123456]) == 1e6
    assert epoch_units([42]) is None


def test_writes_timestamps_the_way_the_samples_do() -> None:
    assert iso_format("2026-01-01 10:00:00") == "%Y-%m-%d %H:%M:%S"
    assert iso_format("2026-01-01T10:00:00.123456+02:00") == "%Y-%m-%dT%H:%M:%S.%f%z"
    assert iso_format("yesterday") is None


def test_samples_of_one_heavy_tailed_field_interleave() -> None:
    assert interleaved([19.88, 773.82, 3.88, 9.99, 49.0, 59.97], [429.99, 11.94, 110.84, 1363.5])
    assert interleaved([1, 20, 300], [4, 250, 600])


def test_samples_a_unit_apart_or_too_small_do_not_interleave() -> None:
    assert not interleaved([19.88, 773.82, 3.88, 9.99], [1988.0, 77382.0, 388.0, 999.0])
    assert not interleaved([1.0, 2.0], [1.5, 2.5, 3.0])
    assert not interleaved(["a", "b", "c"], [1, 2, 3])
