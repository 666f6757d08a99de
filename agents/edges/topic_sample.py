"""sample_topic: up to N recent events of a Kafka topic, read without joining a consumer group.

Each partition is read from `limit` records before its end offset; the newest `limit` records
over all partitions (by timestamp, then offset) are kept. Reading stops at the end offsets seen
at the start, or when the time is up (the sample then says it is incomplete). Records past the
end offset in the last fetched batch are kept, because some brokers (the embedded Tansu)
report the end of a batched produce as the last batch's base offset + 1.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from pydantic import BaseModel, ConfigDict, Field

from agents.edges import kafka_client
from core.config import KafkaSettings
from core.errors import BrokerError, ConfigError

CONNECT_TIMEOUT_S = 10.0


class SampledRecord(BaseModel):
    """One record read from the topic."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    partition: int
    offset: int
    timestamp_ms: int
    value: bytes


class TopicSample(BaseModel):
    """The records sampled from one topic, oldest first."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    topic: str
    partitions: int
    records: list[SampledRecord] = Field(default_factory=list)
    complete: bool = Field(description="False when the time ran out before the end offsets.")


async def sample_topic(
    bootstrap: str,
    topic: str,
    *,
    limit: int = 500,
    timeout_s: float = 10.0,
    kafka: KafkaSettings | None = None,
) -> TopicSample:
    """Up to `limit` of the newest records of `topic`, read within about `timeout_s` seconds."""
    if limit < 1:
        raise ConfigError(f"the sample size must be at least 1, got {limit}")
    consumer = kafka_client.consumer(
        kafka or KafkaSettings(), bootstrap, role="sample", group_id=None, fetch_max_wait_ms=10
    )
    deadline = time.monotonic() + timeout_s
    try:
        async with asyncio.timeout(min(timeout_s, CONNECT_TIMEOUT_S)):
            await consumer.start()
            partitions, ends = await _position(consumer, topic, limit)
        records, complete = await _read(consumer, ends, deadline)
    except (KafkaError, TimeoutError) as error:
        raise BrokerError(
            f"cannot read topic {topic!r} at {bootstrap!r}: {error!r}; "
            "check that the broker is up and the address is right"
        ) from error
    finally:
        await consumer.stop()
    records.sort(key=lambda r: (r.timestamp_ms, r.partition, r.offset))
    return TopicSample(
        topic=topic, partitions=len(partitions), records=records[-limit:], complete=complete
    )


async def _position(
    consumer: AIOKafkaConsumer, topic: str, limit: int
) -> tuple[list[TopicPartition], dict[TopicPartition, int]]:
    """Assign every partition and seek each to `limit` records before its end."""
    known = await consumer.topics()
    if topic not in known:
        nearby = sorted(t for t in known if not t.startswith("__"))[:20]
        raise ConfigError(f"topic {topic!r} does not exist; topics on the broker: {nearby}")
    partitions = [
        TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())
    ]
    consumer.assign(partitions)
    begins: dict[TopicPartition, int] = await consumer.beginning_offsets(partitions)
    ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
    for tp in partitions:
        consumer.seek(tp, max(begins[tp], ends[tp] - limit))
    return partitions, ends


async def _read(
    consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int], deadline: float
) -> tuple[list[SampledRecord], bool]:
    """Records up to the end offsets; False as the second value if the deadline came first."""
    records: list[SampledRecord] = []
    pending = {tp for tp in ends if await consumer.position(tp) < ends[tp]}
    while pending:
        left = deadline - time.monotonic()
        if left <= 0:
            return records, False
        wait_ms = int(min(left, 0.2) * 1000) or 1
        batches: dict[TopicPartition, list[Any]] = await consumer.getmany(
            *pending, timeout_ms=wait_ms
        )
        for found in batches.values():
            records += [_sampled(r) for r in found]
        pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
    return records, True


def _sampled(record: Any) -> SampledRecord:
    return SampledRecord(
        partition=record.partition,
        offset=record.offset,
        timestamp_ms=record.timestamp,
        value=record.value or b"",
    )
