"""Applies a fix a human approved: merge the branch, remember the fix, announce it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.errors import ApprovalError
from core.models import FixApplied, FixApproved, FixProposed
from core.ports import KnowledgeBase, VerifiedFix

_log = logging.getLogger(__name__)


class ProposalState(Protocol):
    """A stored proposal and where it is in review."""

    @property
    def status(self) -> str:
        """pending, approved, applied, rejected or failed."""
        ...

    @property
    def proposal(self) -> FixProposed:
        """The proposal as the healer made it."""
        ...


class ApprovalBook(Protocol):
    """The proposals' review state, changed only by compare-and-set."""

    async def get_proposal(self, proposal_id: str) -> ProposalState:
        """The proposal and its status; StoreError if unknown."""
        ...

    async def transition(
        self,
        proposal_id: str,
        from_status: str,
        to_status: str,
        reviewer: str | None = None,
        note: str | None = None,
    ) -> ProposalState:
        """Move a proposal from one status to another, or raise if it is not in `from_status`."""
        ...


class Merger(Protocol):
    """Merges a proposal's branch into the pipeline repository's main branch."""

    async def merge(self, branch: str) -> str:
        """Merge `branch` into main (a no-op if already merged); return main's new commit."""
        ...


@dataclass(frozen=True)
class Deps:
    """What the applier needs."""

    book: ApprovalBook
    repo: Merger
    kb: KnowledgeBase
    clock: Callable[[], datetime]


async def handle(event: FixApproved, deps: Deps) -> list[FixApplied]:
    """Merge an approved proposal exactly once; anything not approved is refused."""
    state = await deps.book.get_proposal(event.proposal_id)
    proposal = state.proposal
    if state.status == "applied":
        return []  # redelivered approval: already done
    if state.status != "approved":
        raise ApprovalError(
            f"proposal {event.proposal_id!r} is {state.status!r}, not approved; nothing applied"
        )
    if proposal.branch is None:
        raise ApprovalError(f"proposal {event.proposal_id!r} has no branch to merge")
    merged = await deps.repo.merge(proposal.branch)
    await deps.kb.record(
        VerifiedFix(
            signature=proposal.signature,
            dataset=proposal.dataset,
            summary=f"{proposal.title}. Mapping: {proposal.mapping.as_dict()}",
            mapping=proposal.mapping,
            patches=proposal.patches,
            proposal_id=proposal.proposal_id,
            applied_at=deps.clock(),
        )
    )
    await deps.book.transition(proposal.proposal_id, "approved", "applied", note=merged)
    _log.info("fix applied", extra={"event_id": event.event_id})
    return [
        FixApplied(
            proposal_id=proposal.proposal_id,
            alert_id=proposal.alert_id,
            dataset=proposal.dataset,
            merge_commit=merged,
            models=[p.model for p in proposal.patches],
        )
    ]
