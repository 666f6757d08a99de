"""`suture bench broker`: what the embedded broker's storage costs, memory against disk.

For each storage, a fresh embedded broker: `--records` records of 200 bytes are produced one
at a time, each acknowledged before the next (latency-bound, like a handler publishing its
outputs), then the same number in one burst (aiokafka batches them), then all are read back by
a consumer group that commits after each fetch. Figures are records per second, wall clock.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from agents.edges.broker import EmbeddedBroker, ensure_topics
from core.config import BrokerStorage
from core.errors import ConfigError

PARTITIONS = 2
_PAYLOAD = b"x" * 200


@dataclass(frozen=True)
class StorageFigures:
    """Records per second through one broker."""

    storage: BrokerStorage
    records: int
    one_by_one: float
    burst: float
    consume_commit: float
    start_s: float


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else 0.0


async def _produce(bootstrap: str, topic: str, records: int) -> tuple[float, float]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        started = time.perf_counter()
        for n in range(records):
            await producer.send_and_wait(topic, _PAYLOAD, partition=n % PARTITIONS)
        one_by_one = time.perf_counter() - started
        started = time.perf_counter()
        sent = [
            await producer.send(topic, _PAYLOAD, partition=n % PARTITIONS) for n in range(records)
        ]
        await asyncio.gather(*sent)
        burst = time.perf_counter() - started
    finally:
        await producer.stop()
    return one_by_one, burst


async def _consume(bootstrap: str, topic: str, expected: int) -> float:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id="bench.broker",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **EmbeddedBroker.CONSUMER_OPTIONS,
    )
    await consumer.start()
    try:
        started = time.perf_counter()
        seen = 0
        async with asyncio.timeout(300):
            while seen < expected:
                batches = await consumer.getmany(timeout_ms=1000)
                seen += sum(len(records) for records in batches.values())
                if batches:
                    await consumer.commit()
        return time.perf_counter() - started
    finally:
        await consumer.stop()


async def _measure(storage: BrokerStorage, records: int, folder: Path) -> StorageFigures:
    started = time.perf_counter()
    broker = await EmbeddedBroker(folder / storage, storage=storage).astart()
    start_s = time.perf_counter() - started
    try:
        topic = "bench.broker"
        await ensure_topics(broker.bootstrap, [topic], PARTITIONS)
        one_by_one, burst = await _produce(broker.bootstrap, topic, records)
        consume = await _consume(broker.bootstrap, topic, 2 * records)
    finally:
        await asyncio.to_thread(broker.stop)
    return StorageFigures(
        storage,
        records,
        _rate(records, one_by_one),
        _rate(records, burst),
        _rate(2 * records, consume),
        round(start_s, 2),
    )


def run_broker_bench(records: int, json_path: Path | None) -> int:
    """Measure both storages and print one line each."""
    if records < 1:
        raise ConfigError("--records must be at least 1")
    with tempfile.TemporaryDirectory(prefix="suture-bench-broker-") as folder:
        figures = [
            asyncio.run(_measure(storage, records, Path(folder))) for storage in ("memory", "disk")
        ]
    print(
        f"{'storage':<8}{'one by one/s':>14}{'burst/s':>10}{'consume+commit/s':>18}{'start s':>9}"
    )
    for f in figures:
        print(
            f"{f.storage:<8}{f.one_by_one:>14.0f}{f.burst:>10.0f}{f.consume_commit:>18.0f}"
            f"{f.start_s:>9.2f}   ({f.records} records each way)"
        )
    if json_path is not None:
        json_path.write_bytes(
            orjson.dumps([asdict(f) for f in figures], option=orjson.OPT_INDENT_2) + b"\n"
        )
    return 0
