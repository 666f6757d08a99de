"""The replay gate: a patch passes only if the patched pipeline behaves on the new events as the
original did on the old ones (schema, invariants, values), and every guardrail allows it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from core.contracts import Contract, Pipeline
from core.errors import ReplayError, ToolError
from core.models import CheckResult, ModelPatch, SchemaMapping, ValidationReport
from guardrails.compositions import composition_checks
from guardrails.invariants import invariant_results
from guardrails.lossless_times import lossless_time_checks
from guardrails.recipes import recipe_checks
from guardrails.registry import PatchReview, check
from guardrails.replay_compare import (
    MAGNITUDE_TOLERANCE,
    distribution_check,
    null_check,
    row_count_check,
    schema_check,
)
from guardrails.substitutions import substitution_checks
from guardrails.successors import successor_checks
from guardrails.units_kept import units_kept_checks
from tools.sql.model_graph import normalized
from tools.sql.replay import ReplayResult, Rows, replay

Events = Mapping[str, Rows] | Rows


def _tables(events: Events, dataset: str) -> dict[str, Rows]:
    if isinstance(events, Mapping):
        return dict(events)
    return {dataset: list(events)}


def _projections(sql: str, dialect: str) -> dict[str, exp.Expr]:
    try:
        tree = sqlglot.parse_one(sql, read=dialect)
    except SqlglotError:
        return {}
    if not isinstance(tree, exp.Select):
        return {}
    return {p.alias_or_name: p for p in tree.expressions}


def _changed_columns(pipeline: Pipeline, patch: ModelPatch) -> tuple[set[str], set[str]]:
    """Output columns the patch changes, and those of them it computes with an expression."""
    before = _projections(pipeline.models.get(patch.model, patch.before_sql), pipeline.dialect)
    after = _projections(patch.after_sql, patch.dialect)
    changed = {
        name
        for name, node in after.items()
        if name not in before
        or before[name].sql(dialect=pipeline.dialect) != node.sql(dialect=pipeline.dialect)
    }
    bare = (exp.Column, exp.Dot)
    computed = {
        name
        for name in changed
        if not isinstance(
            after[name].unalias() if isinstance(after[name], exp.Alias) else after[name], bare
        )
    }
    return changed, computed


def _run(
    name: str, pipeline: Pipeline, tables: Mapping[str, Rows], contracts: Mapping[str, Contract]
) -> ReplayResult | CheckResult:
    invariants = [inv for c in contracts.values() for inv in c.invariants]
    try:
        return replay(pipeline, tables, contracts, invariants)
    except (ReplayError, ToolError) as error:
        return CheckResult(name=name, passed=False, detail=str(error))


def _key_columns(pipeline: Pipeline, patch: ModelPatch, contract: Contract | None) -> set[str]:
    """Output columns the original model reads straight from the contract's key or a unique
    field: opaque identifiers, whose outline says nothing (`ChIJ..._..` became `ChIJ..-..`)."""
    if contract is None:
        return set()
    keys = {f.name for f in contract.fields if f.unique} | (
        {contract.key} if contract.key else set()
    )
    found = _projections(pipeline.models.get(patch.model, patch.before_sql), pipeline.dialect)
    return {
        name
        for name, node in found.items()
        if isinstance(bare := node.unalias() if isinstance(node, exp.Alias) else node, exp.Column)
        and ".".join(p.name for p in bare.parts if p.name) in keys
    }


def _comparisons(
    pipeline: Pipeline,
    patches: Sequence[ModelPatch],
    baseline: ReplayResult,
    patched: ReplayResult,
    events: int,
    tolerance: float,
    contract: Contract | None = None,
) -> list[CheckResult]:
    changes = {
        p.model: (changed - _key_columns(pipeline, p, contract), computed)
        for p in patches
        for changed, computed in [_changed_columns(pipeline, p)]
    }
    results: list[CheckResult] = []
    for model, old in baseline.outputs.items():
        new = patched.outputs.get(model)
        if new is None:
            results.append(
                CheckResult(name=f"schema:{model}", passed=False, detail="model is gone")
            )
            continue
        results += [
            schema_check(model, old, new),
            null_check(model, old, new),
            distribution_check(model, old, new, *changes.get(model, (set(), set())), tolerance),
            row_count_check(model, old, new, events),
        ]
    return results


def validate_patch(
    pipeline: Pipeline,
    patches: Sequence[ModelPatch],
    contracts: Mapping[str, Contract],
    before_events: Events,
    after_events: Events,
    *,
    dataset: str,
    mapping: SchemaMapping | None,
    tolerance: float = MAGNITUDE_TOLERANCE,
) -> ValidationReport:
    """Check a patch: guardrails, a replay of the new events, invariants, and output comparisons.

    `dataset` is the topic whose change the patch answers; `mapping` is the schema mapping the
    patch was made from (its own guardrails run on it), or None for a patch written by hand.
    Events are topic -> events, or a plain list of the changed topic's events. The original
    pipeline's output on `before_events` is the reference the patched output must resemble.
    """
    topic = dataset
    review = PatchReview(
        pipeline=pipeline,
        dataset=topic,
        patches=list(patches),
        mapping=mapping or SchemaMapping(),
        contract=contracts.get(topic),
    )
    checks = [
        CheckResult(name=f"guardrail:{v.rule}", passed=v.allowed, detail=v.reason or "allowed")
        for v in check(review)
    ]
    before_tables, after_tables = _tables(before_events, topic), _tables(after_events, topic)
    replayed = sum(len(rows) for rows in after_tables.values())
    old, new = before_tables.get(topic, ()), after_tables.get(topic, ())
    checks += substitution_checks(pipeline, patches, topic, old, new, contracts.get(topic), mapping)
    checks += successor_checks(pipeline, patches, topic, old, new, contracts.get(topic))
    checks += composition_checks(pipeline, patches, topic, old, new, contracts.get(topic))
    checks += lossless_time_checks(pipeline, patches, topic, old, new)
    try:
        reference, candidate = normalized(pipeline), normalized(review.patched())
    except ToolError as error:
        checks.append(CheckResult(name="replay:after", passed=False, detail=str(error)))
        return ValidationReport(checks=checks, replayed_events=0)
    baseline = _run("replay:before", reference, before_tables, contracts)
    patched = _run("replay:after", candidate, after_tables, contracts)
    for run in (baseline, patched):
        if isinstance(run, CheckResult):
            checks.append(run)
    checks += recipe_checks(candidate, patches, contracts, new)
    if isinstance(patched, ReplayResult):
        checks.append(
            CheckResult(
                name="replay:after",
                passed=True,
                detail=f"the patched pipeline ran on {replayed} new events",
            )
        )
        pii = {f.name.split(".")[-1] for c in contracts.values() for f in c.fields if f.pii}
        checks += invariant_results(patched.checks, pii)
        checks += units_kept_checks(patched, patches, contracts.get(topic), old, new)
        if isinstance(baseline, ReplayResult):
            checks += _comparisons(
                pipeline,
                patches,
                baseline,
                patched,
                len(after_tables.get(topic, ())),
                tolerance,
                contracts.get(topic),
            )
    return ValidationReport(checks=checks, replayed_events=replayed)
