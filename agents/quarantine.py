"""Quarantine headers, and the replay of quarantined events once a fix is applied, exactly once.

The drift monitor copies events that break their contract to `<topic>.quarantine`. When a fix
for the topic is applied (FixApplied on the applied topic), every quarantined event not replayed
yet is re-published, bytes unchanged, to `<topic>.replay`: a topic of its own, so the monitor
never judges (and quarantines) the same event twice, and the user's pipeline opts in by reading
it beside the data topic. Replays carry `suture-replay-of: <partition>:<offset>` (their place in
the quarantine topic) and keep the quarantine headers, so a sink can upsert on the contract key.

Exactly once: each quarantined position is claimed in the replay book before its replay is
returned for publication. A redelivered FixApplied finds it claimed and replays nothing. A claim
is finished once the replay topic shows its event: the next replay reads the replay topic, marks
those claims finished, and publishes again only the claimed events that never reached it.
Events quarantined under `on_violation: block` are withheld unless `release_blocked` is set (a
human's decision).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from core import headers
from core.contracts import ViolationPolicy
from core.models import FixApplied, HeldEvent, StoredRecord
from core.ports import Position, ReplayBook, TopicLog

_log = logging.getLogger(__name__)


def quarantine_headers(
    *, reasons: Sequence[str], policy: ViolationPolicy, topic: str, partition: int, offset: int
) -> tuple[tuple[str, bytes], ...]:
    """Headers of a quarantined copy: why, under which policy, and where the original is.

    >>> dict(quarantine_headers(reasons=["a: wrong_type"], policy="block", topic="t",
    ...      partition=0, offset=7))["suture-source-offset"]
    b'7'
    """
    return (
        (headers.REASON, "; ".join(reasons).encode()),
        (headers.POLICY, policy.encode()),
        (headers.SOURCE_TOPIC, topic.encode()),
        (headers.SOURCE_PARTITION, str(partition).encode()),
        (headers.SOURCE_OFFSET, str(offset).encode()),
    )


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
    """What the replayer needs: the topics' contents and the replay book."""

    log: TopicLog
    book: ReplayBook
    quarantine_suffix: str = ".quarantine"
    replay_suffix: str = ".replay"
    release_blocked: bool = False


async def handle(event: FixApplied, deps: Deps) -> list[HeldEvent]:
    """The fixed dataset's quarantined events not replayed yet, to publish as replays."""
    replays, report = await replay_quarantined(event.dataset, deps, fix=event.proposal_id)
    _log.info(
        "quarantine of %s replayed: %s",
        event.dataset,
        report.model_dump(),
        extra={"event_id": event.event_id},
    )
    return replays


async def replay_quarantined(
    dataset: str, deps: Deps, *, fix: str
) -> tuple[list[HeldEvent], ReplayReport]:
    """Every quarantined event of `dataset` not replayed yet, claimed for this replay.

    Positions are claimed before they are returned, so a redelivered FixApplied returns nothing
    again. A claim is finished once the replay topic shows its event (checked at the start of
    the next replay): until then a crash between claim and publication is recovered.
    """
    source = dataset + deps.quarantine_suffix
    target = dataset + deps.replay_suffix
    records = await deps.log.read_all(source)
    retry = await _unpublished_claims(source, target, deps)
    eligible = [r for r in records if deps.release_blocked or r.header(headers.POLICY) != "block"]
    claimed = await deps.book.claim_replays(
        source, [(r.partition, r.offset) for r in eligible], fix
    )
    todo = claimed | retry
    replays = [_replay(r, dataset, fix) for r in eligible if (r.partition, r.offset) in todo]
    report = ReplayReport(
        dataset=dataset,
        replayed=len(replays),
        recovered=len(retry),
        already=len(eligible) - len(todo),
        withheld=len(records) - len(eligible),
    )
    return replays, report


async def _unpublished_claims(source: str, target: str, deps: Deps) -> set[Position]:
    """Claims a crash left unfinished, minus those the replay topic shows were published."""
    unfinished = await deps.book.unfinished_replays(source)
    if not unfinished:
        return set()
    published = {_position(r.header(headers.REPLAY_OF)) for r in await deps.log.read_all(target)}
    done = unfinished & published
    await deps.book.finish_replays(source, sorted(done))
    return unfinished - done


def _position(text: str | None) -> Position | None:
    if not text or ":" not in text:
        return None
    partition, offset = text.split(":", 1)
    return int(partition), int(offset)


def _replay(record: StoredRecord, dataset: str, fix: str) -> HeldEvent:
    names = (
        *record.headers,
        (headers.REPLAY_OF, f"{record.partition}:{record.offset}".encode()),
        (headers.FIX, fix.encode()),
    )
    return HeldEvent(
        kind="replay", dataset=dataset, value=record.value, key=record.key, headers=names
    )
