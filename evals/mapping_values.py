"""Tell whether two mapping targets mean the same, by evaluating both over `events.after`.

A mapping target is an SQL expression over the new event. Spellings differ
(`cast(q as integer)` and `CAST(q AS BIGINT)`, `x * 100` and `CAST(round(x * 100) AS BIGINT)`),
so two targets count as equal when they give equal values (numbers within tolerance, timestamps
as instants) for every event of the scenario. An expected target is read in the pipeline's
dialect, as the scenario author wrote it; suture's own targets are DuckDB expressions (the
language of its mappings and replays; patches are transpiled to the pipeline's dialect), so they
are read in DuckDB first: read as Spark, `to_timestamp(epoch)` is a string parse and gives NULL.
Evaluation runs in a fresh in-memory DuckDB: a
deterministic function of the scenario, with no outside state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from core.contracts import Pipeline
from core.errors import ReplayError, ToolError
from evals.rows import values_equal
from evals.scenario import Scenario
from tools.sql.replay import run_models

Equivalence = Callable[[str, str], bool]


def _values(scenario: Scenario, target: str, dialect: str) -> list[Any] | None:
    """The target's value for each event of events.after, or None if it cannot be evaluated."""
    try:
        expression = sqlglot.parse_one(target, read=dialect)
        query = exp.select(
            exp.column("__position"), exp.alias_(expression, "value", quoted=True)
        ).from_(exp.to_table(scenario.dataset, quoted=True))
        sql = query.sql(dialect=dialect)
    except SqlglotError:
        return None
    numbered = [{**event, "__position": i} for i, event in enumerate(scenario.events.after)]
    pipeline = Pipeline(dialect=dialect, models={"mapping_values": sql})
    try:
        rows = run_models(
            pipeline, {scenario.dataset: numbered}, {scenario.dataset: scenario.contract}
        )["mapping_values"]
    except (ReplayError, ToolError, OverflowError):
        return None
    return [row["value"] for row in sorted(rows, key=lambda row: int(str(row["__position"])))]


def target_values(scenario: Scenario, target: str) -> list[Any] | None:
    """A mapping target's value per event of events.after: read in the pipeline's dialect, or
    else DuckDB's (where replays run); None when it cannot be evaluated."""
    dialect = scenario.pipeline.dialect
    found = _values(scenario, target, dialect)
    if found is None and dialect != "duckdb":
        found = _values(scenario, target, "duckdb")
    return found


def actual_values(scenario: Scenario, target: str) -> list[Any] | None:
    """suture's mapping target's value per event of events.after: read in DuckDB, its mapping
    language, or else in the pipeline's dialect; None when it cannot be evaluated."""
    found = _values(scenario, target, "duckdb")
    if found is None and scenario.pipeline.dialect != "duckdb":
        found = _values(scenario, target, scenario.pipeline.dialect)
    return found


def same_values(scenario: Scenario) -> Equivalence:
    """An equivalence for score_mapping: both targets give the same value for every event.

    The expected target is read in the pipeline's dialect; the actual one as `actual_values`
    reads it.
    """
    dialect = scenario.pipeline.dialect

    def equivalent(expected: str, actual: str) -> bool:
        want = _values(scenario, expected, dialect)
        got = actual_values(scenario, actual)
        if want is None or got is None or len(want) != len(got):
            return False
        return all(values_equal(w, g) for w, g in zip(want, got, strict=True))

    return equivalent
