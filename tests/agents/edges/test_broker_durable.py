"""The embedded broker with its log on disk: killed and started again, it has the same address,
topics, records and committed offsets; in memory it has none of them."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from agents.edges.broker import EmbeddedBroker, aresolve_bootstrap, ensure_topics
from core.config import Settings
from core.errors import BrokerError

pytestmark = pytest.mark.kafka
TOPIC = "durable.records"
GROUP = "durable.group"


async def _produce(bootstrap: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for n, value in enumerate(values):
            await producer.send_and_wait(TOPIC, value, partition=n % 2)
    finally:
        await producer.stop()


async def _read_all(bootstrap: str, count: int) -> list[tuple[int, int, bytes]]:
    """(partition, offset, value) of the first `count` records, read without a group."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, auto_offset_reset="earliest", fetch_max_wait_ms=10
    )
    await consumer.start()
    try:
        consumer.assign([TopicPartition(TOPIC, 0), TopicPartition(TOPIC, 1)])
        found: list[tuple[int, int, bytes]] = []
        async with asyncio.timeout(30):
            while len(found) < count:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    found += [(r.partition, r.offset, r.value or b"") for r in records]
        return sorted(found)
    finally:
        await consumer.stop()


def _group(bootstrap: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        TOPIC,
        bootstrap_servers=bootstrap,
        group_id=GROUP,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **EmbeddedBroker.CONSUMER_OPTIONS,
    )


async def _commit(bootstrap: str, offsets: dict[int, int]) -> None:
    consumer = _group(bootstrap)
    await consumer.start()
    try:
        async with asyncio.timeout(30):
            while not consumer.assignment():  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            await consumer.commit({TopicPartition(TOPIC, p): o for p, o in offsets.items()})
    finally:
        await consumer.stop()


async def _rest_of_group(bootstrap: str, count: int) -> tuple[dict[int, int | None], list[bytes]]:
    """The group's committed offsets, and the next `count` values it reads from them."""
    consumer = _group(bootstrap)
    await consumer.start()
    try:
        async with asyncio.timeout(30):
            while not consumer.assignment():  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            committed = {p: await consumer.committed(TopicPartition(TOPIC, p)) for p in (0, 1)}
            values: list[bytes] = []
            while len(values) < count:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    values += [r.value or b"" for r in records]
        return committed, values
    finally:
        await consumer.stop()


async def _ends(bootstrap: str, topic: str = TOPIC) -> dict[int, tuple[int, int]]:
    """(earliest, latest) offset of each partition of `topic`, as ListOffsets answers them."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        begins = await consumer.beginning_offsets(partitions)
        ends = await consumer.end_offsets(partitions)
        return {tp.partition: (begins[tp], ends[tp]) for tp in partitions}
    finally:
        await consumer.stop()


async def test_the_durable_broker_lists_the_end_of_records_written_within_one_second(
    durable_broker: EmbeddedBroker,
) -> None:
    # Tansu's S3 engine answers 'latest' from the batch object listed with the newest
    # LastModified; with whole seconds (as S3 gives), it answered 1 here instead of 25.
    bootstrap, topic = durable_broker.bootstrap, f"durable.ends.{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [topic], partitions=1)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for n in range(25):
            await producer.send_and_wait(topic, b"%d" % n, partition=0)
    finally:
        await producer.stop()
    assert await _ends(bootstrap, topic) == {0: (0, 25)}
    latest = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="latest")
    await latest.start()
    try:  # a consumer that starts at the end reads only what comes after it
        latest.assign([TopicPartition(topic, 0)])
        assert await latest.position(TopicPartition(topic, 0)) == 25
    finally:
        await latest.stop()


async def test_a_broker_killed_and_started_again_has_its_records_and_committed_offsets(
    tmp_path: Path,
) -> None:
    broker = await EmbeddedBroker(tmp_path).astart()
    try:
        bootstrap = broker.bootstrap
        await ensure_topics(bootstrap, [TOPIC], partitions=2)
        sent = [f"record {n}".encode() for n in range(30)]
        await _produce(bootstrap, sent)
        await _commit(bootstrap, {0: 10, 1: 5})
        before = await _read_all(bootstrap, 30)
        broker.kill()  # the broker and its object store, by SIGKILL
        await broker.astart()
        assert broker.bootstrap == bootstrap, "a restarted broker keeps its address"
        assert await _read_all(bootstrap, 30) == before
        assert await _ends(bootstrap) == {0: (0, 15), 1: (0, 15)}
        committed, rest = await _rest_of_group(bootstrap, 15)
        assert committed == {0: 10, 1: 5}
        assert sorted(rest) == sorted(sent[20::2] + sent[11::2])
        await _produce(bootstrap, [b"after 0", b"after 1"])  # new records follow the old ones
        after = await _read_all(bootstrap, 32)
        assert after[:15] == before[:15] and (0, 15, b"after 0") in after
        assert (1, 15, b"after 1") in after
        assert await _ends(bootstrap) == {0: (0, 16), 1: (0, 16)}
    finally:
        broker.stop()


async def test_a_broker_in_memory_forgets_its_topics_when_started_again(tmp_path: Path) -> None:
    broker = await EmbeddedBroker(tmp_path, storage="memory").astart()
    try:
        await ensure_topics(broker.bootstrap, [TOPIC], partitions=2)
        await _produce(broker.bootstrap, [b"gone"])
        broker.kill()
        await broker.astart()
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap)
        await producer.start()
        try:
            await producer.client.force_metadata_update()
            assert TOPIC not in producer.client.cluster.topics()
        finally:
            await producer.stop()
    finally:
        broker.stop()
    assert broker.data_dir is None and not (tmp_path / "data").exists()


async def test_a_taken_port_is_never_handed_to_the_broker(tmp_path: Path) -> None:
    with EmbeddedBroker(tmp_path / "first") as first:
        address = first.bootstrap
        taken = int(address.rsplit(":", 1)[1])
        (tmp_path / "second").mkdir()
        (tmp_path / "second" / "broker.port").write_text(f"{taken}\n")
        async with EmbeddedBroker(tmp_path / "second") as second:
            assert second.bootstrap != address  # its old port is in use: another one
        with pytest.raises(BrokerError, match=f"port {taken} of the embedded broker is in use"):
            await EmbeddedBroker(tmp_path / "third", port=taken).astart()
    async with EmbeddedBroker(tmp_path / "fourth", port=taken) as fourth:
        assert fourth.bootstrap == address  # free again: the fixed port is used


async def test_a_broker_whose_object_store_cannot_start_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("a file where the bucket folder goes")
    with pytest.raises(BrokerError, match=r"object store did not start(.|\n)*embedded_storage"):
        await EmbeddedBroker(tmp_path).astart()
    assert not (tmp_path / "broker.pid").exists() and not (tmp_path / "object-store.pid").exists()


async def test_resolve_bootstrap_keeps_the_log_where_the_settings_say(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUTURE_KAFKA_EMBEDDED_STORAGE", "memory")
    assert Settings().kafka.embedded_storage == "memory"
    _, broker = await aresolve_bootstrap(None, tmp_path / "memory", "memory")
    assert broker is not None
    broker.stop()
    _, broker = await aresolve_bootstrap(None, tmp_path / "disk")
    assert broker is not None
    broker.stop()
    assert not (tmp_path / "memory" / "broker" / "data").exists()
    assert (tmp_path / "disk" / "broker" / "data" / "tansu").is_dir()
