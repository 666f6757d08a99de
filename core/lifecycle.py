"""The proposal lifecycle: its statuses, the moves between them, and who owns each move.

    pending -> approved -> applied | failed        pending -> rejected        failed -> pending
    pending | approved -> stale -> pending | failed

A reviewer (the web endpoint) approves or rejects a pending proposal, and may send a failed one
back to review. The applier, and only the applier, records the outcome of an approval: the
applied commit, or the failure and its reason. The one other writer of `failed` is the web
endpoint when the approval itself could not be handed to the applier (the broker refused it):
then no applier will ever see it, and leaving it `approved` would leave it stuck.

A proposal is `stale` when the pipeline's default branch moved past the commit it was validated
on: what a reviewer would approve is no longer what would be merged. The revalidator marks a
pending one stale; the applier marks an approved one stale instead of merging it (an approval
is of one validated change, on one base). The revalidator, and only it, settles a stale one: it
rebases the branch onto the new head and validates again, then sends it back to review
(`pending`, with the revised proposal) or records why it could not (`failed`). A stale proposal
cannot be approved; every stale proposal is picked up by the next revalidation, so none stays.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.errors import ApprovalError
from core.models import FixProposed

ProposalStatus = Literal["pending", "approved", "applied", "rejected", "failed", "stale"]
Actor = Literal["reviewer", "applier", "revalidator"]

MOVES: Mapping[tuple[ProposalStatus, ProposalStatus], frozenset[Actor]] = {
    ("pending", "approved"): frozenset({"reviewer"}),
    ("pending", "rejected"): frozenset({"reviewer"}),
    ("approved", "applied"): frozenset({"applier"}),
    ("approved", "failed"): frozenset({"applier", "reviewer"}),
    ("failed", "pending"): frozenset({"reviewer"}),
    ("pending", "stale"): frozenset({"revalidator"}),
    ("approved", "stale"): frozenset({"applier"}),
    ("stale", "pending"): frozenset({"revalidator"}),
    ("stale", "failed"): frozenset({"revalidator"}),
}
# Statuses whose moves record a reason (in `failure`), and what the reason says.
_NEED_A_REASON: Mapping[ProposalStatus, str] = {
    "failed": "why it failed",
    "stale": "why it went stale",
}


def allowed_from(status: ProposalStatus) -> list[ProposalStatus]:
    """The statuses a proposal in `status` may move to.

    >>> allowed_from("approved")
    ['applied', 'failed', 'stale']
    """
    return sorted(to for (frm, to) in MOVES if frm == status)


class Transition(BaseModel):
    """One move of one proposal, with what the mover records along with it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    proposal_id: str
    from_status: ProposalStatus
    to_status: ProposalStatus
    by: Actor
    reviewer: str | None = Field(default=None, description="Who decided (reviewer moves).")
    note: str | None = Field(default=None, description="The reviewer's comment.")
    applied_commit: str | None = Field(default=None, description="The commit that applied it.")
    failure: str | None = Field(
        default=None, description="Why it failed, or why it went stale (the reason shown)."
    )
    revised: FixProposed | None = Field(
        default=None,
        description="The proposal rebased onto the new head and validated again (stale -> "
        "pending): it replaces the stored one.",
    )

    def check(self) -> Transition:
        """This move, if the lifecycle allows it and `by` owns it; else ApprovalError."""
        owners = MOVES.get((self.from_status, self.to_status))
        if owners is None:
            raise ApprovalError(
                f"a proposal cannot go from {self.from_status!r} to {self.to_status!r}; from "
                f"{self.from_status!r} it may go to {allowed_from(self.from_status)}"
            )
        if self.by not in owners:
            raise ApprovalError(
                f"the {self.by} may not move a proposal from {self.from_status!r} to "
                f"{self.to_status!r}; that is the {' or '.join(sorted(owners))}'s move"
            )
        if self.to_status == "applied" and not self.applied_commit:
            raise ApprovalError("an applied proposal records its applied commit; pass it")
        if self.to_status in _NEED_A_REASON and not self.failure:
            why = _NEED_A_REASON[self.to_status]
            raise ApprovalError(f"a {self.to_status} proposal records {why}; pass the reason")
        revalidated = (self.from_status, self.to_status) == ("stale", "pending")
        if revalidated != (self.revised is not None):
            raise ApprovalError(
                "a stale proposal goes back to review with its revalidated proposal, and only "
                "then is a revised proposal recorded; pass `revised` exactly for stale -> pending"
            )
        if self.revised is not None and self.revised.proposal_id != self.proposal_id:
            raise ApprovalError(
                f"the revised proposal is {self.revised.proposal_id!r}, not {self.proposal_id!r}"
            )
        return self

    def changes(self) -> dict[str, object]:
        """What the move writes beside the status (the stores' columns; `payload` when revised).

        A proposal back in review carries no reason any more: it is up to the reviewer again."""
        changes: dict[str, object] = {"status": self.to_status}
        for name in ("reviewer", "note", "applied_commit", "failure"):
            if (value := getattr(self, name)) is not None:
                changes[name] = value
        if self.to_status == "pending":
            changes["failure"] = None
        return changes


def refusal(proposal_id: str, current: ProposalStatus, wanted: ProposalStatus, why: str) -> str:
    """Why a move from `wanted` was refused: the proposal is `current` (with reason `why`).

    >>> refusal("p1", "applied", "pending", "")
    "proposal 'p1' is 'applied', not 'pending'; it was decided already, reload it before acting"
    """
    if current == "stale":
        return (
            f"proposal {proposal_id!r} is stale ({why or 'the default branch moved'}): it is "
            "being revalidated against the new head and cannot be decided until it is pending "
            "again; reload it in a moment"
        )
    return (
        f"proposal {proposal_id!r} is {current!r}, not {wanted!r}; it was decided already, "
        "reload it before acting"
    )


class ProposalRecord(BaseModel):
    """A fix proposal together with where it stands in review."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    proposal: FixProposed
    status: ProposalStatus
    reviewer: str | None = None
    decided_at: datetime | None = None
    applied_commit: str | None = None
    note: str | None = None
    failure: str | None = None

    @property
    def proposal_id(self) -> str:
        """The proposal's id."""
        return self.proposal.proposal_id
