"""The drift monitor on the real broker: every detection kind, quiet traffic, quarantine replay.

Each case produces a shipped scenario's `before` events, then its `after` events, to a topic of
its own; the real consume loop (consume_batches + drift_monitor.handle_batch, a real KafkaBus,
a SQLite store) judges them, and the alerts are read back from the alerts topic.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest
import yaml
from aiokafka import AIOKafkaProducer

from agents import drift_monitor, quarantine
from agents.edges.broker import EmbeddedBroker, ensure_topics
from agents.edges.kafka import Destinations, KafkaBus, Outgoing, consume_batches, make_consumer
from agents.edges.store import Store, open_store
from agents.edges.topic_log import KafkaTopicLog
from core.config import KafkaSettings
from core.contracts import Contract, Freshness
from core.models import DRIFT_KINDS, AlertRaised, Detection, FixApplied
from evals.loader import load_scenario
from evals.scenario import ExpectedDetection
from evals.scoring import detection_matches
from suture.demo_producer import orders
from suture.pipeline_runner import PipelineRunner
from tests.fixtures.kafka import read_topic
from tools.monitoring.dataset_monitor import DatasetMonitor
from tools.profiling.value_encoding import epoch_seconds

pytestmark = [pytest.mark.kafka, pytest.mark.integration]

SCENARIOS = Path(__file__).resolve().parents[2] / "evals" / "scenarios"
# One shipped scenario per detection kind (the kind is what the case must report).
CASES = {
    "add": "orders/orders-add-coupon-unread",
    "remove": "orders/orders-remove-discount",
    "rename": "orders/orders-rename-cust-id",
    "type_change": "orders/orders-quantity-to-string",
    "unit_change": "orders/orders-unit-total-dollars",
    "enum_new_value": "orders/orders-status-new-value",
    "nullability": "orders/orders-nullability-customer",
    "nesting": "orders/orders-nesting-shipping-city",
    "split": "clickstream/clickstream-split-page-url",
    "merge": "orders/orders-merge-date-time",
    "null_spike": "iot/iot-battery-null-spike",
    "duplicates": "orders/orders-duplicates-retries",
    "out_of_range": "iot/iot-humidity-out-of-range",
    "freshness": "orders/orders-late-events",
}


@dataclass
class Monitor:
    """A running monitor loop on one topic, and what it has seen."""

    bootstrap: str
    topic: str
    alerts_topic: str
    deps: drift_monitor.Deps
    store: Store
    handled: int = 0
    progress: asyncio.Condition | None = None

    async def until_handled(self, count: int) -> None:
        """Wait (bounded) until the loop has judged and published `count` records."""
        assert self.progress is not None
        async with asyncio.timeout(20), self.progress:
            await self.progress.wait_for(lambda: self.handled >= count)


class _SignallingBus:
    """KafkaBus that tells the test when a batch's outputs are on the broker."""

    def __init__(self, bus: KafkaBus, after: Callable[[], Awaitable[None]]) -> None:
        self._bus, self._after = bus, after

    async def publish_all(self, messages: Sequence[Outgoing]) -> None:
        await self._bus.publish_all(messages)
        await self._after()


