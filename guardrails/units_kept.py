"""Refuse a patched model that passes a field through in a unit it no longer has: when the values
of a field with a declared unit moved to another unit, a patch that leaves them as sent (a
deduplication written on the original model, say) gives wrong numbers that look plausible."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import JsonValue

from core.contracts import Contract
from core.models import CheckResult, ModelPatch
from tools.matching.samples import Events, values
from tools.matching.unit_change import estimate_unit
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
    """Declared-unit fields whose values left their unit -> what the samples show."""
    moved = {}
    for spec in contract.fields:
        if not spec.unit:
            continue
        old = _stats(_numbers(values(before, spec.name)))
        new = _stats(_numbers(values(after, spec.name)))
        found = estimate_unit(old, new, spec.unit) if old and new else None
        if found is not None:
            moved[spec.name] = found.note or f"values scaled by {found.factor:g}"
    return moved


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
            column = _numbers([row.get(field.split(".")[-1]) for row in output.rows])
            shown = [round(v, 9) for v in column if v]
            if len(shown) >= 2 and all(v in raw for v in shown):
                detail = f"{patch.model} passes {field} through as now sent, in another unit: {why}"
                name = f"units:{patch.model}"
                results.append(CheckResult(name=name, passed=False, detail=detail))
    return results
