"""Applies a fix a human approved: merge the branch, remember the fix, record the outcome.

The applier owns the outcome of an approval (core/lifecycle.py): the proposal becomes `applied`
with the merge commit, or `failed` with the reason the merge failed. Nothing stays `approved`.
When the default branch moved past the commit the proposal was validated on, nothing is merged:
the proposal becomes `stale` (an approval is of one validated change on one base), and the
revalidator carries it onto the new head and sends it back to review, or records why it cannot.
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
    # Told when the default branch moved or a proposal went stale: wakes the revalidator.
    on_moved: Callable[[], None] = lambda: None


async def handle(event: FixApproved, deps: Deps) -> list[FixApplied]:
    """Merge an approved proposal exactly once and record how it went.

    A redelivered approval of an applied (or failed) proposal does nothing; an approval of a
    proposal that is not approved is refused (ApprovalError, dead-lettered by the edge).
    """
    record = await deps.book.get_proposal(event.proposal_id)
    proposal = record.proposal
    if record.status in ("applied", "failed", "stale"):
        return []  # redelivered approval: its outcome is on record already
    if record.status != "approved":
        raise ApprovalError(
            f"proposal {event.proposal_id!r} is {record.status!r}, not approved; nothing applied"
        )
    if proposal.branch is None:
        await _fail(deps, proposal.proposal_id, "the proposal has no branch to merge")
        return []
    try:
        moved = await deps.repo.behind(proposal.branch)
        merged = await deps.repo.merge(proposal.branch) if moved is None else ""
    except AssistantError as error:
        if error.retriable:
            raise  # the edge retries; the proposal stays approved meanwhile
        await _fail(deps, proposal.proposal_id, f"merging {proposal.branch!r} failed: {error}")
        return []
    if moved is not None:
        reason = (
            f"the default branch moved to {moved[:12]} after {proposal.branch!r} was validated "
            "and approved; it is being revalidated on the new head and must be approved again"
        )
        _log.info("not merging %s: %s", proposal.proposal_id, reason)
        await deps.book.transition(
            Transition(
                proposal_id=proposal.proposal_id,
                from_status="approved",
                to_status="stale",
                by="applier",
                failure=reason,
            )
        )
        deps.on_moved()
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
    deps.on_moved()  # the other proposals were made on the old head
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
