"""Evaluate a scenario's invariants on model outputs: the live replay, or expected rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlglot
from sqlglot import exp

from core.contracts import Invariant, Pipeline
from evals.scenario import Row, Scenario
from tools.sql.replay import CheckOutcome, ReplayResult, evaluate_checks, replay

ColumnTypes = dict[str, dict[str, str]]


def replay_before(scenario: Scenario) -> ReplayResult:
    """Replay `events.before` through the scenario's models, checking every invariant."""
    return replay(
        scenario.pipeline,
        {scenario.dataset: scenario.events.before},
        {scenario.dataset: scenario.contract},
        scenario.contract.invariants,
    )


def column_types(result: ReplayResult) -> ColumnTypes:
    """Model -> column -> DuckDB type, as a replay produced them."""
    return {m: {c.name: c.type for c in out.columns} for m, out in result.outputs.items()}


def _typed_model(source: str, rows: Sequence[Row], types: Mapping[str, str]) -> str:
    """DuckDB SQL giving expected rows (JSON-friendly) back the model's own column types."""
    names = list(rows[0])
    columns = [
        exp.cast(exp.column(n, quoted=True), types[n], dialect="duckdb").as_(n, quoted=True)
        if n in types
        else exp.column(n, quoted=True)
        for n in names
    ]
    return exp.select(*columns).from_(exp.to_table(source)).sql(dialect="duckdb")


def check_expected_rows(
    scenario: Scenario, outputs: Mapping[str, Sequence[Row]], types: ColumnTypes
) -> list[tuple[int, CheckOutcome]]:
    """(invariant index, outcome) for each invariant evaluated on the expected rows."""
    results: list[tuple[int, CheckOutcome]] = []
    dialect = scenario.pipeline.dialect
    for index, invariant in enumerate(scenario.contract.invariants):
        rows = outputs.get(invariant.model)
        if not rows:
            continue
        source = f"expected_{invariant.model}"
        probe = Pipeline(
            dialect="duckdb",
            models={invariant.model: _typed_model(source, rows, types.get(invariant.model, {}))},
        )
        check = sqlglot.transpile(invariant.check, read=dialect, write="duckdb")[0]
        portable = Invariant(name=invariant.name, model=invariant.model, check=check)
        [outcome] = evaluate_checks(probe, {source: rows}, [portable])
        results.append((index, outcome))
    return results


def describe(outcome: CheckOutcome) -> str | None:
    """One sentence about a failed check, or None when it passed."""
    if outcome.error is not None:
        return f"invariant {outcome.name!r} cannot be evaluated: {outcome.error}"
    if outcome.violations:
        example = outcome.examples[0] if outcome.examples else {}
        return (
            f"invariant {outcome.name!r} fails on {outcome.violations} of {outcome.rows} rows, "
            f"e.g. {example!r}"
        )
    return None
