"""Quarantine headers, and the replay of quarantined events once a fix is applied, exactly once.

The drift monitor copies events that break their contract to `<topic>.quarantine`. When a fix
for the topic is applied (FixApplied on the applied topic), every quarantined event not replayed
yet is re-published, bytes unchanged, to `<topic>.replay`: a topic of its own, so the monitor
never judges (and quarantines) the same event twice, and the user's pipeline opts in by reading
it beside the data topic. Replays carry `suture-replay-of: <partition>:<offset>` (their place in
the quarantine topic) and keep the quarantine headers, so a sink can upsert on the contract key.

Exactly once: each quarantined position is claimed in the replay book before it is published
and marked finished after the broker acknowledged it. A redelivered FixApplied finds it claimed
and replays nothing; after a crash between claim and finish, the replay topic itself tells which
claimed events did reach the broker, and only the others are published again. Events quarantined
under `on_violation: block` are withheld unless `release_blocked` is set (a human's decision).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from core.contracts import ViolationPolicy
from core.models import FixApplied, RawMessage

_log = logging.getLogger(__name__)

HEADER_REASON = "suture-reason"
HEADER_POLICY = "suture-policy"
HEADER_SOURCE_TOPIC = "suture-source-topic"
HEADER_SOURCE_PARTITION = "suture-source-partition"
HEADER_SOURCE_OFFSET = "suture-source-offset"
HEADER_REPLAY_OF = "suture-replay-of"
HEADER_FIX = "suture-fix"
Position = tuple[int, int]


def quarantine_headers(
    *, reasons: Sequence[str], policy: ViolationPolicy, topic: str, partition: int, offset: int
) -> tuple[tuple[str, bytes], ...]:
    """Headers of a quarantined copy: why, under which policy, and where the original is.

    >>> dict(quarantine_headers(reasons=["a: wrong_type"], policy="block", topic="t",
    ...      partition=0, offset=7))["suture-source-offset"]
    b'7'
    """
    return (
        (HEADER_REASON, "; ".join(reasons).encode()),
        (HEADER_POLICY, policy.encode()),
        (HEADER_SOURCE_TOPIC, topic.encode()),
        (HEADER_SOURCE_PARTITION, str(partition).encode()),
        (HEADER_SOURCE_OFFSET, str(offset).encode()),
    )


class StoredRecord(BaseModel):
    """A record as it sits on a topic: its position, key, bytes and headers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    partition: int
    offset: int
    key: bytes | None = None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()

    def header(self, name: str) -> str | None:
        """The first header called `name`, as text."""
        found = next((v for k, v in self.headers if k == name), None)
        return None if found is None else found.decode("utf-8", errors="replace")


class TopicLog(Protocol):
    """Reads everything a topic holds right now (quarantine and replay topics are small)."""

    async def read_all(self, topic: str) -> list[StoredRecord]:
        """Every record from the start to the current end, all partitions; [] if no topic."""
        ...


class ReplayBook(Protocol):
    """The idempotency record: one row per quarantined position, claimed then finished."""

    async def claim_replays(
        self, topic: str, positions: Sequence[Position], fix: str
    ) -> set[Position]:
        """Claim positions for replay; returns those no earlier replay had claimed."""
        ...

    async def finish_replays(self, topic: str, positions: Sequence[Position]) -> None:
        """Mark claimed positions as published."""
        ...

    async def unfinished_replays(self, topic: str) -> set[Position]:
        """Positions claimed but not known to be published (a crash in between)."""
        ...


class ReplayReport(BaseModel):
    """What one replay did."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: str
    replayed: int = 0
    recovered: int = 0
    already: int = 0
    withheld: int = 0


@dataclass(frozen=True)
class Deps:
    """What the replayer needs: the topics' contents, the book, and a raw publisher."""

    log: TopicLog
    book: ReplayBook
    publish: Callable[[Sequence[RawMessage]], Awaitable[None]]
    quarantine_suffix: str = ".quarantine"
    replay_suffix: str = ".replay"
    release_blocked: bool = False


async def handle(event: FixApplied, deps: Deps) -> list[BaseModel]:
    """Replay the fixed dataset's quarantined events; publishes itself, so returns nothing."""
    report = await replay_quarantined(event.dataset, deps, fix=event.proposal_id)
    _log.info(
        "quarantine of %s replayed: %s",
        event.dataset,
        report.model_dump(),
        extra={"event_id": event.event_id},
    )
    return []


async def replay_quarantined(dataset: str, deps: Deps, *, fix: str) -> ReplayReport:
    """Publish every quarantined event of `dataset` not replayed yet to `<dataset>.replay`."""
    source, target = dataset + deps.quarantine_suffix, dataset + deps.replay_suffix
    records = await deps.log.read_all(source)
    retry = await _unpublished_claims(source, target, deps)
    eligible = [r for r in records if deps.release_blocked or r.header(HEADER_POLICY) != "block"]
    claimed = await deps.book.claim_replays(
        source, [(r.partition, r.offset) for r in eligible], fix
    )
    todo = claimed | retry
    messages = [_replay(r, target, fix) for r in eligible if (r.partition, r.offset) in todo]
    await deps.publish(messages)
    await deps.book.finish_replays(source, sorted(todo))
    return ReplayReport(
        dataset=dataset,
        replayed=len(messages),
        recovered=len(retry),
        already=len(eligible) - len(todo),
        withheld=len(records) - len(eligible),
    )


async def _unpublished_claims(source: str, target: str, deps: Deps) -> set[Position]:
    """Claims a crash left unfinished, minus those the replay topic shows were published."""
    unfinished = await deps.book.unfinished_replays(source)
    if not unfinished:
        return set()
    published = {_position(r.header(HEADER_REPLAY_OF)) for r in await deps.log.read_all(target)}
    done = unfinished & published
    await deps.book.finish_replays(source, sorted(done))
    return unfinished - done


def _position(text: str | None) -> Position | None:
    if not text or ":" not in text:
        return None
    partition, offset = text.split(":", 1)
    return int(partition), int(offset)


def _replay(record: StoredRecord, target: str, fix: str) -> RawMessage:
    headers = (
        *record.headers,
        (HEADER_REPLAY_OF, f"{record.partition}:{record.offset}".encode()),
        (HEADER_FIX, fix.encode()),
    )
    return RawMessage(topic=target, value=record.value, key=record.key, headers=headers)
