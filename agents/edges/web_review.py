"""What people do through the web: decide on proposals, act on incidents, replay and release.

Every such act is written to the audit log and logged as one structured line.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import JsonValue

from core.errors import ApprovalError, AssistantError, ConfigError
from core.lifecycle import ProposalRecord, ProposalStatus, Transition
from core.records import AuditEntry, IncidentAction, IncidentRecord, Role

if TYPE_CHECKING:
    from agents.edges.web_deps import WebDeps
    from agents.edges.web_models import Decision, DecisionBody

logger = logging.getLogger("suture.review")


@dataclass(frozen=True)
class Actor:
    """Who acts: their role and the name they signed in with (the role's name for tokens)."""

    role: Role
    name: str


class Reviewer:
    """The acts of people, each checked, recorded in the audit log and logged."""

    def __init__(self, deps: WebDeps) -> None:
        self._deps = deps
        self._store = deps.store

    async def check_store(self) -> None:
        """Readiness of the store: one cheap read."""
        await self._store.list_proposals(limit=1)

    async def decide(
        self, proposal_id: str, decision: Decision, body: DecisionBody, who: Actor
    ) -> ProposalRecord:
        """Approve (and hand to the applier) or reject a pending proposal."""
        to_status: ProposalStatus = "rejected" if decision == "reject" else "approved"
        reviewer = body.reviewer if body.reviewer != "reviewer" else who.name
        # The compare-and-set makes this the only caller that goes on to apply.
        record = await self._store.transition(
            Transition(
                proposal_id=proposal_id,
                from_status="pending",
                to_status=to_status,
                by="reviewer",
                reviewer=reviewer,
                note=body.note,
            )
        )
        await self.audit(who, decision, proposal_id, {"note": body.note, "reviewer": reviewer})
        if decision == "reject":
            return record
        try:
            await self._deps.on_approve(proposal_id, reviewer)
        except AssistantError as error:
            await self._mark_failed(proposal_id, error)
            raise
        return await self._store.get_proposal(proposal_id)

    async def reopen(self, proposal_id: str, who: Actor, note: str | None) -> ProposalRecord:
        """Send a failed proposal back to review."""
        record = await self._store.transition(
            Transition(
                proposal_id=proposal_id,
                from_status="failed",
                to_status="pending",
                by="reviewer",
                reviewer=who.name,
                note=note,
            )
        )
        await self.audit(who, "reopen", proposal_id, {"note": note})
        return record

    async def act_on_incident(
        self, event_id: str, action: IncidentAction, who: Actor, assignee: str | None
    ) -> IncidentRecord:
        """Assign, acknowledge, resolve or reopen an incident."""
        record = await self._store.act_on_incident(event_id, action, assignee)
        await self.audit(who, f"incident.{action}", event_id, {"assignee": assignee})
        return record

    async def replay_dead_letter(self, seq: int, who: Actor) -> None:
        """Publish a dead letter's payload to its source topic again."""
        if self._deps.on_replay_dead_letter is None:
            raise ConfigError("replaying dead letters needs the broker; run suture up")
        record = await self._store.get_dead_letter(seq)
        await self._deps.on_replay_dead_letter(record.letter)
        await self.audit(who, "dead_letter.replay", str(seq), {"topic": record.letter.topic})

    async def release(self, dataset: str, who: Actor) -> int:
        """Replay the events of `dataset` that quarantine held under `block`."""
        if self._deps.on_release is None:
            raise ConfigError("releasing quarantined events needs the broker; run suture up")
        if dataset not in self._deps.quarantine_policies:
            raise ApprovalError(f"{dataset!r} has no contract; only contracted topics quarantine")
        released = await self._deps.on_release(dataset)
        await self.audit(who, "quarantine.release", dataset, {"released": released})
        return released

    async def audit(
        self, who: Actor, action: str, subject: str, detail: dict[str, JsonValue]
    ) -> None:
        """Append to the audit log and log one line."""
        await self._store.append_audit(
            AuditEntry(actor=who.name, role=who.role, action=action, subject=subject, detail=detail)
        )
        logger.info(
            "%s %s by %s",
            action,
            subject,
            who.name,
            extra={"action": action, "subject": subject, "actor": who.name, "role": who.role},
        )

    async def _mark_failed(self, proposal_id: str, error: AssistantError) -> None:
        # The approval never reached the applier, so no one else will record its outcome.
        failure = f"the approval could not be handed to the applier: {error}"[:2000]
        try:
            await self._store.transition(
                Transition(
                    proposal_id=proposal_id,
                    from_status="approved",
                    to_status="failed",
                    by="reviewer",
                    failure=failure,
                )
            )
        except ApprovalError:
            logger.info("proposal %s already left 'approved' after a failed apply", proposal_id)
