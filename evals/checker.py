"""`suture eval --check DIR`: validate scenario files before anyone trusts their scores."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import sqlglot
from sqlglot.errors import ParseError

from core.contracts import Pipeline
from core.errors import ReplayError, ToolError
from core.models import DRIFT_KINDS, QUALITY_KINDS
from evals.invariants import check_expected_rows, column_types, describe, replay_before
from evals.loader import LoadedScenario, load_suite
from evals.rows import compare_outputs
from evals.scenario import Scenario
from tools.monitoring.lag import LagSample, lag_detections
from tools.sql.replay import run_models

# Detection kinds whose `field` must be one of the contract's fields (`add` must not be, and
# freshness concerns the whole topic).
_CONTRACT_FIELD_KINDS = (DRIFT_KINDS | QUALITY_KINDS) - {"add", "freshness"}


@dataclass(frozen=True)
class CheckProblem:
    """Something wrong with one scenario file, at a line."""

    path: Path
    line: int
    scenario_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.scenario_id}: {self.message}"


@dataclass
class CheckReport:
    """How many scenarios were checked, and every problem found."""

    checked: int = 0
    problems: list[CheckProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every file loaded and every check passed."""
        return not self.problems


class _Problems:
    """Collects problems of one scenario, placing each at the line of a key path."""

    def __init__(self, loaded: LoadedScenario) -> None:
        self.loaded = loaded
        self.found: list[CheckProblem] = []

    def add(self, loc: Sequence[str | int], message: str) -> None:
        line = self.loaded.source.line_of(loc)
        self.found.append(CheckProblem(self.loaded.path, line, self.loaded.scenario.id, message))


