"""Reads a decision taken on the forge back into the proposal lifecycle.

An approving review or a merge on the forge approves a pending proposal exactly as the review
page does (the same compare-and-set), and hands it to the applier, which then merges through the
forge, or takes the human's merge commit without merging again. Closing the PR unmerged rejects
the proposal, and the knowledge base keeps the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from core.errors import ApprovalError
from core.lifecycle import ProposalRecord, Transition
from core.models import FixApproved
from core.ports import ProposalStore, PullRequest, RejectedFix, RejectionLog

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deps:
    """What reading a forge decision needs."""

    book: ProposalStore
    rejections: RejectionLog
    clock: Callable[[], datetime]


def closing_reason(pull: PullRequest) -> str:
    """Why the PR was closed, in words a later reviewer can use."""
    by = f" by {pull.decided_by}" if pull.decided_by else ""
    said = f": {pull.note.strip()}" if pull.note and pull.note.strip() else " (no reason given)"
    return f"pull request #{pull.number} closed unmerged on the forge{by}{said}"[:2000]


async def handle(record: ProposalRecord, pull: PullRequest, deps: Deps) -> list[FixApproved]:
    """The approval to hand to the applier, if the forge approved a pending proposal.

    Idempotent: a proposal another reviewer decided already is left as it is (the
    compare-and-set refuses the second move), so one decision yields at most one apply.
    """
    if record.status != "pending" or pull.state == "open":
        return []
    reviewer = f"{pull.decided_by or 'someone'} on the forge ({pull.state} #{pull.number})"
    proposal = record.proposal
    if pull.state == "closed":
        reason = closing_reason(pull)
        if not await _move(deps, record, "rejected", reviewer, reason):
            return []
        await deps.rejections.record_rejection(
            RejectedFix(
                proposal_id=proposal.proposal_id,
                signature=proposal.signature,
                dataset=proposal.dataset,
                reason=reason,
                rejected_by=reviewer,
                rejected_at=deps.clock(),
            )
        )
        return []
    if not await _move(deps, record, "approved", reviewer, None):
        return []
    return [FixApproved(proposal_id=proposal.proposal_id, reviewer=reviewer[:200])]


async def _move(
    deps: Deps, record: ProposalRecord, to: str, reviewer: str, note: str | None
) -> bool:
    try:
        await deps.book.transition(
            Transition(
                proposal_id=record.proposal_id,
                from_status="pending",
                to_status="rejected" if to == "rejected" else "approved",
                by="reviewer",
                reviewer=reviewer[:200],
                note=note,
            )
        )
    except ApprovalError:
        _log.info("proposal %s was decided meanwhile; the forge's decision is moot", to)
        return False
    return True
