"""What a reviewer sees as evidence: sample events and model output rows, PII redacted."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import JsonValue

from core.contracts import Pipeline
from core.errors import ReplayError, ToolError
from core.models import FixProposed
from core.records import DeadLetterRecord
from tools.sql.replay import run_models

REDACTED = "[redacted]"
Rows = list[dict[str, Any]]
_SHOWN = 5


@dataclass(frozen=True)
class Evidence:
    """Sample events before and after the change, and each model's output on them."""

    events_before: Rows = field(default_factory=list)
    events_after: Rows = field(default_factory=list)
    outputs_before: dict[str, Rows] = field(default_factory=dict)
    outputs_after: dict[str, Rows] = field(default_factory=dict)
    problem: str | None = None


def redact(value: JsonValue, pii: frozenset[str]) -> JsonValue:
    """`value` with every object key named in `pii` (at any depth) replaced by REDACTED."""
    if isinstance(value, dict):
        return {k: REDACTED if k in pii else redact(v, pii) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, pii) for v in value]
    return value


def redact_text(text: str, pii: frozenset[str]) -> str:
    """A raw payload with PII fields redacted when it is JSON; as it is otherwise."""
    if not pii:
        return text
    try:
        decoded = json.loads(text)
    except ValueError:
        return text
    return json.dumps(redact(decoded, pii), ensure_ascii=False)


def _rows(rows: Rows, pii: frozenset[str]) -> Rows:
    return [
        {k: REDACTED if k in pii else redact(v, pii) for k, v in r.items()} for r in rows[:_SHOWN]
    ]


def _outputs(proposal: FixProposed, side: str, events: Rows) -> dict[str, Rows]:
    models = {p.model: p.before_sql if side == "before" else p.after_sql for p in proposal.patches}
    dialect = proposal.patches[0].dialect if proposal.patches else "duckdb"
    pipeline = Pipeline(dialect=dialect, models=models)
    return run_models(pipeline, {proposal.dataset: events})


async def gather_evidence(
    proposal: FixProposed, samples: tuple[Rows, Rows], pii: frozenset[str]
) -> Evidence:
    """The proposal's sample events, and its models run on them before and after the fix.

    Output columns named like a PII field are redacted as the events are.
    """
    before, after = samples
    if not proposal.patches or not (before or after):
        return Evidence(_rows(before, pii), _rows(after, pii))
    try:
        outputs_before = await asyncio.to_thread(_outputs, proposal, "before", before[:_SHOWN])
        outputs_after = await asyncio.to_thread(_outputs, proposal, "after", after[:_SHOWN])
    except (ReplayError, ToolError, ValueError) as error:
        return Evidence(_rows(before, pii), _rows(after, pii), problem=str(error)[:500])
    return Evidence(
        _rows(before, pii),
        _rows(after, pii),
        {m: _rows(r, pii) for m, r in outputs_before.items()},
        {m: _rows(r, pii) for m, r in outputs_after.items()},
    )


def pii_of(contracts: Mapping[str, frozenset[str]], dataset: str) -> frozenset[str]:
    """The PII field names of `dataset` (none if it has no contract)."""
    return contracts.get(dataset, frozenset())


def redacted_letter(record: DeadLetterRecord, pii: frozenset[str]) -> DeadLetterRecord:
    """A dead letter whose payload has every field named in `pii` redacted."""
    letter = record.letter
    value = redact_text(letter.value, pii)
    return record.model_copy(update={"letter": letter.model_copy(update={"value": value})})
