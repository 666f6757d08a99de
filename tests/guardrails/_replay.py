"""A helper for guardrail tests: validate one model's patch end to end (replay gate)."""

from __future__ import annotations

from core.contracts import Contract, ContractField, Pipeline
from core.models import ModelPatch
from guardrails.replay_gate import validate_patch

Rows = list[dict[str, object]]


def contract_of(dataset: str, fields: dict[str, str]) -> Contract:
    """A contract naming each field with its type."""
    return Contract(
        dataset=dataset, fields=[ContractField(name=n, type=t) for n, t in fields.items()]
    )


def verdict(
    model: str,
    patched: str,
    before: Rows,
    after: Rows,
    contract: Contract,
    dialect: str = "duckdb",
) -> tuple[bool, str]:
    """(passed, the failed checks' details) for one patch of model `stg`."""
    pipeline = Pipeline(dialect=dialect, models={"stg": model})
    patch = ModelPatch(model="stg", dialect=dialect, before_sql=model, after_sql=patched)
    report = validate_patch(
        pipeline,
        [patch],
        {contract.dataset: contract},
        before,
        after,
        dataset=contract.dataset,
        mapping=None,
    )
    return report.passed, "; ".join(f"{c.name}: {c.detail}" for c in report.failures())
