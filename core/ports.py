"""The ports through which the agents reach the world; each has a fake beside its adapter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from core.contracts import Contract, Pipeline
from core.lifecycle import ProposalRecord, Transition
from core.models import (
    AlertRaised,
    Detection,
    FixProposed,
    IncidentEscalated,
    ModelPatch,
    PartitionOffsets,
    SchemaChange,
    SchemaMapping,
    StoredRecord,
)

T = TypeVar("T", bound=BaseModel)


class Prompt(BaseModel):
    """A rendered prompt: what is sent to the model, and which prompt file it came from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    version: int
    system: str
    user: str


class ToolSpec(BaseModel):
    """A tool the model may call: its name, what it does, and its arguments' JSON schema."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str
    parameters: dict[str, JsonValue]


class ToolCall(BaseModel):
    """One call the model asked for; `error` is set when its arguments were not valid JSON."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    arguments: dict[str, JsonValue] = Field(default_factory=dict)
    error: str | None = None


class Turn(BaseModel):
    """One message of a conversation with a tool-calling model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["system", "user", "assistant", "tool"]
    content: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tool_call_id: str | None = Field(default=None, description="The call a tool turn answers.")


class LLM(Protocol):
    """A language model: structured answers (`complete`) and tool-calling turns (`converse`)."""

    async def complete(self, prompt: Prompt, output: type[T]) -> T:
        """Ask the model; raise LLMUnavailableError or LLMOutputError on failure."""
        ...

    async def converse(self, turns: Sequence[Turn], tools: Sequence[ToolSpec]) -> Turn:
        """The model's next turn (text, or tool calls to run), given the conversation so far;
        raise LLMUnavailableError or LLMOutputError on failure."""
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

    @classmethod
    def from_proposal(cls, proposal: FixProposed, *, applied_at: datetime) -> VerifiedFix:
        """The record of an applied proposal: what broke, how it was fixed, and when."""
        return cls(
            signature=proposal.signature,
            dataset=proposal.dataset,
            summary=f"{proposal.title}. Mapping: {proposal.mapping.as_dict()}",
            mapping=proposal.mapping,
            patches=proposal.patches,
            proposal_id=proposal.proposal_id,
            applied_at=applied_at,
        )


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


class AlertStore(Protocol):
    """Alerts and the evidence samples kept with them, written before an alert is published."""

    async def save_alert(self, alert: AlertRaised) -> bool:
        """Store an alert; False if one with its event_id is stored already."""
        ...

    async def list_alerts(self, dataset: str | None = None) -> list[AlertRaised]:
        """Stored alerts, oldest first, optionally only those of one dataset."""
        ...

    async def get_alert(self, alert_id: str) -> AlertRaised | None:
        """The stored alert with this event id, if any."""
        ...

    async def save_samples(
        self, alert_id: str, dataset: str, before: list[dict[str, Any]], after: list[dict[str, Any]]
    ) -> bool:
        """Keep an alert's conforming ('before') and drifted ('after') events."""
        ...

    async def load_samples(
        self, alert_id: str
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The (before, after) samples saved with the alert; empty lists when none were kept."""
        ...


class ProposalStore(Protocol):
    """Proposals with their lifecycle, and incidents (idempotent on alert id and event id)."""

    async def proposal_for_alert(self, alert_id: str) -> FixProposed | None:
        """The proposal already made for this alert, if any."""
        ...

    async def save_proposal(self, proposal: FixProposed) -> bool:
        """Store a pending proposal; False if one for its alert exists already."""
        ...

    async def open_proposals(self, dataset: str) -> list[ProposalRecord]:
        """The pending proposals about `dataset`, oldest first."""
        ...

    async def get_proposal(self, proposal_id: str) -> ProposalRecord:
        """The proposal and where it stands; NotFoundError if unknown."""
        ...

    async def transition(self, move: Transition) -> ProposalRecord:
        """Make one lifecycle move by compare-and-set; ApprovalError if it is not allowed."""
        ...

    async def save_incident(self, incident: IncidentEscalated) -> bool:
        """Store an incident; False if it was stored already."""
        ...


Position = tuple[int, int]  # (partition, offset)


class ReplayBook(Protocol):
    """The idempotency record of replays: one row per quarantined position, claimed, finished."""

    async def claim_replays(
        self, topic: str, positions: Sequence[Position], fix: str
    ) -> set[Position]:
        """Claim positions for replay; returns those no earlier replay had claimed."""
        ...

    async def finish_replays(self, topic: str, positions: Sequence[Position]) -> None:
        """Mark claimed positions as published."""
        ...

    async def unfinished_replays(self, topic: str) -> set[Position]:
        """Positions claimed but not known to be published."""
        ...


class TopicLog(Protocol):
    """Reads everything a topic holds right now (quarantine and replay topics are small)."""

    async def read_all(self, topic: str) -> list[StoredRecord]:
        """Every record from the start to the current end, all partitions; [] if no topic."""
        ...


class PipelineView(Protocol):
    """The pipeline repository's main branch as it is now: models and contracts."""

    async def snapshot(self) -> tuple[Pipeline, dict[str, Contract]]:
        """The current models and the contracts by dataset."""
        ...

    async def revision(self) -> str | None:
        """The default branch's commit now (None when the view is not a repository). Read before
        `snapshot`, it is a commit the snapshot is no older than: a proposal is committed on it,
        so the applier sees when the branch moved while the proposal was made."""
        ...


class ProposalSink(Protocol):
    """Where the healer writes a patch for review: a branch of the pipeline repository."""

    async def open_change(self, proposal: FixProposed) -> tuple[str, str]:
        """Commit the proposal's patches on a new branch; return (branch, commit sha)."""
        ...


class Merger(Protocol):
    """Merges a proposal's branch into the pipeline repository's default branch."""

    async def behind(self, branch: str) -> str | None:
        """The default branch's head when it moved past the commit `branch` was made (and
        validated) on, so the change must be revalidated before it is merged; else None."""
        ...

    async def merge(self, branch: str, commit: str | None = None) -> str:
        """Merge `branch` (a no-op if already merged), only while its head is still `commit`
        (the commit that was reviewed) when given; return the default branch's new commit."""
        ...


class Rebase(BaseModel):
    """A proposal's change carried onto the default branch's head, in git's objects only."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    branch: str
    tip: str = Field(description="The branch's commit before the rebase.")
    base: str = Field(description="The commit the branch was made on.")
    head: str = Field(description="The default branch's head the change is carried onto.")
    tree: str = Field(description="The tree of the head with the change merged in.")
    changed: dict[str, str] = Field(
        default_factory=dict, description="Path -> merged text of every file the change touches."
    )


class Rebaser(Protocol):
    """Carries proposal branches onto the default branch when it moves (core/lifecycle: stale)."""

    async def refresh(self) -> str:
        """The default branch's head now (fetched from the remote first, when there is one)."""
        ...

    async def base_of(self, branch: str) -> str | None:
        """The commit `branch` was made on; None when the default branch holds it already."""
        ...

    async def rebase(self, branch: str) -> Rebase:
        """Merge the branch's change onto the head (no ref moves); RebaseConflictError if not."""
        ...

    async def pipeline_at(self, ref: str) -> Pipeline:
        """The models as committed at `ref` (a commit or a tree)."""
        ...

    async def move_branch(self, proposal: FixProposed, rebase: Rebase) -> str:
        """Commit the rebased change on the head and move the branch (and its PR) there."""
        ...


class OffsetsReader(Protocol):
    """Reads one consumer group's committed and end offsets (Kafka, or a fake in tests)."""

    async def read(self) -> list[PartitionOffsets]:
        """Every partition the group has committed on, with its end offset, now."""
        ...


class PullRequestDraft(BaseModel):
    """What suture asks a forge to show: a branch, against the default branch, with evidence."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    branch: str = Field(description="The head branch, already pushed.")
    base: str = Field(description="The default branch the change is proposed against.")
    title: str
    body: str = Field(description="Markdown: what changed upstream, mapping, diff, checks.")
    labels: tuple[str, ...] = ()


ReviewState = Literal["open", "approved", "merged", "closed"]


class PullRequest(BaseModel):
    """A pull (merge) request as the forge reports it: where review stands, and who decided."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    number: int = Field(description="The PR number (GitLab: the merge request's iid).")
    url: str
    branch: str
    state: ReviewState = Field(
        description="open; approved (an approving review, not merged yet); merged; closed "
        "(closed without merging)."
    )
    decided_by: str | None = Field(default=None, description="Who approved, merged or closed.")
    merge_commit: str | None = None
    head_commit: str | None = Field(
        default=None, description="The commit the PR's branch pointed at (merged: the one merged)."
    )
    note: str | None = Field(default=None, description="Why it was closed, when someone said.")


class Forge(Protocol):
    """A code-review host (GitHub, GitLab): pull requests for branches suture pushed."""

    async def open_pull_request(self, draft: PullRequestDraft) -> PullRequest:
        """Open a PR for `draft.branch`; ForgeError if the forge refuses."""
        ...

    async def find_pull_request(self, branch: str) -> int | None:
        """The number of the open PR whose head is `branch`, if any."""
        ...

    async def update_pull_request(self, number: int, draft: PullRequestDraft) -> PullRequest:
        """Replace the title, body and labels of PR `number` (the branch was pushed again)."""
        ...

    async def pull_request(self, number: int) -> PullRequest:
        """PR `number` as it stands now, approving reviews included."""
        ...

    async def merge_pull_request(self, number: int, head_commit: str) -> str:
        """Merge PR `number` if its head is still `head_commit`; the merge commit's sha."""
        ...

    async def close_pull_request(self, number: int, comment: str) -> None:
        """Say why in a comment, then close PR `number` unmerged."""
        ...


class RejectedFix(BaseModel):
    """A proposal a human turned down, and why: knowledge for the next proposal."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    proposal_id: str
    signature: str
    dataset: str
    reason: str
    rejected_by: str
    rejected_at: datetime


class RejectionLog(Protocol):
    """Rejected proposals with their reasons (the knowledge base keeps them beside the fixes)."""

    async def record_rejection(self, rejection: RejectedFix) -> None:
        """Keep a rejection (idempotent on proposal id)."""
        ...

    async def rejections(self, signature: str) -> Sequence[RejectedFix]:
        """Rejections of proposals made for drifts with this signature, oldest first."""
        ...


@dataclass(frozen=True)
class DecodedRecord:
    """One message value as the monitors read it: a JSON object's bytes, or why it cannot be."""

    value: bytes | None = None
    schema_id: int | None = None  # the registry schema it was written with; None: plain JSON
    error: str | None = None


@dataclass(frozen=True)
class SchemaChangeReport:
    """A schema change on a topic, and the drift detections comparing the two schemas gives."""

    change: SchemaChange
    detections: Sequence[Detection]


class RecordDecoder(Protocol):
    """Turns framed messages (Schema Registry wire format) into the JSON events monitors read."""

    async def decode(self, topic: str, values: Sequence[bytes]) -> list[DecodedRecord]:
        """Each value decoded, in order; plain JSON passes through unless the topic is framed."""
        ...

    async def schema_change(self, topic: str, old_id: int, new_id: int) -> SchemaChangeReport:
        """What changed between the schemas of two ids seen on `topic`."""
        ...
