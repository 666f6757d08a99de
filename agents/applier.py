"""Applies a fix a human approved: merge the branch, remember the fix, record the outcome.

The applier owns the outcome of an approval (core/lifecycle.py): the proposal becomes `applied`
with the merge commit, or `failed` with the reason the merge failed. Nothing stays `approved`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from core.errors import ApprovalError, AssistantError
from core.failpoints import failpoint
from core.lifecycle import Transition
from core.models import FixApplied, FixApproved
from core.ports import KnowledgeBase, Merger, ProposalStore, VerifiedFix

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deps:
    """What the applier needs."""

    book: ProposalStore
    repo: Merger
    kb: KnowledgeBase
    clock: Callable[[], datetime]


async def handle(event: FixApproved, deps: Deps) -> list[FixApplied]:
    """Merge an approved proposal exactly once and record how it went.

    A redelivered approval of an applied (or failed) proposal does nothing; an approval of a
    proposal that is not approved is refused (ApprovalError, dead-lettered by the edge).
    """
    record = await deps.book.get_proposal(event.proposal_id)
    proposal = record.proposal
    if record.status in ("applied", "failed"):
        return []  # redelivered approval: its outcome is on record already
    if record.status != "approved":
        raise ApprovalError(
            f"proposal {event.proposal_id!r} is {record.status!r}, not approved; nothing applied"
        )
    if proposal.branch is None:
        await _fail(deps, proposal.proposal_id, "the proposal has no branch to merge")
        return []
    try:
        merged = await deps.repo.merge(proposal.branch, proposal.commit)
    except AssistantError as error:
        if error.retriable:
            raise  # the edge retries; the proposal stays approved meanwhile
        await _fail(deps, proposal.proposal_id, f"merging {proposal.branch!r} failed: {error}")
        return []
    failpoint("applier.merged")
    await deps.kb.record(VerifiedFix.from_proposal(proposal, applied_at=deps.clock()))
    await deps.book.transition(
        Transition(
            proposal_id=proposal.proposal_id,
            from_status="approved",
            to_status="applied",
            by="applier",
            applied_commit=merged,
        )
    )
    _log.info("fix applied", extra={"event_id": event.event_id})
    return [
        FixApplied(
            proposal_id=proposal.proposal_id,
            alert_id=proposal.alert_id,
            dataset=proposal.dataset,
            merge_commit=merged,
            models=[p.model for p in proposal.patches],
            contract=proposal.contract,
        )
    ]


async def _fail(deps: Deps, proposal_id: str, reason: str) -> None:
    _log.warning("applying %s failed: %s", proposal_id, reason)
    await deps.book.transition(
        Transition(
            proposal_id=proposal_id,
            from_status="approved",
            to_status="failed",
            by="applier",
            failure=reason[:2000],
        )
    )
