"""The proposal lifecycle: its statuses, the moves between them, and who owns each move.

    pending -> approved -> applied | failed        pending -> rejected        failed -> pending
    pending -> superseded

A reviewer (the web endpoint) approves or rejects a pending proposal, and may send a failed one
back to review. The applier, and only the applier, records the outcome of an approval: the
applied commit, or the failure and its reason. The one other writer of `failed` is the web
endpoint when the approval itself could not be handed to the applier (the broker refused it):
then no applier will ever see it, and leaving it `approved` would leave it stuck. The healer
supersedes a pending proposal when it proposes a newer fix for the same topic on the same branch
and pull request: the outdated one can then no longer be approved.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.errors import ApprovalError
from core.models import FixProposed

ProposalStatus = Literal["pending", "approved", "applied", "rejected", "failed", "superseded"]
Actor = Literal["reviewer", "applier", "healer"]

MOVES: Mapping[tuple[ProposalStatus, ProposalStatus], frozenset[Actor]] = {
    ("pending", "approved"): frozenset({"reviewer"}),
    ("pending", "rejected"): frozenset({"reviewer"}),
    ("approved", "applied"): frozenset({"applier"}),
    ("approved", "failed"): frozenset({"applier", "reviewer"}),
    ("failed", "pending"): frozenset({"reviewer"}),
    ("pending", "superseded"): frozenset({"healer"}),
}


def allowed_from(status: ProposalStatus) -> list[ProposalStatus]:
    """The statuses a proposal in `status` may move to.

    >>> allowed_from("approved")
    ['applied', 'failed']
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
    failure: str | None = Field(default=None, description="Why applying it failed.")

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
        if self.to_status == "failed" and not self.failure:
            raise ApprovalError("a failed proposal records why it failed; pass the reason")
        return self


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
