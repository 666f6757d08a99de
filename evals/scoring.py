"""Pure scorers: what the runner observed in one scenario, measured against `expect`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import sqlglot
from pydantic import BaseModel, ConfigDict, Field
from sqlglot import exp
from sqlglot.errors import ParseError
from sqlglot.optimizer.simplify import simplify

from core.models import Detection
from evals.mapping_values import Equivalence, actual_values, target_values
from evals.rows import compare_outputs, values_equal
from evals.run_record import (
    ActualRun,
    ExpectedRun,
    RejectVerdict,
    RunRecord,
    TargetValues,
    detection_json,
    json_ready,
)
from evals.scenario import ExpectedDetection, Outcome, Row, Scenario


class ScenarioRun(BaseModel):
    """What the runner observed while one scenario went through the live code paths."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario_id: str
    detections: list[Detection] = Field(default_factory=list)
    outcome: Outcome | None = Field(default=None, description="None: the run ended in an error.")
    mapping: dict[str, str] = Field(default_factory=dict)
    validation_passed: bool | None = Field(default=None, description="None: nothing proposed.")
    output: dict[str, list[Row]] | None = Field(
        default=None, description="Rows of the patched models on events.after, once applied."
    )
    patched_models: dict[str, str] = Field(
        default_factory=dict, description="Model -> SQL after the fix, for the models it changed."
    )
    rejects: list[RejectVerdict] = Field(
        default_factory=list, description="Per expect.reject_patches: what validation said."
    )
    llm_calls: int = Field(default=0, ge=0)
    cache_hits: int = Field(default=0, ge=0)
    wall_seconds: float = Field(default=0.0, ge=0.0)
    error: str | None = None


class Counts(BaseModel):
    """Matched and unmatched detections."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    @property
    def precision(self) -> float:
        """Share of reported detections that were expected (1.0 when nothing was reported)."""
        claimed = self.true_positives + self.false_positives
        return self.true_positives / claimed if claimed else 1.0

    @property
    def recall(self) -> float:
        """Share of expected detections that were reported (1.0 when none were expected)."""
        wanted = self.true_positives + self.false_negatives
        return self.true_positives / wanted if wanted else 1.0


def _same_to(expected: str | list[str] | None, actual: str | list[str] | None) -> bool:
    if expected is None:
        return True
    return actual is not None and _as_set(expected) == _as_set(actual)


def _as_set(value: str | list[str]) -> frozenset[str]:
    return frozenset(value) if isinstance(value, list) else frozenset([value])


def detection_matches(expected: ExpectedDetection, actual: Detection) -> bool:
    """Exact on kind and field (and `to`, lag status and partition when given); else tolerant."""
    if expected.kind != actual.kind or expected.field != actual.field:
        return False
    if not _same_to(expected.to, actual.to):
        return False
    if expected.status is not None and expected.status != actual.status:
        return False
    return expected.partition is None or expected.partition == actual.partition


def score_detections(expected: Sequence[ExpectedDetection], actual: Sequence[Detection]) -> Counts:
    """Match each expected detection to at most one reported one; count the rest."""
    unmatched = list(actual)
    found = 0
    for wanted in expected:
        index = next((i for i, d in enumerate(unmatched) if detection_matches(wanted, d)), None)
        if index is not None:
            found += 1
            del unmatched[index]
    return Counts(
        true_positives=found,
        false_positives=len(unmatched),
        false_negatives=len(expected) - found,
    )


def normalize_expression(text: str, dialect: str = "duckdb") -> str:
    """One spelling for an SQL expression: parsed, unqualified, simplified, lower-cased names.

    >>> normalize_expression('"Customer_Id"') == normalize_expression("customer_id")
    True
    >>> normalize_expression("amount / 100") == normalize_expression("(amount)/100.0")
    False
    """
    try:
        tree = sqlglot.parse_one(text, read=dialect)
    except ParseError:
        return " ".join(text.split()).lower()
    tree = tree.unalias() if isinstance(tree, exp.Alias) else tree

    def _plain(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column):
            return exp.column(node.name.lower())
        if isinstance(node, exp.Paren) and isinstance(node.this, exp.Expression):
            return node.this
        return node

    plain: exp.Expression = tree.copy().transform(_plain)
    simplified: exp.Expression = simplify(plain, dialect="duckdb")
    return str(simplified.sql(dialect="duckdb"))


def score_mapping(
    expected: Mapping[str, str],
    actual: Mapping[str, str],
    dialect: str = "duckdb",
    equivalent: Equivalence | None = None,
) -> tuple[int, int]:
    """(expected entries the run got right, expected entries); extra entries are ignored.

    An entry is right when both targets normalize to the same SQL, or else when
    `equivalent(expected_target, actual_target)` says they mean the same.
    """
    correct = 0
    for source, target in expected.items():
        if source not in actual:
            continue
        same = normalize_expression(actual[source], dialect) == normalize_expression(
            target, dialect
        )
        correct += same or (equivalent is not None and equivalent(target, actual[source]))
    return correct, len(expected)


class ScenarioScore(BaseModel):
    """How one scenario scored; None where a measure does not apply to it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario_id: str
    tags: list[str] = Field(default_factory=list)
    expected_outcome: Outcome
    actual_outcome: Outcome | None
    detections: Counts
    outcome_correct: bool
    mapping_correct: int = 0
    mapping_total: int = 0
    output_correct: bool | None = None
    output_problems: list[str] = Field(default_factory=list)
    rejects_refused: int = 0
    rejects_total: int = 0
    false_confidence: bool = False
    llm_calls: int = 0
    cache_hits: int = 0
    wall_seconds: float = 0.0
    error: str | None = None
    record: RunRecord | None = Field(
        default=None, description="What was expected and what happened; the score's only input."
    )

    @property
    def passed(self) -> bool:
        """Everything the scenario expects happened, without any false confidence."""
        return (
            self.error is None
            and self.outcome_correct
            and self.detections.false_negatives == 0
            and self.mapping_correct == self.mapping_total
            and self.output_correct is not False
            and self.rejects_refused == self.rejects_total
            and not self.false_confidence
        )


