"""The lag monitor against real consumer groups on the embedded broker, on both its engines: in
memory and durable (Tansu's S3 storage over suture's object store, the default)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from agents import lag_monitor
from agents.edges.broker import ensure_topics
from agents.edges.group_offsets import GroupOffsets, watch_group
from agents.edges.kafka import Destinations, KafkaBus
from agents.edges.store import Store, open_store
from core.models import AlertRaised, Detection
from tests.fixtures.kafka import session_bootstrap

pytestmark = [pytest.mark.kafka, pytest.mark.integration]

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC).timestamp()
WINDOW = 4


@pytest.fixture(params=["memory", "disk"])
def kafka_bootstrap(request: pytest.FixtureRequest) -> str:
    """Every test here (and the topics and reads it makes) runs on each engine in turn."""
    storage = request.param
    return session_bootstrap(request, storage)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A real SQLite store in the test's directory."""
    opened = open_store(None, tmp_path)
    yield opened
    opened.close()


class _Clock:
    """Fake wall time: each sample is 10 s after the previous one, whatever the real time."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


async def _produce(
    bootstrap: str, topic: str, partition: int, count: int, *, batched: bool = False
) -> None:
    """`count` events, each acknowledged before the next, or `batched` as one batch (the
    embedded broker's ListOffsets then answers the batch's base offset + 1)."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=200 if batched else 0
    )
    await producer.start()
    try:
        if batched:
            sent = [
                await producer.send(topic, b'{"n": %d}' % i, partition=partition)
                for i in range(count)
            ]
            await asyncio.gather(*sent)
            return
        for i in range(count):
            await producer.send_and_wait(topic, b'{"n": %d}' % i, partition=partition)
    finally:
        await producer.stop()


async def _commit(bootstrap: str, group: str, offsets: dict[TopicPartition, int]) -> None:
    """Commit as a real consumer of `group` does with manual assignment, then go away."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit(offsets)
    finally:
        await consumer.stop()


async def _watch(
    bootstrap: str,
    group: str,
    store: Store,
    alerts_topic: str,
    between_samples: Callable[[int], Any],
    samples: int,
) -> None:
    clock = _Clock()
    taken = 0

    async def tick() -> None:
        nonlocal taken
        taken += 1
        clock.now += 10
        await between_samples(taken)

    deps = lag_monitor.Deps(group=group, book=store, clock=clock, window=WINDOW)
    to = Destinations(alerts=alerts_topic)
    async with KafkaBus(bootstrap) as bus:
        taken = await watch_group(
            bootstrap, deps, bus, 10.0, destinations=to, tick=tick, limit=samples
        )
        assert taken == samples


@pytest.mark.parametrize("batched", [False, True], ids=["one_by_one", "batched"])
async def test_a_group_that_commits_then_stops_is_reported_stalled_on_its_partition(
    batched: bool,
    kafka_bootstrap: str,
    unique_topic: Callable[[str], str],
    new_topic: Callable[..., Any],
    read_back: Callable[..., Any],
    store: Store,
) -> None:
    topic, alerts = unique_topic("orders"), await new_topic("alerts")
    await ensure_topics(kafka_bootstrap, [topic], partitions=2)
    group = f"pipeline.{topic}"
    await _produce(kafka_bootstrap, topic, 0, 3)
    await _produce(kafka_bootstrap, topic, 1, 3)
    await _commit(
        kafka_bootstrap, group, {TopicPartition(topic, 0): 3, TopicPartition(topic, 1): 3}
    )
    drift = AlertRaised(
        source="suture.drift_monitor",
        category="drift",
        dataset=topic,
        detections=[Detection(kind="rename", field="cust_id", to="customer_id")],
        occurred_at=datetime.fromtimestamp(START + 5, UTC),
    )
    await store.save_alert(drift)

    async def producer_goes_on(_: int) -> None:
        # Partition 1 keeps receiving events; the group never commits again.
        await _produce(kafka_bootstrap, topic, 1, 2, batched=batched)

    await _watch(kafka_bootstrap, group, store, alerts, producer_goes_on, samples=WINDOW + 1)

    [record] = await read_back(alerts, 1)
    alert = AlertRaised.model_validate_json(record.value)
    assert alert.category == "lag" and alert.dataset == topic
    [detection] = alert.detections
    assert detection.status in ("STALL", "STOP") and detection.partition == 1
    assert detection.evidence.count == 2 * WINDOW  # every event counts, batched or not
    assert alert.related_alert_ids == [drift.event_id]
    assert [a.category for a in await store.list_alerts(topic)] == ["drift", "lag"]


async def test_a_group_that_keeps_up_is_ok_and_raises_no_alert(
    kafka_bootstrap: str, new_topic: Callable[..., Any], store: Store
) -> None:
    topic, alerts = await new_topic("orders"), await new_topic("alerts")
    group = f"pipeline.{topic}"
    await _produce(kafka_bootstrap, topic, 0, 3)
    await _commit(kafka_bootstrap, group, {TopicPartition(topic, 0): 2})
    committed = 2

    async def consumer_keeps_up(taken: int) -> None:
        nonlocal committed
        await _produce(kafka_bootstrap, topic, 0, 2)
        committed += 3 if taken % 2 else 1  # caught up, then one behind
        await _commit(kafka_bootstrap, group, {TopicPartition(topic, 0): committed})

    await _watch(kafka_bootstrap, group, store, alerts, consumer_keeps_up, samples=WINDOW + 3)

    assert await store.list_alerts(topic) == []
    async with GroupOffsets(kafka_bootstrap, group, topics=[topic]) as reader:
        [offsets] = await reader.read()
    assert (offsets.partition, offsets.end, offsets.committed) == (0, 3 + 2 * (WINDOW + 2), 14)


async def test_the_end_offset_of_a_partition_counts_every_record_of_a_batch(
    kafka_bootstrap: str, new_topic: Callable[..., Any]
) -> None:
    topic = await new_topic("orders")
    group = f"pipeline.{topic}"
    await _produce(kafka_bootstrap, topic, 0, 3)
    await _produce(kafka_bootstrap, topic, 0, 5, batched=True)
    await _commit(kafka_bootstrap, group, {TopicPartition(topic, 0): 4})
    async with GroupOffsets(kafka_bootstrap, group, topics=[topic]) as reader:
        [offsets] = await reader.read()
    assert (offsets.end, offsets.committed) == (8, 4)
