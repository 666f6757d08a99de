"""Tests of sampling a topic's newest events without a consumer group (real embedded broker)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from agents.edges.broker import ensure_topics
from agents.edges.topic_sample import sample_topic
from core.errors import ConfigError

pytestmark = pytest.mark.kafka


async def _produce(bootstrap: str, topic: str, values: list[dict[str, Any]], **send: Any) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for value in values:
            await producer.send(topic, json.dumps(value).encode(), **send)
        await producer.flush()  # batched: the embedded broker then under-reports end offsets
    finally:
        await producer.stop()


async def test_samples_the_newest_events_of_every_partition(
    kafka_bootstrap: str, unique_topic: Callable[[str], str]
) -> None:
    topic = unique_topic("sample")
    await ensure_topics(kafka_bootstrap, [topic], partitions=2)
    for partition in (0, 1):
        events = [{"n": n, "p": partition} for n in range(40)]
        await _produce(kafka_bootstrap, topic, events, partition=partition)
    sample = await sample_topic(kafka_bootstrap, topic, limit=25, timeout_s=10)
    assert sample.complete
    assert sample.partitions == 2
    assert len(sample.records) == 25
    seen = [json.loads(r.value) for r in sample.records]
    # the newest 25 by timestamp: all of partition 1's last events, none of the oldest
    assert {"n": 39, "p": 1} in seen
    assert {"n": 0, "p": 0} not in seen


async def test_samples_a_small_topic_whole(
    kafka_bootstrap: str, new_topic: Callable[..., Any]
) -> None:
    topic = await new_topic("small")
    await _produce(kafka_bootstrap, topic, [{"n": n} for n in range(5)])
    sample = await sample_topic(kafka_bootstrap, topic, limit=100, timeout_s=10)
    assert [json.loads(r.value)["n"] for r in sample.records] == [0, 1, 2, 3, 4]
    assert [r.offset for r in sample.records] == [0, 1, 2, 3, 4]


async def test_refuses_a_topic_that_does_not_exist(
    kafka_bootstrap: str, unique_topic: Callable[[str], str]
) -> None:
    with pytest.raises(ConfigError, match=r"topic 'absent\.\w+' does not exist"):
        await sample_topic(kafka_bootstrap, unique_topic("absent"), limit=10, timeout_s=5)
