"""The model's part in healing: settle the fields the rules left undecided, as a typed draft that
validation then judges like any other candidate (prompts/infer_mapping)."""

from __future__ import annotations

import json
import logging

from pydantic import BaseModel, ConfigDict, Field

import prompts
from core.contracts import Contract
from core.errors import LLMOutputError, LLMUnavailableError
from core.models import AlertRaised, FieldMapping, SchemaMapping
from core.ports import LLM, KnowledgeBase
from tools.healing.mapping import MappingInference

_log = logging.getLogger(__name__)


class MappingChoice(BaseModel):
    """One old field and how to compute it from the new events."""

    model_config = ConfigDict(extra="forbid")

    old_field: str = Field(description="A field the models read before the change.")
    new_expression: str = Field(
        description="The new field name, or a DuckDB SQL expression over the new event's fields."
    )
    rationale: str = Field(description="One sentence: the evidence for this mapping.")


class MappingDraft(BaseModel):
    """The model's answer: mappings for the old fields it can justify, nothing it cannot."""

    model_config = ConfigDict(extra="forbid")

    mappings: list[MappingChoice] = Field(
        description="One entry per old field you can map from evidence; omit fields you cannot."
    )


async def ask_llm(
    llm: LLM,
    alert: AlertRaised,
    inference: MappingInference,
    contract: Contract,
    kb: KnowledgeBase,
) -> MappingInference | None:
    """Ask the model to settle what the rules could not; None if it cannot answer."""
    similar = await kb.similar(alert.summary or alert.dataset, limit=3)
    prompt = prompts.render(
        "infer_mapping",
        change=alert.model_dump_json(include={"dataset", "detections"}),
        candidates=json.dumps(
            {
                "decided": inference.mapping.as_dict(),
                "ambiguous": inference.ambiguous,
                "unresolved": inference.unresolved,
            }
        ),
        knowledge=json.dumps(
            [{"summary": f.summary, "mapping": f.mapping.as_dict()} for f in similar]
        ),
    )
    try:
        draft = await llm.complete(prompt, MappingDraft)
    except (LLMUnavailableError, LLMOutputError) as error:
        _log.warning("model could not help: %s", error, extra={"event_id": alert.event_id})
        return None
    open_fields = set(inference.ambiguous) | set(inference.unresolved)
    chosen = [
        FieldMapping(
            source=c.old_field,
            target=c.new_expression,
            confidence=0.7,
            rationale=c.rationale,
            origin="llm",
        )
        for c in draft.mappings
        if c.old_field in open_fields and contract.field(c.old_field) is not None
    ]
    decided = {c.source for c in chosen}
    return MappingInference(
        mapping=SchemaMapping(entries=[*inference.mapping.entries, *chosen]),
        ambiguous={k: v for k, v in inference.ambiguous.items() if k not in decided},
        unresolved=[f for f in inference.unresolved if f not in decided],
        refused=[r for r in inference.refused if r.field not in decided],
    )
