"""The ports through which the pure core reaches the world; each has a fake in agents/edges."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from core.contracts import Contract, Pipeline
from core.models import FixProposed, IncidentEscalated, ModelPatch, SchemaMapping

T = TypeVar("T", bound=BaseModel)


class Prompt(BaseModel):
    """A rendered prompt: what is sent to the model, and which prompt file it came from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    version: int
    system: str
    user: str


class LLM(Protocol):
    """A language model that answers a prompt with an instance of a pydantic output model."""

    async def complete(self, prompt: Prompt, output: type[T]) -> T:
        """Ask the model; raise LLMUnavailableError or LLMOutputError on failure."""
        ...


class EventBus(Protocol):
    """Publishes pydantic events as JSON onto topics."""

    async def publish(self, topic: str, event: BaseModel, key: str | None = None) -> None:
        """Publish one event and wait until the broker has it."""
        ...


class VerifiedFix(BaseModel):
    """A fix a human approved and suture applied: knowledge for next time, and a cache entry."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    signature: str = Field(description="AlertRaised.signature() of the drift it fixed.")
    dataset: str
    summary: str = Field(description="What broke and how it was fixed, in words; embedded.")
    mapping: SchemaMapping
    patches: list[ModelPatch]
    proposal_id: str
    applied_at: datetime


class KnowledgeBase(Protocol):
    """Verified fixes: an exact cache by signature and a similarity search by meaning."""

    async def lookup(self, signature: str) -> VerifiedFix | None:
        """The verified fix recorded for exactly this signature, if any."""
        ...

    async def similar(self, text: str, limit: int = 3) -> Sequence[VerifiedFix]:
        """Verified fixes most similar in meaning to `text`, best first."""
        ...

    async def record(self, fix: VerifiedFix) -> None:
        """Store a verified fix (idempotent on signature)."""
        ...


class ProposalSink(Protocol):
    """Where the healer writes a patch for review: a branch of the pipeline repository."""

    async def open_change(self, proposal: FixProposed) -> tuple[str, str]:
        """Commit the proposal's patches on a new branch; return (branch, commit sha)."""
        ...


class PipelineView(Protocol):
    """The pipeline repository's main branch as it is now: models and contracts."""

    async def snapshot(self) -> tuple[Pipeline, dict[str, Contract]]:
        """The current models and the contracts by dataset."""
        ...


class SampleStore(Protocol):
    """Event samples a monitor kept for an alert: conforming ('before') and drifted ('after')."""

    async def load_samples(
        self, alert_id: str
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The (before, after) samples saved with the alert; empty lists when none were kept."""
        ...


class ProposalBook(Protocol):
    """Durable record of proposals and incidents (idempotent on alert id)."""

    async def proposal_for_alert(self, alert_id: str) -> FixProposed | None:
        """The proposal already made for this alert, if any."""
        ...

    async def save_proposal(self, proposal: FixProposed) -> bool:
        """Store a proposal; False if one for its alert exists already."""
        ...

    async def save_incident(self, incident: IncidentEscalated) -> bool:
        """Store an incident; False if it was stored already."""
        ...