def build_record(scenario: Scenario, run: ScenarioRun, by_values: bool = True) -> RunRecord:
    """The scenario's expectation beside the run, JSON-ready, with what scoring must evaluate.

    With `by_values`, every mapping entry spelled differently from the expected one is evaluated
    on events.after (both targets), so that scoring can tell whether they mean the same.
    """
    expect, dialect = scenario.expect, scenario.pipeline.dialect
    values: dict[str, TargetValues] = {}
    for source, target in expect.mapping.items():
        got = run.mapping.get(source)
        if not by_values or got is None:
            continue
        if normalize_expression(got, dialect) != normalize_expression(target, dialect):
            values[source] = TargetValues(
                expected=json_ready(target_values(scenario, target)),
                actual=json_ready(actual_values(scenario, got)),
            )
    actual = ActualRun(
        detections=[detection_json(d) for d in run.detections],
        outcome=run.outcome,
        mapping=dict(run.mapping),
        patched_models=dict(run.patched_models),
        output=None if run.output is None else json_ready(run.output),
        validation_passed=run.validation_passed,
        reject_patches=list(run.rejects),
        llm_calls=run.llm_calls,
        cache_hits=run.cache_hits,
        wall_seconds=run.wall_seconds,
        error=run.error,
    )
    expected = ExpectedRun(
        dialect=dialect,
        detect=list(expect.detect),
        outcome=expect.outcome,
        mapping=dict(expect.mapping),
        output=json_ready(expect.output),
        reject_patches=len(expect.reject_patches),
    )
    return RunRecord(
        scenario_id=scenario.id,
        tags=list(scenario.tags),
        expect=expected,
        actual=actual,
        mapping_values=values,
    )


def _values_agree(values: TargetValues | None) -> bool:
    if values is None or values.expected is None or values.actual is None:
        return False
    if len(values.expected) != len(values.actual):
        return False
    return all(values_equal(e, a) for e, a in zip(values.expected, values.actual, strict=True))