def _run(
    scenario: Scenario, pipeline: Pipeline, rows: Sequence[Mapping[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    tables = {scenario.dataset: rows}
    return run_models(pipeline, tables, {scenario.dataset: scenario.contract})


def _check_references(scenario: Scenario, problems: _Problems) -> None:
    contract_fields = set(scenario.contract.field_names)
    models = scenario.pipeline.models
    for index, detection in enumerate(scenario.expect.detect):
        loc: list[str | int] = ["expect", "detect", index, "field"]
        if detection.kind in _CONTRACT_FIELD_KINDS and detection.field not in contract_fields:
            problems.add(
                loc, f"{detection.kind} detection field {detection.field!r} is not a contract field"
            )
        if detection.kind == "add" and detection.field in contract_fields:
            problems.add(loc, f"added field {detection.field!r} is already in the contract")
    for index, invariant in enumerate(scenario.contract.invariants):
        if invariant.model not in models:
            problems.add(
                ["contract", "invariants", index, "model"],
                f"invariant {invariant.name!r} names unknown model {invariant.model!r}",
            )
    for source, target in scenario.expect.mapping.items():
        if source not in contract_fields:
            problems.add(
                ["expect", "mapping", source],
                f"mapping key {source!r} is not a contract field; map old fields",
            )
        try:
            sqlglot.parse_one(target, read=scenario.pipeline.dialect)
        except ParseError as error:
            problems.add(["expect", "mapping", source], f"mapping value does not parse: {error}")
    for model in scenario.expect.output:
        if model not in models:
            problems.add(["expect", "output", model], f"output names unknown model {model!r}")
    if scenario.expect.outcome == "fix" and not scenario.expect.output:
        problems.add(["expect"], "a 'fix' scenario needs expect.output; run evals.build_expected")
    if scenario.lag is not None and scenario.lag.topic != scenario.dataset:
        problems.add(
            ["lag", "topic"],
            f"lag topic {scenario.lag.topic!r} is not the contract's dataset {scenario.dataset!r}",
        )


def _check_lag(scenario: Scenario, problems: _Problems) -> None:
    expected: set[tuple[int | None, str | None]] = {
        (d.partition, d.status) for d in scenario.expect.detect if d.kind == "lag"
    }
    if scenario.lag is None:
        return
    # The same Burrow rules the lag monitor applies, over every sample of the section.
    samples = [
        LagSample(t=s.t, partition=s.partition, end=s.end, committed=s.committed)
        for s in scenario.lag.samples
    ]
    actual: set[tuple[int | None, str | None]] = {
        (d.partition, d.status) for d in lag_detections(samples) if d.status != "OK"
    }
    loose = {status for partition, status in expected if partition is None}
    actual_loose = {(p, s) for p, s in actual if s not in loose}
    for partition, status in sorted(actual_loose - expected, key=str):
        problems.add(
            ["lag", "samples"],
            f"partition {partition} is {status} by Burrow's rules, "
            "but expect.detect does not say so",
        )
    for partition, status in sorted(expected - actual, key=str):
        if partition is None and any(s == status for _, s in actual):
            continue
        problems.add(
            ["expect", "detect"],
            f"expects lag {status} on partition {partition}, "
            "but Burrow's rules do not give that from the samples",
        )


def _check_reject_patches(scenario: Scenario, problems: _Problems) -> None:
    dialect = scenario.pipeline.dialect
    for index, patch in enumerate(scenario.expect.reject_patches):
        loc: list[str | int] = ["expect", "reject_patches", index]
        if patch.model not in scenario.pipeline.models:
            problems.add([*loc, "model"], f"reject patch names unknown model {patch.model!r}")
            continue
        try:
            sqlglot.parse_one(patch.sql, read=dialect)
        except ParseError as error:
            problems.add([*loc, "sql"], f"reject patch does not parse as {dialect}: {error}")
            continue
        if not scenario.expect.output:
            continue
        patched = Pipeline(
            dialect=dialect, models={**scenario.pipeline.models, patch.model: patch.sql}
        )
        try:
            outputs = _run(scenario, patched, scenario.events.after)
        except (ReplayError, ToolError, OverflowError):
            # A patch that cannot even run is wrong enough. OverflowError: replay cannot yet
            # convert out-of-range timestamps (e.g. milliseconds read as seconds).
            continue
        if not compare_outputs(scenario.expect.output, outputs):
            problems.add(
                [*loc, "sql"],
                "reject patch produces exactly expect.output, "
                "so it is not wrong; make it plausible but wrong",
            )


def _check_runs(scenario: Scenario, problems: _Problems) -> None:
    try:
        before = replay_before(scenario)
    except (ReplayError, ToolError) as error:
        problems.add(["pipeline", "models"], f"models fail on events.before: {error}")
        return
    for index, outcome in enumerate(before.checks):
        if message := describe(outcome):
            problems.add(["contract", "invariants", index], f"on events.before: {message}")
    try:
        expected = check_expected_rows(scenario, scenario.expect.output, column_types(before))
    except (ReplayError, ToolError) as error:
        problems.add(["expect", "output"], f"expected rows cannot be loaded: {error}")
        expected = []
    for index, outcome in expected:
        if message := describe(outcome):
            problems.add(["contract", "invariants", index], f"in expect.output: {message}")
    if scenario.expect.output:
        try:
            unpatched = _run(scenario, scenario.pipeline, scenario.events.after)
        except (ReplayError, ToolError):
            unpatched = None
        if unpatched is not None and not compare_outputs(scenario.expect.output, unpatched):
            problems.add(
                ["expect", "outcome"],
                "the models already produce expect.output from events.after without a fix; "
                "make the outcome no_action or the change breaking",
            )
    if scenario.expect.outcome == "no_action":
        try:
            _run(scenario, scenario.pipeline, scenario.events.after)
        except (ReplayError, ToolError) as error:
            problems.add(
                ["expect", "outcome"],
                f"outcome no_action, but the models fail on events.after: {error}",
            )


def check_scenario(loaded: LoadedScenario) -> list[CheckProblem]:
    """Every problem of one loaded scenario, each at the line of the key it is about."""
    problems = _Problems(loaded)
    _check_references(loaded.scenario, problems)
    _check_lag(loaded.scenario, problems)
    _check_runs(loaded.scenario, problems)
    _check_reject_patches(loaded.scenario, problems)
    return problems.found


def check_suite(root: Path | str, tags: Sequence[str] | None = None) -> CheckReport:
    """Load and check every scenario below `root`; load errors count as problems."""
    suite = load_suite(root, tags)
    report = CheckReport(checked=len(suite.loaded) + len(suite.errors))
    for error in suite.errors:
        report.problems.append(CheckProblem(error.path, error.line, "-", error.message))
    for loaded in suite.loaded:
        report.problems.extend(check_scenario(loaded))
    return report


def run_check(root: Path | str, tags: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    """Print every problem (file:line: id: message) and a summary; exit code 1 on problems."""
    report = check_suite(root, tags)
    for problem in report.problems:
        print(problem, file=out)
    files = {p.path for p in report.problems}
    print(
        f"checked {report.checked} scenario files: {len(report.problems)} problems "
        f"in {len(files)} files",
        file=out,
    )
    return 0 if report.ok else 1
