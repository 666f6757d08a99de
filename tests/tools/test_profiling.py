"""Tests for profile_batch and BatchProfile merging."""

from __future__ import annotations

import datetime as dt

import orjson

from tools.profiling.batch_profile import SKETCH_SIZE, BatchProfile
from tools.profiling.profile_batch import decode_events, flatten, profile_batch


def _raw(*events: object) -> list[bytes]:
    return [orjson.dumps(e) for e in events]


def test_counts_present_null_and_missing_per_field() -> None:
    profile = profile_batch(_raw({"a": 1, "b": None}, {"a": 2}, {"a": None, "b": "x"}))
    a, b = profile.fields["a"], profile.fields["b"]
    assert (profile.total, a.present, a.nulls, a.valued) == (3, 3, 1, 2)
    assert (b.present, b.nulls, profile.total - b.present) == (2, 1, 1)


def test_histograms_json_types_with_integral_floats_as_integers() -> None:
    profile = profile_batch(_raw({"v": 1}, {"v": 2.0}, {"v": 2.5}, {"v": "3"}, {"v": True}))
    assert profile.fields["v"].types == {"integer": 2, "number": 1, "string": 1, "boolean": 1}


def test_profiles_nested_objects_under_dotted_paths() -> None:
    profile = profile_batch(_raw({"address": {"city": "Paris", "geo": {"lat": 1.5}}}, {"x": 1}))
    assert profile.fields["address"].types == {"object": 1}
    assert profile.fields["address.city"].present == 1
    assert profile.fields["address.geo.lat"].numeric.max == 1.5  # type: ignore[union-attr]


def test_classifies_string_and_epoch_encodings() -> None:
    profile = profile_batch(
        _raw(
            {"t": "2026-01-01T10:00:00Z", "n": "12.50", "ms": 1767261600000, "s": 1767261600},
            {"t": "2026-01-02T10:00:00+01:00", "n": "3", "ms": 1767261600001, "s": 1767261601},
        )
    )
    assert profile.fields["t"].encodings == {"iso_timestamp": 2}
    assert profile.fields["n"].encodings == {"numeric_string": 2}
    assert profile.fields["ms"].encodings == {"epoch_millis": 2}
    assert profile.fields["s"].encodings == {"epoch_seconds": 2}


def test_numeric_stats_are_exact() -> None:
    stats = profile_batch(_raw(*({"n": n} for n in (4, 1, 7)))).fields["n"].numeric
    assert stats is not None
    assert (stats.count, stats.min, stats.max, stats.mean) == (3, 1, 7, 4)


def test_malformed_events_are_rejected_with_reason_and_position() -> None:
    profile = profile_batch([b'{"a": 1}', b"{not json", b'"text"', b""], offsets=[10, 11, 12, 13])
    assert (profile.total, profile.rejected) == (1, 3)
    assert [r.offset for r in profile.rejects] == [11, 12, 13]
    assert profile.rejects[0].reason.startswith("malformed JSON")
    assert profile.rejects[1].reason == "not a JSON object: string"
    assert profile.rejects[0].preview == "{not json"


def test_accepts_dicts_and_bytes_alike() -> None:
    assert profile_batch([{"a": 1}]).fields == profile_batch([b'{"a": 1}']).fields


def test_records_first_offset_and_partition_of_each_type() -> None:
    events = _raw({"id": 1}, {"id": 2}, {"id": "3"})
    profile = profile_batch(events, offsets=[40, 41, 42], partitions=[2, 2, 2])
    first = profile.fields["id"].first
    assert (first["integer"].offset, first["string"].offset, first["string"].partition) == (
        40,
        42,
        2,
    )


def test_value_sketch_matches_values_across_types() -> None:
    ints = profile_batch([{"a": 7}, {"a": 8}]).fields["a"]
    texts = profile_batch([{"b": "7"}, {"b": "8"}]).fields["b"]
    assert ints.sketch == texts.sketch


def test_counts_duplicates_within_a_batch() -> None:
    assert profile_batch([{"k": "x"}, {"k": "x"}, {"k": "y"}]).fields["k"].duplicates == 1


def test_booleans_are_not_confused_with_numbers() -> None:
    field = profile_batch([{"v": True}, {"v": 1}]).fields["v"]
    assert field.duplicates == 0
    assert field.types == {"boolean": 1, "integer": 1}


def test_merged_profiles_add_up_and_stay_bounded() -> None:
    first = profile_batch([{"id": f"a{i}", "n": i} for i in range(400)])
    second = profile_batch([{"id": f"b{i}", "n": None} for i in range(400)])
    merged = first.merge(second)
    assert (merged.total, merged.fields["n"].nulls, merged.fields["id"].present) == (800, 400, 800)
    assert len(merged.fields["id"].sketch) == SKETCH_SIZE
    assert 500 < merged.fields["id"].distinct_estimate() < 1200
    assert merged.merge(BatchProfile()).total == 800


def test_measures_delay_between_event_time_and_arrival() -> None:
    events = [{"ts": "2026-01-01T00:00:00Z"}, {"ts": 1767225630}]
    profile = profile_batch(events, event_time="ts", arrived_at=1767225660.0)
    assert profile.time is not None
    assert (profile.time.delay_max, profile.time.count) == (60.0, 2)


def test_flatten_and_decode_keep_event_order() -> None:
    decoded, indices, _ = decode_events([b"[]", b'{"a": {"b": 1}}'])
    assert indices == [1]
    assert flatten(decoded[0]) == {"a.b": 1}


def test_dicts_from_yaml_look_like_the_wire() -> None:
    event = {"ts": dt.datetime(2026, 1, 1, 10, tzinfo=dt.UTC), "day": dt.date(2026, 1, 1)}
    profile = profile_batch([event, {"ts": "2026-01-01T11:00:00Z", "day": "2026-01-02"}])
    assert profile.fields["ts"].types == {"string": 2}
    assert profile.fields["ts"].encodings == {"iso_timestamp": 2}
    assert profile.fields["day"].encodings == {"iso_date": 2}


def test_values_that_are_not_json_are_rejected() -> None:
    profile = profile_batch([{"a": {1, 2}}, {"a": 1}])
    assert (profile.total, profile.rejected) == (1, 1)
    assert profile.rejects[0].reason.startswith("not JSON-serialisable")


def test_event_times_in_nested_fields_and_mixed_zones() -> None:
    events = [
        {"meta": {"at": "2026-01-01T10:00:00Z"}},
        {"meta": {"at": "2026-01-01T11:30:00+01:00"}},
        {"meta": {"at": "not a time"}},
    ]
    profile = profile_batch(events, event_time="meta.at", arrived_at=[1767261700.0, 0.0, 0.0])
    assert profile.time is not None
    assert (profile.time.count, profile.time.unparsed) == (2, 1)
    assert (profile.time.event_min, profile.time.event_max) == (1767261600.0, 1767263400.0)
    assert profile.time.arrived_max == 1767261700.0
    assert profile.time.delay_max == 100.0


def test_timeline_measures_lateness_and_gaps() -> None:
    events = [{"t": 1767261600}, {"t": 1767261900}, {"t": 1767261660}]
    profile = profile_batch(events, event_time="t", timeline=True)
    assert profile.time is not None
    assert (profile.time.late_max, profile.time.gap_max) == (240.0, 240.0)
