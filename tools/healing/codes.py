"""The codes the models give a meaning to, and values a substitute brings that none of them is.

A model that compares a field with literals (`where status in ('paid', 'refunded')`) fixes what
each code means. A successor of that field that writes codes neither the models nor the old
events ever held is a new vocabulary in disguise: as with a new enum value, whether a new code
means one of the known ones is for a human (or a verified fix) to say, never for a rename.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import JsonValue
from sqlglot import exp

from core.contracts import Contract, Pipeline
from tools.healing.harm import MEANINGFUL
from tools.lineage.graph import LineageGraph
from tools.matching.samples import Events, values
from tools.sql.model_graph import parse_model


def compared_literals(
    graph: LineageGraph, pipeline: Pipeline, dataset: str, field: str
) -> frozenset[str]:
    """The text literals the models compare `dataset.field` (or a column derived from it) with."""
    impact = graph.impact(dataset, field)
    leaf = field.rsplit(".", 1)[-1].lower()
    names = {field.lower(), leaf, *(c.rsplit(".", 1)[-1].lower() for c in impact.columns)}
    found: set[str] = set()
    for model in impact.models:
        tree = parse_model(pipeline.models[model], pipeline.dialect, model)
        for column in tree.find_all(exp.Column):
            where = column.find_ancestor(*MEANINGFUL) if column.name.lower() in names else None
            if where is not None:
                found.update(str(x.this) for x in where.find_all(exp.Literal) if x.is_string)
    return frozenset(found)


def unmapped_codes(
    field: str,
    computed: Sequence[JsonValue],
    codes: frozenset[str],
    before: Events,
    contract: Contract | None,
) -> list[str]:
    """The text values in `computed` outside every code known for `field`: those the models
    compare it with, its old values and its declared enum. [] when the models compare it with
    no code (its values are plain data then).

    >>> unmapped_codes("s", ["paid", "void", "new"], frozenset({"paid"}), [{"s": "new"}], None)
    ['void']
    >>> unmapped_codes("s", ["void"], frozenset(), [{"s": "new"}], None)
    []
    """
    if not codes:
        return []
    declared = contract.field(field) if contract is not None else None
    enum = {str(v) for v in declared.enum} if declared is not None and declared.enum else set()
    known = codes | enum | {v for v in values(before, field) if isinstance(v, str)}
    return sorted({v for v in computed if isinstance(v, str)} - known)
