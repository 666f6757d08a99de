"""Run a contract's invariants (SQL booleans over model output) through a replay."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence, Set

from core.contracts import Contract, Pipeline
from core.models import CheckResult
from tools.sql.replay import CheckOutcome, Rows, evaluate_checks

REDACTED = "<redacted>"


def _redact(row: Mapping[str, object], pii: Set[str]) -> dict[str, object]:
    return {k: (REDACTED if k in pii and v is not None else v) for k, v in row.items()}


def invariant_results(
    outcomes: Sequence[CheckOutcome], pii: Set[str] = frozenset()
) -> list[CheckResult]:
    """One CheckResult per evaluated invariant; example rows have PII columns redacted."""
    results = []
    for outcome in outcomes:
        if outcome.error is not None:
            detail = f"could not evaluate `{outcome.check}` on {outcome.model}: {outcome.error}"
        elif outcome.violations:
            shown = json.dumps([_redact(r, pii) for r in outcome.examples], default=str)
            detail = (
                f"{outcome.violations} of {outcome.rows} rows of {outcome.model} violate "
                f"`{outcome.check}`, e.g. {shown}"
            )
        else:
            detail = f"all {outcome.rows} rows of {outcome.model} satisfy `{outcome.check}`"
        results.append(
            CheckResult(name=f"invariant:{outcome.name}", passed=outcome.passed, detail=detail)
        )
    return results


def check_invariants(
    pipeline: Pipeline, tables: Mapping[str, Rows], contracts: Mapping[str, Contract]
) -> list[CheckResult]:
    """Replay `tables` through `pipeline` and check every invariant of every contract."""
    invariants = [inv for contract in contracts.values() for inv in contract.invariants]
    pii = {f.name.split(".")[-1] for c in contracts.values() for f in c.fields if f.pii}
    return invariant_results(evaluate_checks(pipeline, tables, invariants, contracts), pii)
