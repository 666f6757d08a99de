"""Guardrails on what a patch changes: which models, which outputs, what replaces a field."""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from core.errors import ToolError
from core.models import ModelPatch, Verdict
from guardrails.registry import PatchReview, guardrail
from tools.sql.model_graph import build_graph, resolve_name, tables_read

_DATA_DEPENDENT = (exp.Column, exp.Star, exp.AggFunc, exp.Window, exp.Query)


def _parse(sql: str, dialect: str) -> exp.Expr | None:
    try:
        return sqlglot.parse_one(sql, read=dialect)
    except SqlglotError:
        return None


def is_constant(node: exp.Expr) -> bool:
    """True when `node` reads no data: literals, NULL, casts of them, now(), ...

    >>> is_constant(sqlglot.parse_one("cast(null as bigint)"))
    True
    >>> is_constant(sqlglot.parse_one("count(*)"))
    False
    """
    inner = node.this if isinstance(node, exp.Alias) else node
    return inner.find(*_DATA_DEPENDENT) is None


def output_names(tree: exp.Expr) -> list[str]:
    """The output column names of a query, lower-cased (`*` where a star is left)."""
    return [n.lower() for n in tree.named_selects] if isinstance(tree, exp.Query) else []


def _constant_outputs(tree: exp.Expr) -> tuple[set[str], set[str]]:
    constant: set[str] = set()
    computed: set[str] = set()
    for select in tree.find_all(exp.Select):
        for projection in select.expressions:
            name = projection.alias_or_name.lower()
            (constant if is_constant(projection) else computed).add(name)
    return constant, computed


def _trees(patch: ModelPatch, before_sql: str) -> tuple[exp.Expr, exp.Expr] | None:
    before, after = _parse(before_sql, patch.dialect), _parse(patch.after_sql, patch.dialect)
    return (before, after) if before is not None and after is not None else None


@guardrail
def output_columns_preserved(review: PatchReview) -> Verdict:
    """A patched model outputs the same column names, in order, as the model it replaces."""
    for patch in review.patches:
        trees = _trees(patch, review.pipeline.models.get(patch.model, patch.before_sql))
        if trees is None:
            return Verdict.block(f"model {patch.model!r} does not parse; cannot compare outputs")
        before, after = (output_names(t) for t in trees)
        if "*" in before:
            continue  # a star's names are only known at run time: the replay gate compares them
        if before != after:
            return Verdict.block(
                f"model {patch.model!r} outputs {after} instead of {before}; keep the old names "
                "(alias the new expressions) so downstream models do not break"
            )
    return Verdict.allow()


@guardrail
def touches_only_affected_models(review: PatchReview) -> Verdict:
    """A fix changes only existing models that read the changed topic, directly or downstream."""
    try:
        affected = set(build_graph(review.pipeline, {review.dataset}).downstream(review.dataset))
    except ToolError as error:
        return Verdict.block(f"the pipeline cannot be read: {error}")
    names = [p.model for p in review.patches]
    if len(names) != len(set(names)):
        return Verdict.block(f"a model is patched twice in {names}")
    outside = sorted(set(names) - affected)
    if outside:
        return Verdict.block(
            f"models {outside} do not read {review.dataset!r}; a fix for it must leave them alone"
        )
    return Verdict.allow()


@guardrail
def reads_only_original_tables(review: PatchReview) -> Verdict:
    """A patched model reads no table (topic or model) that the original did not read."""
    known = set(review.pipeline.models) | {review.dataset}
    for patch in review.patches:
        trees = _trees(patch, review.pipeline.models.get(patch.model, patch.before_sql))
        if trees is None:
            return Verdict.block(f"model {patch.model!r} does not parse")
        before, after = ({resolve_name(n, known) for n in tables_read(t)} for t in trees)
        extra = sorted(after - before)
        if extra:
            return Verdict.block(f"model {patch.model!r} now also reads {extra}")
    return Verdict.allow()


@guardrail
def mapped_fields_not_constant(review: PatchReview) -> Verdict:
    """A mapped field is computed from the new events, never replaced by a literal or NULL."""
    for entry in review.mapping.entries:
        tree = _parse(entry.target, "duckdb") or _parse(entry.target, review.pipeline.dialect)
        if tree is None:
            return Verdict.block(f"mapping target {entry.target!r} does not parse")
        if is_constant(tree):
            return Verdict.block(
                f"{entry.source!r} is mapped to the constant {entry.target!r}; map it to a field "
                "of the new events, or escalate"
            )
    return Verdict.allow()


@guardrail
def outputs_not_replaced_by_constants(review: PatchReview) -> Verdict:
    """An output computed from data before the patch is not a constant (NULL, literal) after."""
    for patch in review.patches:
        trees = _trees(patch, review.pipeline.models.get(patch.model, patch.before_sql))
        if trees is None:
            return Verdict.block(f"model {patch.model!r} does not parse")
        _, computed_before = _constant_outputs(trees[0])
        constant_after, _ = _constant_outputs(trees[1])
        lost = sorted((computed_before & constant_after) - {""})
        if lost:
            return Verdict.block(
                f"model {patch.model!r} replaces {lost} by constants; compute them from the "
                "new events instead"
            )
    return Verdict.allow()
