"""The approval outbox: approvals recorded in the store reach the applier, even late."""

from __future__ import annotations

import asyncio

from agents.edges.bus_fake import InMemoryBus
from agents.edges.kafka import Destinations
from agents.edges.outbox import Outbox
from agents.edges.store_fake import InMemoryStore
from core.lifecycle import Transition
from core.models import FixApproved
from tests.agents.edges.test_web import make_proposal

TO = Destinations()


async def _approved(store: InMemoryStore, alert_id: str, reviewer: str = "ana") -> str:
    proposal = make_proposal(alert_id)
    await store.save_proposal(proposal)
    await store.transition(
        Transition(
            proposal_id=proposal.proposal_id,
            from_status="pending",
            to_status="approved",
            by="reviewer",
            reviewer=reviewer,
        )
    )
    return proposal.proposal_id


def _relayed(bus: InMemoryBus) -> list[str]:
    return [FixApproved.model_validate_json(m.value).proposal_id for m in bus.on(TO.approvals)]


async def test_relays_each_approved_proposal_with_its_reviewer_once() -> None:
    store, bus, now = InMemoryStore(), InMemoryBus(), [0.0]
    first = await _approved(store, "a1", reviewer="ana")
    await store.save_proposal(make_proposal("a2"))  # pending: not relayed
    outbox = Outbox(store, bus, TO, clock=lambda: now[0], resend_after_s=60)
    assert await outbox.relay_once() == [first]
    assert await outbox.relay_once() == []  # sent a moment ago
    [message] = bus.on(TO.approvals)
    assert message.key == first.encode()
    assert FixApproved.model_validate_json(message.value).reviewer == "ana"


async def test_relays_again_while_still_approved_and_forgets_it_once_decided() -> None:
    store, bus, now = InMemoryStore(), InMemoryBus(), [0.0]
    proposal_id = await _approved(store, "a1")
    outbox = Outbox(store, bus, TO, clock=lambda: now[0], resend_after_s=60)
    await outbox.relay_once()
    now[0] = 61.0  # the message may have been lost with a restarted broker
    assert await outbox.relay_once() == [proposal_id]
    await store.transition(
        Transition(
            proposal_id=proposal_id,
            from_status="approved",
            to_status="failed",
            by="applier",
            failure="conflict",
        )
    )
    now[0] = 200.0
    assert await outbox.relay_once() == [] and outbox.sent == {}
    assert _relayed(bus) == [proposal_id, proposal_id]


async def test_an_approval_recorded_while_nothing_ran_is_relayed_at_start() -> None:
    store, bus = InMemoryStore(), InMemoryBus()
    proposal_id = await _approved(store, "a1")  # recorded by the web; the agents were down
    outbox = Outbox(store, bus, TO, clock=lambda: 0.0)
    running = asyncio.create_task(outbox.run(interval_s=60))
    try:
        async with asyncio.timeout(5):
            while not bus.on(TO.approvals):  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            later = await _approved(store, "a2")
            await outbox.nudge()  # the web's call after an approval: no wait for the interval
            while len(bus.on(TO.approvals)) < 2:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
    finally:
        running.cancel()
    assert _relayed(bus) == [proposal_id, later]
