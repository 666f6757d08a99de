"""Value evidence: summaries, overlap on sketches, formats tolerant of precision, conflicts."""

from __future__ import annotations

from tools.matching.value_evidence import SKETCH, compare_values, overlap, summarize


def test_a_timestamp_that_gained_milliseconds_keeps_its_format() -> None:
    old = summarize("ts", [f"2026-01-0{d}T10:00:00Z" for d in range(1, 8)])
    new = summarize("event_time", [f"2026-02-0{d}T11:30:00.250Z" for d in range(1, 8)])
    found = compare_values(old, new)
    assert found is not None and found.score >= 0.45 and not found.conflict


def test_numbers_written_as_text_share_values_with_numbers() -> None:
    old = summarize("qty", ["1", "2.0", "3", "4", "5"])
    new = summarize("quantity", [1, 2, 3, 4, 5])
    assert old.kind == new.kind == "numeric"
    assert overlap(old, new) == (5, 1.0)


def test_two_shared_flags_prove_less_than_a_shared_vocabulary() -> None:
    flags = compare_values(summarize("a", ["yes", "no"]), summarize("b", ["yes", "no"]))
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    vocabulary = compare_values(summarize("c", words), summarize("d", words))
    assert flags is not None and vocabulary is not None
    assert vocabulary.score > flags.score


def test_many_unshared_values_of_another_form_are_a_conflict() -> None:
    urls = summarize("musician", [f"http://example.org/entity/Q{i}" for i in range(40)])
    names = summarize("musicianName", [f"Singer Number{chr(65 + i % 26)}" for i in range(40)])
    found = compare_values(urls, names)
    assert found is not None and found.conflict


def test_an_empty_column_gives_no_value_evidence() -> None:
    assert compare_values(summarize("a", [None, ""]), summarize("b", [1, 2])) is None


def test_overlap_of_large_columns_is_estimated_from_their_sketches() -> None:
    first = summarize("a", range(0, 4 * SKETCH))
    second = summarize("b", range(2 * SKETCH, 6 * SKETCH))
    shared, share = overlap(first, second)
    assert len(first.distinct) == SKETCH and not first.complete
    assert 0.3 < share < 0.7 and shared > SKETCH // 2


def test_numbers_written_inside_text_are_not_a_conflict() -> None:
    found = compare_values(
        summarize("age", [30, 45, 28, 51, 62]), summarize("a", ["x30", "x45", "x28", "x51", "x62"])
    )
    assert found is not None and not found.conflict and found.score > 0.5


def test_a_vocabulary_written_differently_is_close() -> None:
    found = compare_values(
        summarize("grade", ["G1 well differentiated", "G2 moderately differentiated", "G3 poor"]),
        summarize("tumor_grade", ["G1", "G2", "G3", "G4", "GX", "High Grade", "Not Reported"]),
    )
    assert found is not None and "close" in found.reason and found.score > 0.5
