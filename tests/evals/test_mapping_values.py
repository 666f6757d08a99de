"""Tests of evals.mapping_values: mapping targets compared by the values they give."""

from __future__ import annotations

from evals.mapping_values import same_values
from evals.scenario import Scenario
from evals.scoring import score_mapping

SCENARIO = Scenario.model_validate(
    {
        "id": "dwell-unit",
        "contract": {
            "dataset": "dwell",
            "fields": [
                {"name": "dwell_ms", "type": "integer"},
                {"name": "ts", "type": "timestamp"},
            ],
        },
        "pipeline": {"dialect": "postgres", "models": {"m": "select dwell_ms from dwell"}},
        "events": {
            "before": [{"dwell_ms": 5400, "ts": "2026-01-01T00:00:00Z"}],
            "after": [
                {"dwell_seconds": 4, "at_ms": 1767225600500},
                {"dwell_seconds": 2.5, "at_ms": 1767225601000},
            ],
        },
        "expect": {"outcome": "escalate"},
    }
)


def test_differently_spelled_targets_with_equal_values_are_equivalent() -> None:
    equivalent = same_values(SCENARIO)
    assert equivalent("dwell_seconds * 1000", "CAST(round(dwell_seconds * 1000) AS BIGINT)")
    assert equivalent("to_timestamp(at_ms / 1000.0)", "epoch_ms(at_ms)")  # duckdb fallback


def test_targets_with_different_values_or_that_cannot_run_are_not() -> None:
    equivalent = same_values(SCENARIO)
    assert not equivalent("dwell_seconds * 1000", "dwell_seconds * 100")
    assert not equivalent("dwell_seconds * 1000", "null")
    assert not equivalent("dwell_seconds * 1000", "no_such_column * 1000")
    assert not equivalent("to_timestamp(at_ms / 1000.0)", "to_timestamp(floor(at_ms / 1000))")


def test_score_mapping_uses_the_equivalence_only_when_spellings_differ() -> None:
    expected = {"dwell_ms": "dwell_seconds * 1000"}
    actual = {"dwell_ms": "round(dwell_seconds * 1000)::bigint"}
    assert score_mapping(expected, actual, "postgres") == (0, 1)
    assert score_mapping(expected, actual, "postgres", same_values(SCENARIO)) == (1, 1)


def test_suture_targets_are_read_as_duckdb_before_the_pipelines_dialect() -> None:
    """Read as Spark, DuckDB's `to_timestamp(epoch)` parses a string and gives NULL: a correct
    epoch -> ISO-text mapping on a Spark pipeline was scored wrong."""
    spark = SCENARIO.model_copy(
        update={"pipeline": SCENARIO.pipeline.model_copy(update={"dialect": "spark"})}
    )
    equivalent = same_values(spark)
    assert equivalent(
        "CAST(FROM_UNIXTIME(at_ms / 1000) AS TIMESTAMP)",
        "strftime(to_timestamp(at_ms / 1000), '%Y-%m-%dT%H:%M:%SZ')",
    )
    assert not equivalent(
        "CAST(FROM_UNIXTIME(at_ms / 1000) AS TIMESTAMP)",
        "strftime(to_timestamp(at_ms / 1000 + 3600), '%Y-%m-%dT%H:%M:%SZ')",
    )
