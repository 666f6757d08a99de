"""A newer fix for a topic replaces its pending one: same branch, same pull request, one apply.

When a re-validation or a newer drift on a topic arrives while suture's earlier proposal for that
topic is still pending, the healer heals both changes at once (the pending proposal's detections
are carried into the new alert, the new ones winning for a field both name), commits the result
on the pending proposal's branch (so its pull request is updated, never a second one opened),
and then marks the pending proposal `superseded`: it can no longer be approved, and the applier
merges only the commit a proposal was reviewed at. The order (branch, then the new proposal
stored, then the old one superseded) is safe against a crash at any step: a redelivered alert
finds its stored proposal and finishes the supersession.
"""

from __future__ import annotations

import logging

from core.errors import ApprovalError
from core.lifecycle import ProposalRecord, Transition
from core.models import AlertRaised, Detection, FixProposed
from core.ports import AlertStore, ProposalStore

_log = logging.getLogger(__name__)


async def pending_for(
    alert: AlertRaised, book: ProposalStore, alerts: AlertStore
) -> tuple[ProposalRecord | None, AlertRaised]:
    """The pending proposal a fix for `alert` replaces, and the alert to heal: `alert` with the
    pending proposal's detections carried in. (None, `alert`) when nothing is pending, or when
    the pending proposal answered another kind of alert (a quality recipe is not a drift fix)."""
    for record in reversed(await book.open_proposals(alert.dataset)):
        if record.proposal.branch is None or record.proposal.alert_id == alert.event_id:
            continue
        earlier = await alerts.get_alert(record.proposal.alert_id)
        if earlier is None or earlier.category != alert.category:
            continue
        return record, alert.model_copy(
            update={"detections": carried(earlier.detections, alert.detections)}
        )
    return None, alert


def carried(earlier: list[Detection], newer: list[Detection]) -> list[Detection]:
    """The newer detections, then each earlier one about a field (or, topic-wide, of a kind)
    no newer detection names.

    >>> rename = Detection(kind="rename", field="cust_id", to="customer_id")
    >>> again = Detection(kind="rename", field="cust_id", to="client_id")
    >>> gone = Detection(kind="remove", field="coupon")
    >>> [d.to or d.field for d in carried([rename, gone], [again])]
    ['client_id', 'coupon']
    """
    fields = {d.field for d in newer if d.field is not None}
    kinds = {d.kind for d in newer if d.field is None}
    kept = [
        d
        for d in earlier
        if (d.field is not None and d.field not in fields)
        or (d.field is None and d.kind not in kinds)
    ]
    return [*newer, *kept]


async def finish(proposal: FixProposed, book: ProposalStore) -> bool:
    """Mark the proposal `proposal` supersedes as superseded; False if it was decided meanwhile
    (then the applier refuses to merge it, as its branch moved on) or already superseded."""
    if proposal.supersedes is None:
        return False
    try:
        await book.transition(
            Transition(
                proposal_id=proposal.supersedes,
                from_status="pending",
                to_status="superseded",
                by="healer",
                note=f"superseded by proposal {proposal.proposal_id}",
            )
        )
    except ApprovalError:
        _log.info("proposal %s was decided before it could be superseded", proposal.supersedes)
        return False
    return True
