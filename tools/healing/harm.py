"""Does a data change harm what the models compute, or do the models absorb it?

Evidence, not guesses: lineage says how a field is used (as plain data, or in comparisons,
filters and joins, where an unknown value changes the result), and a replay says whether the
models that read a topic keep its key unique when the topic repeats it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlglot import exp

from core.contracts import Contract, Pipeline
from core.errors import ReplayError, ToolError
from core.models import ModelPatch
from tools.lineage.graph import LineageGraph
from tools.sql.model_graph import build_graph, parse_model
from tools.sql.replay import ModelOutput, evaluate_checks, replay, run_models


def invariants_broken(
    pipeline: Pipeline,
    contracts: Mapping[str, Contract],
    dataset: str,
    field: str,
    values: Sequence[object],
    before: Sequence[Mapping[str, object]],
) -> list[str]:
    """The invariants that hold on `before` and fail once `field` takes one of `values`.

    A new value the models pass through as data may still break what a contract promises of
    their output (`category in ('a', 'b')`). The new values are put into copies of the events
    from before the change, so that other drift in the same alert cannot blur the answer.
    Names, sorted; a replay that fails on those copies counts as a broken promise too.
    """
    invariants = [inv for contract in contracts.values() for inv in contract.invariants]
    if not invariants or not before or not values:
        return []
    probes = [{**before[i % len(before)], field: value} for i, value in enumerate(values)]

    def failing(events: Sequence[Mapping[str, object]]) -> set[str]:
        tables = {dataset: [dict(e) for e in events]}
        try:
            outcomes = evaluate_checks(pipeline, tables, invariants, contracts)
        except ReplayError as error:
            return {f"(the models fail on it: {error})"}
        return {o.name for o in outcomes if not o.passed}

    return sorted(failing(probes) - failing(before))


# Ways of using a field in which a value nobody has seen just flows through as data.
VALUE_AGNOSTIC = frozenset({"direct", "cast", "group_by", "aggregate", "window", "exposure"})


def new_values_flow_through(
    graph: LineageGraph, pipeline: Pipeline, dataset: str, field: str
) -> bool:
    """True when every use of `dataset.field` downstream treats values as opaque data.

    A comparison or CASE on the field (or on a column derived from it), a filter or a join gives
    a new value a meaning someone must decide: it may fall into ELSE, be filtered out, or find no
    join partner.
    """
    impact = graph.impact(dataset, field)
    kinds = {edge.kind for path in impact.paths for edge in path.edges}
    if not impact.paths or not kinds <= VALUE_AGNOSTIC:
        return False
    names = {field.lower(), *(c.rsplit(".", 1)[-1].lower() for c in impact.columns)}
    for model in impact.models:
        tree = parse_model(pipeline.models[model], pipeline.dialect, model)
        for column in tree.find_all(exp.Column):
            if column.name.lower() in names and column.find_ancestor(*MEANINGFUL) is not None:
                return False
    return True


# Where a value means something: compared, matched, or picked among cases.
MEANINGFUL = (exp.Predicate, exp.Case, exp.If, exp.In)


def repeated_keys_absorbed(
    pipeline: Pipeline,
    contracts: Mapping[str, Contract],
    dataset: str,
    key: str,
    events: Sequence[Mapping[str, object]],
) -> bool:
    """True when every model reading `dataset` outputs `key` once per value on `events`.

    A model that does not output the key cannot show that it deduplicates: not absorbed. Nor
    can models that fail on `events` (another change, such as epoch numbers where they cast ISO
    text, breaks them): that change is healed or escalated on its own, never crashes this one.
    """
    readers = build_graph(pipeline, {dataset}).models_reading(dataset)
    if not readers:
        return False
    try:
        outputs = run_models(pipeline, {dataset: events}, contracts)
    except (ReplayError, ToolError):
        return False
    for model in readers:
        rows = outputs.get(model, [])
        values = [row.get(key) for row in rows if key in row]
        if not rows or len(values) != len(rows) or len(set(map(repr, values))) != len(values):
            return False
    return True


def change_absorbed(
    pipeline: Pipeline,
    contracts: Mapping[str, Contract],
    dataset: str,
    patches: Sequence[ModelPatch],
    events: Sequence[Mapping[str, object]],
) -> bool:
    """True when the models, as they are, compute from `events` exactly what `patches` would.

    A fix that restores the old representation changes nothing the models output when they
    already read the field through a cast that accepts the new one (`cast(value as float64)` of
    a number that used to be its text): the change is compatible. Models that fail on the new
    events, or any output column, type or row that differs, are harm the patch answers.
    """
    if not patches or not events:
        return False
    patched = Pipeline(
        dialect=pipeline.dialect,
        models={**pipeline.models, **{p.model: p.after_sql for p in patches}},
    )
    tables = {dataset: [dict(e) for e in events]}
    try:
        now = replay(pipeline, tables, contracts).outputs
        fixed = replay(patched, tables, contracts).outputs
    except (ReplayError, ToolError):
        return False
    return now.keys() == fixed.keys() and all(_same_output(now[m], fixed[m]) for m in now)


def _same_output(first: ModelOutput, second: ModelOutput) -> bool:
    if first.columns != second.columns:
        return False
    rows = [sorted(repr(sorted(r.items())) for r in o.rows) for o in (first, second)]
    return rows[0] == rows[1]
