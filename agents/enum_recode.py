"""Recode a new enum value into the models' domain, only on evidence: a verified fix in the
knowledge base, or the model's proposal (which, like every proposal, a human must approve).
Without either the healer escalates. Validation judges the recode either way."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, JsonValue

import prompts
from core.contracts import Contract
from core.errors import LLMOutputError, LLMUnavailableError
from core.models import AlertRaised, Detection, FieldMapping, Origin, SchemaMapping
from core.ports import LLM, KnowledgeBase
from tools.healing.recode import known_domain, recode_target
from tools.matching.samples import Events

_log = logging.getLogger(__name__)


class RecodeChoice(BaseModel):
    """One new value and the listed value it means."""

    model_config = ConfigDict(extra="forbid")

    new_value: str = Field(description="A new value exactly as the events send it.")
    known_value: str = Field(description="The listed value of the contract it means.")
    rationale: str = Field(description="One sentence: the evidence that the meaning is the same.")


class RecodeDraft(BaseModel):
    """The model's answer: recodes it can justify; new values it cannot are left out."""

    model_config = ConfigDict(extra="forbid")

    recodes: list[RecodeChoice] = Field(
        description="One entry per new value whose meaning a listed value has; omit the others."
    )


@dataclass(frozen=True)
class Recoded:
    """The recode mapping and where its evidence came from, or why there is none."""

    mapping: SchemaMapping | None
    origin: Origin = "rules"
    llm_calls: int = 0
    reason: str = ""


def _new_values(findings: Sequence[Detection]) -> dict[str, list[JsonValue]]:
    found: dict[str, list[JsonValue]] = {}
    for d in findings:
        if d.kind == "enum_new_value" and d.field is not None:
            found.setdefault(d.field, []).append(d.value)
    return found


async def recode(
    alert: AlertRaised,
    findings: Sequence[Detection],
    contract: Contract,
    before: Events,
    after: Events,
    kb: KnowledgeBase,
    llm: LLM | None,
) -> Recoded:
    """A recode of every new enum value in `findings`, from the knowledge base or the model."""
    wanted = _new_values(findings)
    cached = await kb.lookup(alert.signature())
    if cached is not None:
        entries = [
            e.model_copy(update={"origin": "kb"})
            for e in cached.mapping.entries
            if e.source in wanted
        ]
        if {e.source for e in entries} == set(wanted):
            return Recoded(SchemaMapping(entries=entries), origin="kb")
    if llm is None:
        return Recoded(None, reason="no verified recode and no model to propose one")
    entries = []
    for field, new in sorted(wanted.items()):
        domain = known_domain(contract, field, before)
        examples = [e for e in after if _carries(e, field, new)][:3]
        prompt = prompts.render(
            "recode_enum_value",
            field=json.dumps(field),
            new_values=json.dumps(new),
            domain=json.dumps(domain),
            examples=json.dumps(examples, default=str),
        )
        try:
            draft = await llm.complete(prompt, RecodeDraft)
        except (LLMUnavailableError, LLMOutputError) as error:
            _log.warning("model could not recode: %s", error, extra={"event_id": alert.event_id})
            return Recoded(None, llm_calls=len(entries) + 1, reason="the model could not answer")
        by_text = {str(v): v for v in domain}
        recodes = {
            c.new_value: by_text[c.known_value]
            for c in draft.recodes
            if c.known_value in by_text and c.new_value in {str(v) for v in new}
        }
        if set(recodes) != {str(v) for v in new}:
            missing = sorted({str(v) for v in new} - set(recodes))
            return Recoded(
                None,
                llm_calls=len(entries) + 1,
                reason=f"no listed value of {field!r} means {missing}, the model says",
            )
        why = "; ".join(c.rationale for c in draft.recodes)
        entries.append(
            FieldMapping(
                source=field,
                target=recode_target(field, recodes),
                confidence=0.7,
                rationale=f"the model recodes {sorted(recodes)}: {why}",
                origin="llm",
            )
        )
    return Recoded(SchemaMapping(entries=entries), origin="llm", llm_calls=len(entries))


def _carries(event: object, field: str, new: list[JsonValue]) -> bool:
    return isinstance(event, dict) and event.get(field) in new