def score_record(record: RunRecord) -> ScenarioScore:
    """Score one record: nothing but the record is read, so a JSON report can be re-scored.

    False confidence: a fix that passed validation, yet whose output is wrong, or that was
    proposed where `escalate` or `no_action` was expected.
    """
    expect, actual = record.expect, record.actual
    evaluated = {
        (expect.mapping[source], actual.mapping.get(source)): values
        for source, values in record.mapping_values.items()
        if source in expect.mapping
    }
    correct, total_entries = score_mapping(
        expect.mapping,
        actual.mapping,
        expect.dialect,
        lambda want, got: _values_agree(evaluated.get((want, got))),
    )
    output_correct: bool | None = None
    problems: list[str] = []
    if expect.outcome == "fix":
        if actual.output is None:
            output_correct = False
            problems = ["no fix was applied, so the models produced no output"]
        else:
            problems = compare_outputs(expect.output, actual.output)
            output_correct = not problems
    produced_wrong = actual.output is not None and bool(
        compare_outputs(expect.output, actual.output)
    )
    confident_fix = actual.outcome == "fix" and bool(actual.validation_passed)
    refused = actual.reject_patches[: expect.reject_patches]
    detections = [Detection.model_validate(d) for d in actual.detections]
    return ScenarioScore(
        scenario_id=record.scenario_id,
        tags=list(record.tags),
        expected_outcome=expect.outcome,
        actual_outcome=actual.outcome,
        detections=score_detections(expect.detect, detections),
        outcome_correct=actual.outcome == expect.outcome,
        mapping_correct=correct,
        mapping_total=total_entries,
        output_correct=output_correct,
        output_problems=problems,
        rejects_refused=sum(verdict.refused for verdict in refused),
        rejects_total=expect.reject_patches,
        false_confidence=confident_fix and (expect.outcome != "fix" or produced_wrong),
        llm_calls=actual.llm_calls,
        cache_hits=actual.cache_hits,
        wall_seconds=actual.wall_seconds,
        error=actual.error,
        record=record,
    )


def score_scenario(scenario: Scenario, run: ScenarioRun, by_values: bool = True) -> ScenarioScore:
    """Score one run against its scenario's expectations (see `build_record`, `score_record`)."""
    return score_record(build_record(scenario, run, by_values))


class Totals(BaseModel):
    """Every measure over a whole suite (detections micro-averaged over all scenarios)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenarios: int
    passed: int
    errors: int
    detection_precision: float
    detection_recall: float
    outcome_accuracy: float
    mapping_accuracy: float
    output_correctness: float
    reject_share: float
    false_confidence: int
    llm_calls: int
    cache_hits: int
    wall_seconds: float


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def total(scores: Iterable[ScenarioScore], wall_seconds: float | None = None) -> Totals:
    """Totals over `scores`; `wall_seconds` is the suite's wall time (else the sum)."""
    items = list(scores)
    counts = Counts(
        true_positives=sum(s.detections.true_positives for s in items),
        false_positives=sum(s.detections.false_positives for s in items),
        false_negatives=sum(s.detections.false_negatives for s in items),
    )
    outputs = [s.output_correct for s in items if s.output_correct is not None]
    return Totals(
        scenarios=len(items),
        passed=sum(s.passed for s in items),
        errors=sum(s.error is not None for s in items),
        detection_precision=counts.precision,
        detection_recall=counts.recall,
        outcome_accuracy=_share(sum(s.outcome_correct for s in items), len(items)),
        mapping_accuracy=_share(
            sum(s.mapping_correct for s in items), sum(s.mapping_total for s in items)
        ),
        output_correctness=_share(sum(outputs), len(outputs)),
        reject_share=_share(
            sum(s.rejects_refused for s in items), sum(s.rejects_total for s in items)
        ),
        false_confidence=sum(s.false_confidence for s in items),
        llm_calls=sum(s.llm_calls for s in items),
        cache_hits=sum(s.cache_hits for s in items),
        wall_seconds=sum(s.wall_seconds for s in items) if wall_seconds is None else wall_seconds,
    )
