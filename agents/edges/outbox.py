"""The approval outbox: an approval is recorded in the store first, then relayed to the
applier by whoever is up. Approving while the agents are down, or losing the approval message
with a restarted broker, leaves nothing stuck: every proposal still `approved` is relayed again
(the applier applies each approval exactly once, whatever the number of deliveries)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from agents.edges.kafka import Destinations, Publisher
from core.lifecycle import ProposalRecord, ProposalStatus
from core.models import FixApproved

logger = logging.getLogger(__name__)


class ApprovedProposals(Protocol):
    """Where approvals are recorded: the store."""

    async def list_proposals(self, status: ProposalStatus | None = None) -> list[ProposalRecord]:
        """Proposals, optionally only those in `status`."""
        ...


@dataclass
class Outbox:
    """Relays each approved proposal to the approvals topic; again after `resend_after_s` while
    it is still approved (its message may have been lost)."""

    store: ApprovedProposals
    publisher: Publisher
    destinations: Destinations
    clock: Callable[[], float]
    resend_after_s: float = 120.0
    sent: dict[str, float] = field(default_factory=dict)
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    async def relay_once(self) -> Sequence[str]:
        """Publish the approvals that are due; return their proposal ids."""
        approved = await self.store.list_proposals(status="approved")
        now = self.clock()
        due = [
            r
            for r in approved
            if r.proposal_id not in self.sent
            or now - self.sent[r.proposal_id] >= self.resend_after_s
        ]
        events = [
            FixApproved(proposal_id=r.proposal_id, reviewer=r.reviewer or "reviewer") for r in due
        ]
        await self.publisher.publish_all(
            [self.destinations.outgoing(e, key=e.proposal_id.encode()) for e in events]
        )
        for record in due:
            self.sent[record.proposal_id] = now
        still = {r.proposal_id for r in approved}
        for gone in [p for p in self.sent if p not in still]:  # applied, failed: forget them
            del self.sent[gone]
        if due:
            logger.info("relayed %d approval(s) to the applier", len(due))
        return [r.proposal_id for r in due]

    async def nudge(self, proposal_id: str = "", reviewer: str = "") -> None:
        """Relay now (the web calls this right after recording an approval)."""
        self.wake.set()

    async def run(self, interval_s: float = 5.0) -> None:
        """Relay at start, on every nudge, and every `interval_s`, until cancelled."""
        while True:
            self.wake.clear()
            await self.relay_once()
            try:
                async with asyncio.timeout(interval_s):
                    await self.wake.wait()
            except TimeoutError:
                pass