@asynccontextmanager
async def _monitor(
    bootstrap: str, contract: Contract, topic: str, tmp_path: Path, *, idle: bool = False
) -> AsyncIterator[Monitor]:
    alerts = f"{topic}.alerts"
    await ensure_topics(bootstrap, [topic, alerts, *(topic + s for s in (".dlq", ".quarantine"))])
    store = open_store(None, tmp_path / topic)
    deps = drift_monitor.Deps(
        monitor=DatasetMonitor(contract.model_copy(update={"dataset": topic})),
        ledger=store,
        clock=_clock(),
    )
    to = Destinations(alerts=alerts, proposals=f"{topic}.incidents")
    live = Monitor(bootstrap, topic, alerts, deps, store, progress=asyncio.Condition())
    pending: list[int] = []

    async def handle(records: list[Any]) -> list[Any]:
        pending.append(len(records))
        return await drift_monitor.handle_batch(records, deps)

    async def published() -> None:
        assert live.progress is not None
        async with live.progress:
            live.handled += pending.pop(0) if pending else 0  # idle polls publish too
            live.progress.notify_all()

    consumer = make_consumer(
        bootstrap,
        [topic],
        f"test.{topic}",
        KafkaSettings(bootstrap=bootstrap),
        **EmbeddedBroker.CONSUMER_OPTIONS,
    )
    async with KafkaBus(bootstrap) as bus:
        loop = asyncio.create_task(
            consume_batches(
                consumer,
                handle,
                _SignallingBus(bus, published),
                destinations=to,
                poll_timeout_ms=50,
                on_idle=partial(drift_monitor.check_silence, deps) if idle else None,
            )
        )
        try:
            yield live
        finally:
            loop.cancel()
            with pytest.raises(asyncio.CancelledError):
                await loop
            store.close()


def _clock() -> Callable[[], float]:
    """Time as the monitor sees it: one second per batch (cool-downs never expire here)."""
    ticks = iter(range(1_000_000))
    return lambda: 1_000.0 + next(ticks)


def _arrivals_ms(events: Sequence[dict[str, Any]], event_time: str | None) -> list[int | None]:
    """When each event reaches the broker on the stream's own clock: the newest event time yet."""
    newest: float | None = None
    out: list[int | None] = []
    for event in events:
        seen = epoch_seconds(event.get(event_time)) if event_time else None
        if seen is not None:
            newest = seen if newest is None else max(newest, seen)
        out.append(None if newest is None else int(newest * 1000))
    return out


