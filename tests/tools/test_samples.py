"""Tests for tools.matching.samples."""

from __future__ import annotations

from tools.matching.samples import epoch_units, iso_format, kinds, paths, typical, values


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
