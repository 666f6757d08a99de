"""The loop that reads decisions back from the forge: every pending proposal's PR, each interval.

A forge that cannot be reached is logged and tried again at the next interval (the proposals
stay pending meanwhile); a PR the forge no longer knows is logged and skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from agents import forge_review
from agents.edges.kafka import Destinations, Outgoing
from agents.edges.pull_requests import PullRequests
from core.errors import ForgeError
from core.lifecycle import ProposalRecord, ProposalStatus
from core.models import FixApproved

_log = logging.getLogger(__name__)


class _Pending(Protocol):
    async def list_proposals(self, status: ProposalStatus | None = None) -> list[ProposalRecord]:
        """Proposals, optionally only those in `status`."""
        ...


class _Publisher(Protocol):
    async def publish_all(self, messages: Sequence[Outgoing]) -> None:
        """Publish every message."""
        ...


async def poll_once(
    pulls: PullRequests, proposals: _Pending, deps: forge_review.Deps
) -> list[FixApproved]:
    """Read every pending proposal's PR once; the approvals the forge gave, as events.

    PRs of proposals rejected on the review page are closed on the forge."""
    approvals: list[FixApproved] = []
    for record in await proposals.list_proposals("rejected"):
        # Rejected on the review page: its PR, still open, is closed with the reason (once).
        if record.proposal.branch is not None:
            said = f": {record.note}" if record.note else "."
            reason = f"Rejected on suture's review page by {record.reviewer or 'a reviewer'}{said}"
            await pulls.close_rejected(record.proposal.branch, reason)
    for record in await proposals.list_proposals("pending"):
        branch = record.proposal.branch
        if branch is None:
            continue
        try:
            pull = await pulls.state(branch)
        except ForgeError as error:
            if error.retriable:
                raise
            _log.warning("cannot read the PR of %s: %s", branch, error)
            continue
        if pull is not None:
            approvals += await forge_review.handle(record, pull, deps)
    return approvals


async def watch_pull_requests(
    pulls: PullRequests,
    proposals: _Pending,
    deps: forge_review.Deps,
    publisher: _Publisher,
    interval_s: float,
    *,
    destinations: Destinations,
    tick: Callable[[], Awaitable[None]] | None = None,
    limit: int | None = None,
    wake: asyncio.Event | None = None,
) -> int:
    """Poll the forge every `interval_s` (sooner when `wake` is set: a webhook came), hand its
    approvals to the applier; until cancelled or `limit` rounds were made. Returns the rounds."""

    async def sleep() -> None:
        if wake is None:
            await asyncio.sleep(interval_s)
            return
        with contextlib.suppress(TimeoutError):  # the interval passed with no webhook
            async with asyncio.timeout(interval_s):
                await wake.wait()
        wake.clear()

    rounds = 0
    while limit is None or rounds < limit:
        try:
            found = await poll_once(pulls, proposals, deps)
        except ForgeError as error:
            _log.warning("the forge is unavailable, trying again in %.0f s: %s", interval_s, error)
            found = []
        await publisher.publish_all(
            [destinations.outgoing(e, key=e.proposal_id.encode()) for e in found]
        )
        rounds += 1
        if limit is None or rounds < limit:
            await (tick or sleep)()
    return rounds
