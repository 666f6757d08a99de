"""Tests for the replay of quarantined events: once each, nothing lost, blocked ones withheld."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from agents import quarantine
from agents.edges.store import Store
from agents.quarantine import ReplayReport, quarantine_headers, replay_quarantined
from core import headers as names
from core.contracts import ViolationPolicy
from core.errors import BrokerError
from core.models import FixApplied, HeldEvent, StoredRecord


class _Topics:
    """TopicLog over in-memory topics, and the edge's publishing; offsets grow like Kafka's."""

    def __init__(self) -> None:
        self.topics: dict[str, list[StoredRecord]] = {}
        self.fail_next_publish = False

    def append(self, topic: str, value: bytes, headers: Sequence[tuple[str, bytes]] = ()) -> None:
        held = self.topics.setdefault(topic, [])
        held.append(
            StoredRecord(partition=0, offset=len(held), value=value, headers=tuple(headers))
        )

    async def read_all(self, topic: str) -> list[StoredRecord]:
        return list(self.topics.get(topic, []))

    async def publish(self, events: Sequence[HeldEvent]) -> None:
        if self.fail_next_publish:
            self.fail_next_publish = False
            raise BrokerError("broker went away")
        for event in events:
            self.append(f"{event.dataset}.{event.kind}", event.value, event.headers)


def _quarantine(topics: _Topics, count: int, *, policy: ViolationPolicy = "quarantine") -> None:
    for n in range(count):
        headers = quarantine_headers(
            reasons=["x: wrong_type"],
            policy=policy,
            topic="t",
            partition=0,
            offset=n,
        )
        topics.append("t.quarantine", f'{{"n": {n}}}'.encode(), headers)


def _deps(topics: _Topics, store: Store, *, release_blocked: bool = False) -> quarantine.Deps:
    return quarantine.Deps(log=topics, book=store, release_blocked=release_blocked)


async def _replay(
    topics: _Topics, store: Store, fix: str, *, release_blocked: bool = False
) -> ReplayReport:
    """One replay as the agent and the Kafka edge do it: claim, then publish what it returns."""
    replays, report = await replay_quarantined(
        "t", _deps(topics, store, release_blocked=release_blocked), fix=fix
    )
    await topics.publish(replays)
    return report


def _values(topics: _Topics, topic: str) -> list[bytes]:
    return [r.value for r in topics.topics.get(topic, [])]


async def test_applied_fix_replays_every_quarantined_event_once(store: Store) -> None:
    topics = _Topics()
    _quarantine(topics, 5)
    fix = FixApplied(proposal_id="p1", alert_id="a1", dataset="t")

    first = await quarantine.handle(fix, _deps(topics, store))
    await topics.publish(first)
    assert len(first) == 5 and {e.kind for e in first} == {"replay"}
    assert await quarantine.handle(fix, _deps(topics, store)) == []  # redelivered

    assert _values(topics, "t.replay") == _values(topics, "t.quarantine")
    replayed = topics.topics["t.replay"]
    assert [r.header(names.REPLAY_OF) for r in replayed] == [f"0:{n}" for n in range(5)]
    assert {r.header(names.FIX) for r in replayed} == {"p1"}
    assert replayed[0].header("suture-reason") == "x: wrong_type"


async def test_a_second_fix_replays_only_what_was_quarantined_since(store: Store) -> None:
    topics = _Topics()
    _quarantine(topics, 2)
    first = await _replay(topics, store, "p1")
    topics.append(
        "t.quarantine",
        b'{"n": 9}',
        quarantine_headers(
            reasons=["n: above_max"], policy="quarantine", topic="t", partition=0, offset=9
        ),
    )
    second = await _replay(topics, store, "p2")

    assert (first.replayed, second.replayed, second.already) == (2, 1, 2)
    assert _values(topics, "t.replay")[-1] == b'{"n": 9}'


async def test_blocked_events_are_withheld_until_a_human_releases_them(store: Store) -> None:
    topics = _Topics()
    _quarantine(topics, 3, policy="block")

    withheld = await _replay(topics, store, "p1")
    released = await _replay(topics, store, "h", release_blocked=True)

    assert (withheld.replayed, withheld.withheld) == (0, 3)
    assert released.replayed == 3 and len(_values(topics, "t.replay")) == 3


async def test_a_failed_publish_is_retried_without_loss_or_duplicates(store: Store) -> None:
    topics = _Topics()
    _quarantine(topics, 4)
    topics.fail_next_publish = True
    with pytest.raises(BrokerError):
        await _replay(topics, store, "p1")
    assert await store.unfinished_replays("t.quarantine") == {(0, n) for n in range(4)}

    report = await _replay(topics, store, "p1")

    assert (report.replayed, report.recovered) == (4, 4)
    assert sorted(_values(topics, "t.replay")) == sorted(_values(topics, "t.quarantine"))
    await _replay(topics, store, "p2")
    assert await store.unfinished_replays("t.quarantine") == set()


async def test_a_crash_after_publishing_does_not_replay_twice(store: Store) -> None:
    topics = _Topics()
    _quarantine(topics, 3)
    claimed = await store.claim_replays("t.quarantine", [(0, 0), (0, 1), (0, 2)], "p1")
    # The crash: events 0 and 1 reached the replay topic, their claims were never finished.
    for record in topics.topics["t.quarantine"][:2]:
        topics.append("t.replay", record.value, ((names.REPLAY_OF, f"0:{record.offset}".encode()),))

    report = await _replay(topics, store, "p1")

    assert claimed == {(0, 0), (0, 1), (0, 2)}
    assert (report.replayed, report.recovered) == (1, 1)
    assert _values(topics, "t.replay") == _values(topics, "t.quarantine")
    assert await store.replayed_positions("t.quarantine") == {(0, 0), (0, 1)}
    # The next replay sees the third event on the replay topic and finishes its claim.
    assert (await _replay(topics, store, "p2")).replayed == 0
    assert await store.replayed_positions("t.quarantine") == {(0, 0), (0, 1), (0, 2)}


async def test_nothing_quarantined_replays_nothing(store: Store) -> None:
    report = await _replay(_Topics(), store, "p1")
    assert (report.replayed, report.withheld, report.already) == (0, 0, 0)
