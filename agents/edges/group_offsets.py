"""Reads a consumer group's committed offsets and the end offsets of its partitions from Kafka.

The reader uses a consumer carrying the watched group's id but never subscribes, so it never
joins the group (no rebalance of the real consumers) and, with auto-commit off, never commits.
aiokafka's admin `list_consumer_group_offsets` would be the usual way; the embedded broker
does not answer it, while OffsetFetch through a consumer works on every Kafka. End offsets come
from `high_watermarks.end_offsets`, which counts every record on the embedded broker too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from agents import lag_monitor
from agents.edges import high_watermarks, kafka_client
from agents.edges.kafka import Destinations, Publisher
from core.config import KafkaSettings
from core.errors import BrokerError
from core.models import PartitionOffsets


class GroupOffsets:
    """`OffsetsReader` on Kafka for one consumer group; use as an async context manager."""

    def __init__(
        self,
        bootstrap: str,
        group: str,
        *,
        topics: Sequence[str] = (),
        timeout_s: float = 10.0,
        kafka: KafkaSettings | None = None,
        **options: Any,
    ) -> None:
        self.group, self._topics, self._timeout_s = group, tuple(topics), timeout_s
        self._consumer = kafka_client.consumer(
            kafka or KafkaSettings(),
            bootstrap,
            role=f"lag_monitor.{group}",
            group_id=group,
            **options,
        )

    async def __aenter__(self) -> GroupOffsets:
        try:
            async with asyncio.timeout(self._timeout_s):
                await self._consumer.start()
        except (KafkaError, TimeoutError) as error:
            await self._consumer.stop()
            raise BrokerError(
                f"the lag monitor of group {self.group!r} cannot reach Kafka: {error!r}"
            ) from error
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        async with asyncio.timeout(self._timeout_s):
            await self._consumer.stop()

    async def read(self) -> list[PartitionOffsets]:
        """Committed and end offsets of every partition of the watched topics (every topic of
        the cluster when none is given) the group has committed on."""
        try:
            async with asyncio.timeout(self._timeout_s):
                partitions = await self._partitions()
                committed = await asyncio.gather(
                    *(self._consumer.committed(tp) for tp in partitions)
                )
                mine = [tp for tp, c in zip(partitions, committed, strict=True) if c is not None]
                ends = await high_watermarks.end_offsets(self._consumer, mine)
        except (KafkaError, TimeoutError) as error:
            raise BrokerError(
                f"reading the offsets of group {self.group!r} failed: {error!r}; "
                "check that the broker is up"
            ) from error
        return [
            PartitionOffsets(topic=tp.topic, partition=tp.partition, end=ends[tp], committed=c)
            for tp, c in zip(partitions, committed, strict=True)
            if c is not None
        ]

    async def _partitions(self) -> list[TopicPartition]:
        topics = self._topics or tuple(
            sorted(t for t in await self._consumer.topics() if not t.startswith("__"))
        )
        if self._topics:
            await self._consumer.topics()  # refreshes metadata for partitions_for_topic
        return [
            TopicPartition(topic, partition)
            for topic in topics
            for partition in sorted(self._consumer.partitions_for_topic(topic) or ())
        ]


async def watch_group(
    bootstrap: str,
    deps: lag_monitor.Deps,
    publisher: Publisher,
    interval_s: float,
    *,
    destinations: Destinations,
    tick: Callable[[], Awaitable[None]] | None = None,
    limit: int | None = None,
    **options: Any,
) -> int:
    """The lag monitor's loop for `deps.group`: sample the offsets, let the monitor judge them,
    publish its alerts, wait `interval_s`; until cancelled or `limit` samples were taken."""

    async def sleep() -> None:
        await asyncio.sleep(interval_s)

    taken = 0
    async with GroupOffsets(bootstrap, deps.group, **options) as reader:
        while limit is None or taken < limit:
            alerts = await lag_monitor.handle_offsets(await reader.read(), deps)
            await publisher.publish_all(
                [destinations.outgoing(a, key=a.dataset.encode()) for a in alerts]
            )
            taken += 1
            if limit is None or taken < limit:
                await (tick or sleep)()
    return taken