async def _produce(
    bootstrap: str, topic: str, events: Sequence[dict[str, Any]], event_time: str | None
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for event, at in zip(events, _arrivals_ms(events, event_time), strict=True):
            await producer.send(topic, orjson.dumps(event), timestamp_ms=at)
        await producer.flush()
    finally:
        await producer.stop()


async def _alerts_on_topic(live: Monitor) -> list[AlertRaised]:
    """The alerts the monitor stored, read back from the alerts topic (all of them)."""
    stored = await live.store.list_alerts(live.topic)
    records = await KafkaTopicLog(live.bootstrap).read_all(live.alerts_topic)
    read = [AlertRaised.model_validate_json(r.value) for r in records]
    assert [a.event_id for a in read] == [a.event_id for a in stored]
    return read


def _same_number(expected: float | None, actual: float | None) -> bool:
    if expected is None:
        return True
    return actual is not None and math.isclose(expected, actual, rel_tol=0.05, abs_tol=1.0)


def _found(expected: ExpectedDetection, reported: Sequence[Detection]) -> Detection | None:
    for detection in reported:
        if not detection_matches(expected, detection):
            continue
        if expected.from_ is not None and expected.from_ != detection.from_:
            continue
        if expected.value is not None and expected.value != detection.value:
            continue
        if not _same_number(expected.factor, detection.factor):
            continue
        if not _same_number(expected.seconds, detection.seconds):
            continue
        return detection
    return None


@pytest.mark.parametrize("kind", sorted(CASES))
async def test_each_kind_is_detected_live_with_its_fields(
    kind: str, kafka_bootstrap: str, unique_topic: Callable[[str], str], tmp_path: Path
) -> None:
    scenario = load_scenario(SCENARIOS / f"{CASES[kind]}.yaml")
    contract = scenario.contract
    before, after = scenario.events.before, scenario.events.after
    bootstrap = kafka_bootstrap
    async with _monitor(bootstrap, contract, unique_topic(kind), tmp_path) as live:
        await _produce(bootstrap, live.topic, before, contract.event_time)
        await live.until_handled(len(before))
        assert await _alerts_on_topic(live) == [], "conforming traffic raises nothing"
        await _produce(bootstrap, live.topic, after, contract.event_time)
        await live.until_handled(len(before) + len(after))
        alerts = await _alerts_on_topic(live)

    reported = [d for a in alerts for d in a.detections]
    wanted = [d for d in scenario.expect.detect if d.kind == kind]
    assert wanted, f"{CASES[kind]} expects no {kind}"
    for expected in wanted:
        match = _found(expected, reported)
        assert match is not None, f"{expected} not in {[d.model_dump() for d in reported]}"
        evidence = match.evidence
        # A removal shows in no event (count 0, total = events looked at); the rest in some.
        assert (evidence.count > 0 or kind == "remove") and evidence.total >= evidence.count > -1
        assert evidence.total > 0
        if kind in DRIFT_KINDS and evidence.count:  # quality evidence carries no offsets yet
            assert evidence.first_offset is not None and evidence.first_offset >= len(before)
            assert evidence.first_partition == 0
        assert match.evidence.note, "the alert says exactly what changed"
    assert all(a.dataset == live.topic for a in alerts)
    assert len({a.category for a in alerts}) == len(alerts), "one alert per category per change"


SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop" / "contracts" / "orders.yaml"


def _shop() -> Contract:
    return Contract.model_validate(yaml.safe_load(SHOP.read_text()))


def _digest(values: Sequence[bytes]) -> str:
    """A checksum of a multiset of events: sha256 over the sorted bytes."""
    return hashlib.sha256(b"\n".join(sorted(values))).hexdigest()


async def test_conforming_traffic_raises_nothing_live(
    kafka_bootstrap: str, unique_topic: Callable[[str], str], tmp_path: Path
) -> None:
    contract = _shop()
    async with _monitor(kafka_bootstrap, contract, unique_topic("quiet"), tmp_path) as live:
        for start in (0, 40, 80):
            events = list(orders(40, version=1, start=start))
            await _produce(kafka_bootstrap, live.topic, events, contract.event_time)
            await live.until_handled(start + 40)
        log = KafkaTopicLog(kafka_bootstrap)
        assert await _alerts_on_topic(live) == []
        assert await log.read_all(f"{live.topic}.quarantine") == []
        assert await log.read_all(f"{live.topic}.dlq") == []


async def test_a_flapping_producer_raises_one_alert_live(
    kafka_bootstrap: str, unique_topic: Callable[[str], str], tmp_path: Path
) -> None:
    contract = _shop()
    async with _monitor(kafka_bootstrap, contract, unique_topic("flap"), tmp_path) as live:
        for round_ in range(6):
            events = list(orders(15, version=1 + round_ % 2, start=round_ * 15))
            await _produce(kafka_bootstrap, live.topic, events, contract.event_time)
            await live.until_handled((round_ + 1) * 15)
        alerts = await _alerts_on_topic(live)

    [alert] = alerts
    assert alert.category == "drift"
    assert ("rename", "cust_id", "customer_id") in [d.identity() for d in alert.detections]


async def test_quarantined_events_are_replayed_once_with_nothing_lost_live(
    kafka_bootstrap: str, unique_topic: Callable[[str], str], tmp_path: Path
) -> None:
    contract = _shop()
    v1 = [orjson.dumps(e) for e in orders(30, version=1)]
    v2 = [orjson.dumps(e) for e in orders(20, version=2, start=30)]
    broken = b'{"order_id": "o-broken", '
    async with _monitor(kafka_bootstrap, contract, unique_topic("held"), tmp_path) as live:
        await _produce_raw(kafka_bootstrap, live.topic, v1)
        await live.until_handled(len(v1))
        await _produce_raw(kafka_bootstrap, live.topic, [*v2[:5], broken, *v2[5:]])
        await live.until_handled(len(v1) + len(v2) + 1)
        log = KafkaTopicLog(kafka_bootstrap)
        async with KafkaBus(kafka_bootstrap) as bus:
            deps, to = quarantine.Deps(log=log, book=live.store), Destinations()
            fix = FixApplied(proposal_id="p1", alert_id="a1", dataset=live.topic)
            # The agent returns the replays; the Kafka edge publishes them.
            await bus.publish_all([to.outgoing(e) for e in await quarantine.handle(fix, deps)])
            # A redelivered FixApplied replays nothing.
            assert await quarantine.handle(fix, deps) == []
        produced = await log.read_all(live.topic)
        held = await log.read_all(f"{live.topic}.quarantine")
        replayed = await log.read_all(f"{live.topic}.replay")
        dead = await log.read_all(f"{live.topic}.dlq")

    assert len(produced) == len(v1) + len(v2) + 1
    assert (len(held), len(replayed), len(dead)) == (len(v2), len(v2), 1)
    assert _digest([r.value for r in held]) == _digest(v2)
    assert _digest([r.value for r in replayed]) == _digest(v2)
    conforming = [r.value for r in produced if r.value in set(v1)]
    kept = conforming + [r.value for r in replayed] + [broken]
    assert _digest(kept) == _digest([r.value for r in produced]), "nothing lost, nothing twice"
    assert {r.header("suture-replay-of") for r in replayed} == {f"0:{r.offset}" for r in held}
    assert {r.header("suture-source-offset") for r in held} == {
        str(n) for n in range(30, 51) if n != 35
    }


async def _produce_raw(bootstrap: str, topic: str, values: Sequence[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for value in values:
            await producer.send(topic, value)
        await producer.flush()
    finally:
        await producer.stop()


async def test_replayed_events_reach_the_runner_sink_exactly_once_live(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    topic = f"shop_{uuid.uuid4().hex[:10]}"
    repo = tmp_path / "repo"
    shutil.copytree(SHOP.parents[1], repo)
    for path in [*repo.glob("models/*.sql"), *repo.glob("contracts/*.yaml")]:
        text = path.read_text().replace("from orders", f"from {topic}")
        path.write_text(text.replace("dataset: orders", f"dataset: {topic}"))
    await ensure_topics(kafka_bootstrap, [topic, f"{topic}.replay"])
    events = [orjson.dumps(e) for e in orders(30, version=1)]
    fresh = [orjson.dumps(e) for e in orders(5, version=1, start=30)]
    await _produce_raw(kafka_bootstrap, topic, events)
    # A replay carries events the pipeline may have seen already, and some it never had.
    await _produce_raw(kafka_bootstrap, f"{topic}.replay", [*events[10:20], *fresh])
    runner = PipelineRunner(
        bootstrap=kafka_bootstrap,
        topic=topic,
        repo_dir=repo,
        sink_path=tmp_path / "sink.duckdb",
        group_id=f"test.{topic}",
    )
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        async with asyncio.timeout(30):
            while runner.status.processed < 45:  # noqa: ASYNC110 (the runner sets no event)
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task

    expected = sorted(e["order_id"] for e in orders(35, version=1) if e["status"] != "cancelled")
    with duckdb.connect(str(tmp_path / "sink.duckdb"), read_only=True) as sink:
        staged = [row[0] for row in sink.execute("select order_id from stg_orders").fetchall()]
    assert sorted(staged) == expected, "every order once: replays upsert on the contract key"


async def test_a_silent_topic_raises_one_freshness_alert_from_the_idle_loop_live(
    kafka_bootstrap: str, unique_topic: Callable[[str], str], tmp_path: Path
) -> None:
    contract = _shop().model_copy(update={"freshness": Freshness(max_silence_seconds=3)})
    async with _monitor(
        kafka_bootstrap, contract, unique_topic("silent"), tmp_path, idle=True
    ) as live:
        await _produce_raw(
            kafka_bootstrap, live.topic, [orjson.dumps(e) for e in orders(5, version=1)]
        )
        await live.until_handled(5)
        # The monitor's clock advances one second per look; idle polls look every 50 ms.
        [record] = await read_topic(kafka_bootstrap, live.alerts_topic, 1)

    alert = AlertRaised.model_validate_json(record.value)
    assert (alert.category, alert.dataset) == ("quality", live.topic)
    [detection] = alert.detections
    assert detection.kind == "freshness" and detection.seconds is not None
    assert detection.seconds > 3
