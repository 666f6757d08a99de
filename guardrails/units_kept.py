"""Refuse a patched model that passes a field through in a unit it no longer has: when the values
of a field with a declared unit moved to another unit, a patch that leaves them as sent (a
deduplication written on the original model, say) gives wrong numbers that look plausible."""

from __future__ import annotations

from collections.abc import Sequence

import sqlglot
from pydantic import JsonValue
from sqlglot import exp
from sqlglot.errors import SqlglotError

from core.contracts import Contract
from core.models import CheckResult, ModelPatch
from tools.matching.samples import Events, values
from tools.matching.unit_change import estimate_unit
from tools.monitoring.unit_labels import labelled_conversion
from tools.profiling.batch_profile import NumericStats
from tools.sql.replay import ReplayResult


def _numbers(found: Sequence[JsonValue]) -> list[float]:
    return [float(v) for v in found if isinstance(v, int | float) and not isinstance(v, bool)]


def _stats(numbers: list[float]) -> NumericStats | None:
    if not numbers:
        return None
    return NumericStats(
        count=len(numbers), min=min(numbers), max=max(numbers), total=sum(numbers), sample=numbers
    )


def _moved_fields(contract: Contract, before: Events, after: Events) -> dict[str, str]:
    """Declared-unit fields whose values left their unit -> what the samples (or a unit label
    beside them, tools.monitoring.unit_labels) show."""
    moved = {}
    for spec in contract.fields:
        if not spec.unit:
            continue
        old = _stats(_numbers(values(before, spec.name)))
        new = _stats(_numbers(values(after, spec.name)))
        found = estimate_unit(old, new, spec.unit) if old and new else None
        stated = labelled_conversion(contract, spec.name, before, after)
        if stated is not None:
            moved[spec.name] = f"a unit label now says {stated.unit}, not {stated.source}"
        elif found is not None:
            moved[spec.name] = found.note or f"values scaled by {found.factor:g}"
    return moved


def _columns(patch: ModelPatch, field: str) -> list[str]:
    """Output columns under which the original model passes `field` through as read: its own
    name, and aliases of a bare read of it (`length as length_in`). A column the original model
    computed (`amount_cents / 100.0 as amount`) is not one: a fix may read the new unit there."""
    names = [field.split(".")[-1]]
    try:
        tree = sqlglot.parse_one(patch.before_sql, read=patch.dialect)
    except SqlglotError:
        return names
    if not isinstance(tree, exp.Select):
        return names
    for projection in tree.expressions:
        bare = projection.unalias() if isinstance(projection, exp.Alias) else projection
        if isinstance(bare, exp.Column) and ".".join(p.name for p in bare.parts) == field:
            names.append(projection.alias_or_name)
    return list(dict.fromkeys(names))


def units_kept_checks(
    patched: ReplayResult,
    patches: Sequence[ModelPatch],
    contract: Contract | None,
    before: Events,
    after: Events,
) -> list[CheckResult]:
    """One failed CheckResult per patched model that outputs a moved field as it is now sent."""
    if contract is None:
        return []
    moved = _moved_fields(contract, before, after)
    results = []
    for patch in patches:
        output = patched.outputs.get(patch.model)
        if output is None:
            continue
        for field, why in sorted(moved.items()):
            raw = {round(v, 9) for v in _numbers(values(after, field)) if v}
            for name in _columns(patch, field):
                column = _numbers([row.get(name) for row in output.rows])
                shown = [round(v, 9) for v in column if v]
                if len(shown) >= 2 and all(v in raw for v in shown):
                    detail = (
                        f"{patch.model} passes {field} through as now sent (as {name}), in "
                        f"another unit: {why}"
                    )
                    results.append(
                        CheckResult(name=f"units:{patch.model}", passed=False, detail=detail)
                    )
                    break
    return results
