"""Tests for event-time bounds and delays of a batch."""

from __future__ import annotations

from tools.profiling.event_times import time_stats


def test_empty_event_times_count_as_unparsed() -> None:
    stats = time_stats("at", [{"at": ""}, {"at": ""}], [0, 1], 100.0)

    assert (stats.count, stats.unparsed, stats.event_min) == (0, 2, None)


def test_uniform_iso_times_are_bounded_in_one_zone_or_parsed_across_zones() -> None:
    utc = [{"at": "2026-01-01T10:00:00Z"}, {"at": "2026-01-01T09:00:00Z"}]
    mixed = [{"at": "2026-01-01T10:00:00+01:00"}, {"at": "2026-01-01T09:30:00Z"}]

    assert time_stats("at", utc, [0, 1], None).event_min == 1767258000.0
    assert time_stats("at", mixed, [0, 1], None).event_min == 1767258000.0
