"""Re-check every time a patch rebuilds from a field the producer now writes another way.

A field that stays but changes representation (epoch numbers for ISO text, milliseconds added,
an offset for `Z`) is rebuilt by an expression over the same field. Output comparisons (instants
within years, text shapes) let a truncated fraction, a dropped zone or an epoch read in the
wrong unit through, so each such expression must give, on every new event, the very instant
the event carries (tools.healing.lossless.time_loss): to its own precision, with a zone only
where it had one, never shifted. Fields that vanished are judged by guardrails.successors.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import JsonValue

from core.contracts import Pipeline
from core.errors import ReplayError, ToolError
from core.models import CheckResult, ModelPatch
from guardrails.structure import field_substitutions, read_paths
from tools.healing.lossless import time_loss
from tools.healing.mapping import evaluate
from tools.matching.samples import Events, kinds, paths, values


def _at(event: object, path: str) -> JsonValue:
    found = values([event], path)  # type: ignore[list-item]
    value = found[0] if found else None
    return value if value is None or isinstance(value, str | int | float | bool) else None


def time_problem(field: str, target: str, before: Events, after: Events) -> str | None:
    """Why `target` does not give `field`'s instant on every new event, or None.

    Only for a target reading `field` alone, where old or new values are timestamps.
    """
    if read_paths(target) != {field}:
        return None
    old = values(before, field)
    raw = [_at(event, field) for event in after]
    if not old or "iso" not in kinds(old) | kinds([r for r in raw if r is not None]):
        return None
    try:
        computed = evaluate(target, after)
    except (ReplayError, ToolError) as error:
        return f"{field}: {target} cannot be evaluated: {error}"
    loss = time_loss(raw, computed, old)
    return f"{field}: {target} {loss}" if loss else None


def lossless_time_checks(
    pipeline: Pipeline,
    patches: Sequence[ModelPatch],
    dataset: str,
    before: Events,
    after: Events,
) -> list[CheckResult]:
    """One CheckResult per patched model that rebuilds a time from a field still sent."""
    kept = paths(before) & paths(after)
    results = []
    for patch in patches:
        original = pipeline.models.get(patch.model)
        if original is None or not before or not after:
            continue
        found = field_substitutions(original, patch.after_sql, pipeline.dialect, dataset)
        timed = {
            field: targets
            for field, targets in found.items()
            if field in kept and "iso" in kinds(values(before, field)) | kinds(values(after, field))
        }
        if not timed:
            continue
        problems = [
            problem
            for field, targets in sorted(timed.items())
            for target in sorted(targets)
            if (problem := time_problem(field, target, before, after))
        ]
        detail = "; ".join(problems) or f"times rebuilt from {sorted(timed)} keep every instant"
        results.append(
            CheckResult(name=f"lossless:{patch.model}", passed=not problems, detail=detail)
        )
    return results
