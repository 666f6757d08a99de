"""KafkaTopicLog: reads a whole (small) topic from the start to its current end, without a group."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from agents.edges import kafka_client
from core.config import KafkaSettings
from core.errors import BrokerError
from core.models import StoredRecord


class KafkaTopicLog:
    """The TopicLog of agents/quarantine.py on Kafka: every record up to the end offsets."""

    def __init__(
        self, bootstrap: str, *, timeout_s: float = 30.0, kafka: KafkaSettings | None = None
    ) -> None:
        self.bootstrap = bootstrap
        self.timeout_s = timeout_s
        self.kafka = kafka or KafkaSettings()

    async def read_all(self, topic: str) -> list[StoredRecord]:
        """Every record of `topic`, all partitions, oldest first per partition; [] if absent."""
        consumer = kafka_client.consumer(
            self.kafka, self.bootstrap, role="topic_log", fetch_max_wait_ms=10
        )
        try:
            async with asyncio.timeout(self.timeout_s):
                await consumer.start()
                return await _drain(consumer, topic)
        except (KafkaError, TimeoutError) as error:
            raise BrokerError(
                f"reading {topic!r} at {self.bootstrap!r} failed: {error!r}; "
                "check that the broker is up"
            ) from error
        finally:
            await consumer.stop()


async def _drain(consumer: AIOKafkaConsumer, topic: str) -> list[StoredRecord]:
    """Read to the end offsets, then on until a poll brings nothing: the embedded broker (Tansu)
    reports the end of a batched produce as the last batch's base offset + 1, too early."""
    if topic not in await consumer.topics():
        return []
    partitions = [
        TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())
    ]
    if not partitions:
        return []
    consumer.assign(partitions)
    await consumer.seek_to_beginning(*partitions)
    ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
    records: list[StoredRecord] = []
    pending = {tp for tp in partitions if await consumer.position(tp) < ends[tp]}
    while True:
        batches: dict[TopicPartition, list[Any]] = await consumer.getmany(
            *partitions, timeout_ms=200 if pending else 50
        )
        for found in batches.values():
            records += [_stored(r) for r in found]
        pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
        if not pending and not batches:
            return records


def _stored(record: Any) -> StoredRecord:
    return StoredRecord(
        partition=record.partition,
        offset=record.offset,
        key=record.key,
        value=record.value or b"",
        headers=tuple((k, bytes(v)) for k, v in record.headers),
    )
