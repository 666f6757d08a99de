"""End offsets of partitions that count every record, also on the embedded broker.

On Kafka, ListOffsets 'latest' (aiokafka's `end_offsets`) is the high watermark: the offset the
next record will get. The embedded broker (Tansu 0.6) answers it with the base offset of the
partition's newest batch + 1, short of the high watermark by the rest of that batch whenever a
producer batched; the Fetch answers of both carry the true high watermark. So `end_offsets`
here asks both and keeps the larger: on Kafka the same figure (or a newer one, when records
came in between), on Tansu the right one. The Fetch starts at the listed end, so on Kafka it
returns no records, and on Tansu at most part of that one batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.protocol.fetch import FetchRequest

# Tansu answers a Fetch with max_wait 0 with no partitions at all, and ignores min_bytes 0
# (at the end of a partition it waits the whole max_wait): wait 1 ms, read 1 byte at most.
FETCH_WAIT_MS = 1
_READ_UNCOMMITTED = 0
_NO_ERROR = 0
FetchTopics = list[tuple[str, list[tuple[int, int, int]]]]


async def end_offsets(
    consumer: AIOKafkaConsumer, partitions: Sequence[TopicPartition]
) -> dict[TopicPartition, int]:
    """The high watermark of each partition (the consumer must have their metadata)."""
    if not partitions:
        return {}
    listed: dict[TopicPartition, int] = await consumer.end_offsets(list(partitions))
    fetched = await fetched_high_watermarks(consumer, listed)
    return {tp: max(listed[tp], fetched.get(tp, listed[tp])) for tp in partitions}


async def fetched_high_watermarks(
    consumer: AIOKafkaConsumer, offsets: Mapping[TopicPartition, int]
) -> dict[TopicPartition, int]:
    """The high watermark each partition's leader tells in a Fetch from `offsets[tp]`; a
    partition whose leader is unknown, or that answers with an error (no Read right on the
    topic, say), is left out."""
    client: Any = consumer._client  # aiokafka has no public call for one raw request
    by_leader: dict[int, dict[TopicPartition, int]] = {}
    for tp, offset in offsets.items():
        leader = client.cluster.leader_for_partition(tp)
        if leader is not None and leader >= 0:
            by_leader.setdefault(leader, {})[tp] = offset
    answers = await asyncio.gather(
        *(
            client.send(
                node,
                FetchRequest(FETCH_WAIT_MS, 0, 1, _READ_UNCOMMITTED, fetch_topics(wanted)),
            )
            for node, wanted in by_leader.items()
        )
    )
    return {tp: mark for answer in answers for tp, mark in high_watermarks(answer.topics).items()}


def fetch_topics(offsets: Mapping[TopicPartition, int]) -> FetchTopics:
    """The `topics` of a Fetch request reading at most 1 byte of each partition at its offset."""
    topics: dict[str, list[tuple[int, int, int]]] = {}
    for tp, offset in sorted(offsets.items()):
        topics.setdefault(tp.topic, []).append((tp.partition, offset, 1))
    return list(topics.items())


def high_watermarks(
    topics: Iterable[tuple[str, Iterable[Sequence[Any]]]],
) -> dict[TopicPartition, int]:
    """The high watermarks in a Fetch answer's `topics`, for partitions answered without error
    (every version lays a partition out as index, error code, high watermark, ...)."""
    return {
        TopicPartition(topic, partition[0]): partition[2]
        for topic, partitions in topics
        for partition in partitions
        if partition[1] == _NO_ERROR and partition[2] >= 0
    }
