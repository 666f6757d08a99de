"""The Kafka edge: the bus contract (fake and real), process(), and the consume loops."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from pydantic import BaseModel, ConfigDict
from tenacity import wait_none

from agents.edges.broker import EmbeddedBroker
from agents.edges.bus_fake import InMemoryBus, Published
from agents.edges.kafka import (
    Destinations,
    KafkaBus,
    Outgoing,
    Route,
    consume,
    consume_batches,
    group_id_for,
    json_decoder,
    make_consumer,
    process,
)
from core import headers
from core.config import KafkaSettings
from core.errors import (
    BrokerError,
    ContractError,
    EventDecodeError,
    HandlerTimeoutError,
    LLMUnavailableError,
)
from core.models import EVENT_ADAPTER, AlertRaised, DeadLetter, Detection

Record: TypeAlias = ConsumerRecord[bytes, bytes]
MakeTopic = Callable[..., Awaitable[str]]
ReadBack = Callable[[str, int], Awaitable[list[Record]]]


class Ping(BaseModel):
    """A test input event."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    n: int


class Pong(BaseModel):
    """A test output event."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    n: int


def _record(value: bytes | None, *, key: bytes | None = b"k", offset: int = 7) -> Record:
    return ConsumerRecord(
        topic="in", partition=0, offset=offset, timestamp=0, timestamp_type=0, key=key,
        value=value, checksum=None, serialized_key_size=1, serialized_value_size=1, headers=[],
    )  # fmt: skip


OUT = Destinations(others={Pong: "out"})


def _route(handler: Callable[[Ping], Awaitable[Sequence[BaseModel]]], **kw: Any) -> Route[Ping]:
    options: dict[str, Any] = {"wait": wait_none(), "destinations": OUT, **kw}
    return Route("in", json_decoder(Ping), handler, **options)


def _alert() -> AlertRaised:
    detection = Detection(kind="rename", field="ts", to="event_time", from_="ts")
    return AlertRaised(source="test", category="drift", dataset="orders", detections=[detection])


def _headers(record: Record | Published) -> dict[str, bytes]:
    return dict(record.headers)


# --- the bus contract: one class, run against the fake and the real broker ------------------


@dataclass(frozen=True)
class BusUnderTest:
    """A bus, a topic to publish to, and a way to read back what reached the topic."""

    bus: InMemoryBus | KafkaBus
    topic: str
    read: Callable[[int], Awaitable[list[Published]]]


@pytest.fixture(params=["memory", pytest.param("kafka", marks=pytest.mark.kafka)])
async def bus_under_test(request: pytest.FixtureRequest) -> AsyncIterator[BusUnderTest]:
    """The same contract, against InMemoryBus and against KafkaBus on the real broker."""
    if request.param == "memory":
        memory = InMemoryBus()

        async def read_memory(count: int) -> list[Published]:
            return memory.on("contract")[:count]

        yield BusUnderTest(memory, "contract", read_memory)
        return
    read_back: ReadBack = request.getfixturevalue("read_back")
    new_topic: MakeTopic = request.getfixturevalue("new_topic")
    topic = await new_topic("contract")

    async def read_kafka(count: int) -> list[Published]:
        records = await read_back(topic, count)
        return [Published(r.topic, r.key, r.value or b"", tuple(r.headers)) for r in records]

    async with KafkaBus(request.getfixturevalue("kafka_bootstrap")) as kafka:
        yield BusUnderTest(kafka, topic, read_kafka)


class TestBusContract:
    """Whatever the bus, a consumer sees the same bytes, keys, headers and order."""

    async def test_publishes_events_as_json_with_aliases_key_and_headers(
        self, bus_under_test: BusUnderTest
    ) -> None:
        bus, topic, read = bus_under_test.bus, bus_under_test.topic, bus_under_test.read
        alert = _alert()
        await bus.publish(topic, alert, key="orders", headers=[("trace", b"42")])
        [message] = await read(1)
        assert message.key == b"orders"
        assert _headers(message) == {"trace": b"42"}
        assert orjson.loads(message.value)["detections"][0]["from"] == "ts"
        assert EVENT_ADAPTER.validate_json(message.value) == alert

    async def test_publish_raw_keeps_bytes_as_they_are(self, bus_under_test: BusUnderTest) -> None:
        bus, topic, read = bus_under_test.bus, bus_under_test.topic, bus_under_test.read
        await bus.publish_raw(topic, b"\xff{not json", key=b"\x00bin")
        [message] = await read(1)
        assert (message.value, message.key, message.headers) == (b"\xff{not json", b"\x00bin", ())

    async def test_publish_all_keeps_order(self, bus_under_test: BusUnderTest) -> None:
        bus, topic, read = bus_under_test.bus, bus_under_test.topic, bus_under_test.read
        await bus.publish_all([Outgoing(topic, Pong(n=n), key=b"same") for n in range(5)])
        await bus.publish_all([])
        messages = await read(5)
        assert [Pong.model_validate_json(m.value).n for m in messages] == [0, 1, 2, 3, 4]


async def test_kafka_bus_must_be_started_before_publishing() -> None:
    with pytest.raises(BrokerError, match="not started"):
        await KafkaBus("127.0.0.1:9").publish("t", Pong(n=1))


@pytest.mark.kafka
async def test_kafka_bus_explains_a_broker_that_is_gone(tmp_path: Path) -> None:
    with EmbeddedBroker(tmp_path) as broker:
        bus = KafkaBus(broker.bootstrap, request_timeout_s=1)
        await bus.start()
    try:
        with pytest.raises(BrokerError, match="check that the broker is up"):
            await bus.publish("gone", Pong(n=1))
    finally:
        await bus.stop()
    with pytest.raises(BrokerError, match=r"cannot reach Kafka at .* the broker is up"):
        await KafkaBus(bus.bootstrap, request_timeout_s=1).start()


async def test_in_memory_bus_raises_its_failure_and_records_nothing() -> None:
    bus = InMemoryBus()
    bus.failure = BrokerError("down")
    with pytest.raises(BrokerError, match="down"):
        await bus.publish_all([Outgoing("t", Pong(n=1))])
    assert bus.published == []


# --- process(): pure, no broker ---------------------------------------------------------------


async def _pong(event: Ping) -> list[BaseModel]:
    return [Pong(n=event.n)]


async def test_handles_a_good_record_keeping_its_key() -> None:
    outcome = await process(_record(b'{"n": 3}'), _route(_pong))
    assert outcome.dead_letter is None and outcome.attempts == 1
    assert outcome.outputs == (Outgoing("out", Pong(n=3), key=b"k"),)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [(b"{not json", "not a valid event"), (b'{"n": "x"}', "n"), (None, "tombstone")],
)
async def test_dead_letters_undecodable_message(value: bytes | None, fragment: str) -> None:
    outcome = await process(_record(value), _route(_pong))
    [dead] = outcome.outputs
    letter = outcome.dead_letter
    assert isinstance(letter, DeadLetter) and dead.event == letter
    assert dead.topic == "in.dlq" and dead.key == b"k"
    assert letter.error_type == "EventDecodeError" and fragment in letter.reason
    assert (letter.topic, letter.partition, letter.offset) == ("in", 0, 7)
    assert letter.value == (value or b"").decode("utf-8", errors="replace")
    assert _headers(dead)[headers.REASON] == letter.reason.encode()
    assert _headers(dead)[headers.SOURCE_OFFSET] == b"7"


async def test_dead_letters_a_permanent_error_without_retrying() -> None:
    calls: list[int] = []

    async def bad(event: Ping) -> list[BaseModel]:
        calls.append(event.n)
        raise ContractError("contract for 'in' is broken; fix the file")

    outcome = await process(
        _record(b'{"n": 1}'), _route(bad, destinations=Destinations(dead_letter_suffix=".dead"))
    )
    assert calls == [1]
    assert outcome.outputs[0].topic == "in.dead"
    assert outcome.dead_letter is not None and outcome.dead_letter.error_type == "ContractError"
    assert outcome.dead_letter.reason == "contract for 'in' is broken; fix the file"


async def test_retries_a_retriable_error_until_it_succeeds() -> None:
    failures = [LLMUnavailableError("429"), LLMUnavailableError("503")]

    async def flaky(event: Ping) -> list[BaseModel]:
        if failures:
            raise failures.pop(0)
        return await _pong(event)

    outcome = await process(_record(b'{"n": 2}'), _route(flaky, max_attempts=3))
    assert outcome.attempts == 3 and outcome.dead_letter is None
    assert [o.event for o in outcome.outputs] == [Pong(n=2)]


async def test_dead_letters_a_retriable_error_when_retries_run_out() -> None:
    calls: list[int] = []

    async def down(event: Ping) -> list[BaseModel]:
        calls.append(event.n)
        raise LLMUnavailableError("model endpoint timed out")

    outcome = await process(_record(b'{"n": 5}'), _route(down, max_attempts=4))
    assert calls == [5, 5, 5, 5] and outcome.attempts == 4
    assert outcome.dead_letter is not None
    assert outcome.dead_letter.reason == "gave up after 4 attempts: model endpoint timed out"
    assert _headers(outcome.outputs[0])[headers.ERROR_TYPE] == b"LLMUnavailableError"


async def test_dead_letters_a_handler_that_keeps_timing_out() -> None:
    never = asyncio.Event()

    async def stuck(event: Ping) -> list[BaseModel]:
        await never.wait()
        return []

    outcome = await process(_record(b'{"n": 1}'), _route(stuck, max_attempts=2, timeout_s=0.01))
    assert outcome.dead_letter is not None and outcome.attempts == 2
    assert outcome.dead_letter.error_type == HandlerTimeoutError.__name__


async def test_a_handler_that_keeps_crashing_is_dead_lettered_after_its_attempts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[int] = []

    async def broken(event: Ping) -> list[BaseModel]:
        calls.append(event.n)
        raise KeyError("a bug")

    outcome = await process(_record(b'{"n": 1}'), _route(broken, max_attempts=3))
    assert calls == [1, 1, 1] and outcome.attempts == 3
    assert outcome.dead_letter is not None
    assert outcome.dead_letter.reason == (
        "gave up after 3 attempts: the handler crashed: KeyError: 'a bug'"
    )
    assert outcome.dead_letter.error_type == "KeyError"
    assert outcome.dead_letter.payload() == b'{"n": 1}'
    assert "crashed on in[0]@7 after 3 attempts" in caplog.text


async def test_a_crash_that_passes_is_not_a_dead_letter() -> None:
    calls = 0

    async def flaky(event: Ping) -> list[BaseModel]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionResetError("blip")
        return [Pong(n=event.n)]

    outcome = await process(_record(b'{"n": 4}'), _route(flaky))
    assert outcome.dead_letter is None and outcome.attempts == 2
    assert [m.event for m in outcome.outputs] == [Pong(n=4)]


async def test_a_dead_letter_keeps_bytes_that_are_not_utf8_exactly() -> None:
    outcome = await process(_record(b"\xff\xfe{"), _route(_pong))
    assert outcome.dead_letter is not None and outcome.dead_letter.encoding == "base64"
    assert outcome.dead_letter.payload() == b"\xff\xfe{"


def test_group_id_is_suture_dot_agent_module() -> None:
    assert group_id_for("agents.triage") == "suture.triage"


# --- the consume loops, on the real broker ----------------------------------------------------


async def _committed(bootstrap: str, group: str, topic: str) -> int | None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await consumer.start()
    try:
        async with asyncio.timeout(10):
            offset: int | None = await consumer.committed(TopicPartition(topic, 0))
            return offset
    finally:
        await consumer.stop()


@pytest.fixture
async def kafka_bus(kafka_bootstrap: str) -> AsyncIterator[KafkaBus]:
    """A started KafkaBus on the session's broker."""
    async with KafkaBus(kafka_bootstrap) as bus:
        yield bus


def _consumer(
    settings: KafkaSettings, topic: str, group: str, options: Mapping[str, int]
) -> AIOKafkaConsumer:
    assert settings.bootstrap is not None
    return make_consumer(settings.bootstrap, [topic], group, settings, **options)


@pytest.mark.kafka
async def test_consumes_publishes_outputs_and_commits_each_record(
    kafka_bus: KafkaBus,
    kafka_settings: KafkaSettings,
    consumer_options: Mapping[str, int],
    new_topic: MakeTopic,
    read_back: ReadBack,
) -> None:
    source, target = await new_topic("in"), await new_topic("out")
    for n in (1, 2):
        await kafka_bus.publish(source, Ping(n=n), key=f"key{n}")

    async def double(event: Ping) -> list[BaseModel]:
        return [Pong(n=event.n * 2)]

    to = Destinations(others={Pong: target})
    route = Route(source, json_decoder(Ping), double, to, wait=wait_none())
    consumer = _consumer(kafka_settings, source, "suture.roundtrip", consumer_options)
    assert await consume(consumer, route, kafka_bus, limit=2) == 2
    outputs = await read_back(target, 2)
    assert [(r.key, Pong.model_validate_json(r.value or b"")) for r in outputs] == [
        (b"key1", Pong(n=2)),
        (b"key2", Pong(n=4)),
    ]
    assert await _committed(kafka_settings.bootstrap or "", "suture.roundtrip", source) == 2


@pytest.mark.kafka
async def test_a_poison_event_is_dead_lettered_and_the_next_event_is_handled(
    kafka_bus: KafkaBus,
    kafka_settings: KafkaSettings,
    consumer_options: Mapping[str, int],
    new_topic: MakeTopic,
    read_back: ReadBack,
) -> None:
    source = await new_topic("poison")
    for n in (9, 10):
        await kafka_bus.publish(source, Ping(n=n))
    seen: list[int] = []

    async def choke_on_nine(event: Ping) -> list[BaseModel]:
        seen.append(event.n)
        if event.n == 9:
            raise RuntimeError(f"bug on {event.n}")
        return []

    group = "suture.poison"
    route = Route(source, json_decoder(Ping), choke_on_nine, OUT, wait=wait_none())
    consumer = _consumer(kafka_settings, source, group, consumer_options)
    assert await consume(consumer, route, kafka_bus, limit=2) == 2
    assert seen == [9, 9, 9, 10]
    [letter] = await read_back(source + ".dlq", 1)
    dead = DeadLetter.model_validate_json(letter.value or b"")
    assert dead.offset == 0 and "RuntimeError: bug on 9" in dead.reason
    assert Ping.model_validate_json(dead.payload()) == Ping(n=9)
    assert await _committed(kafka_settings.bootstrap or "", group, source) == 2


@pytest.mark.kafka
async def test_a_failed_publish_leaves_the_offset_uncommitted(
    kafka_bus: KafkaBus,
    kafka_settings: KafkaSettings,
    consumer_options: Mapping[str, int],
    new_topic: MakeTopic,
) -> None:
    source = await new_topic("nopublish")
    await kafka_bus.publish(source, Ping(n=1))
    down = InMemoryBus()
    down.failure = BrokerError("broker is down")
    group = "suture.nopublish"
    route = Route(source, json_decoder(Ping), _pong, OUT)
    with pytest.raises(BrokerError, match="broker is down"):
        await consume(_consumer(kafka_settings, source, group, consumer_options), route, down)
    assert await _committed(kafka_settings.bootstrap or "", group, source) is None


@pytest.mark.kafka
async def test_a_bad_message_is_dead_lettered_and_never_stalls_the_partition(
    kafka_bus: KafkaBus,
    kafka_settings: KafkaSettings,
    consumer_options: Mapping[str, int],
    new_topic: MakeTopic,
    read_back: ReadBack,
) -> None:
    source = await new_topic("orders")
    await kafka_bus.publish_raw(source, b'{"n": oops', key=b"bad")
    await kafka_bus.publish(source, Ping(n=4), key="good")
    handled: list[int] = []

    async def keep(event: Ping) -> list[BaseModel]:
        handled.append(event.n)
        return []

    route, group = Route(source, json_decoder(Ping), keep, OUT), "suture.badmessage"
    consumer = _consumer(kafka_settings, source, group, consumer_options)
    assert await consume(consumer, route, kafka_bus, limit=2) == 2
    assert handled == [4]
    [dead] = await read_back(source + ".dlq", 1)
    letter = DeadLetter.model_validate_json(dead.value or b"")
    assert (letter.topic, letter.offset, letter.value) == (source, 0, '{"n": oops')
    assert letter.error_type == EventDecodeError.__name__
    assert dead.key == b"bad" and _headers(dead)[headers.REASON] == letter.reason.encode()
    assert await _committed(kafka_settings.bootstrap or "", group, source) == 2


@pytest.mark.kafka
async def test_a_retriable_error_is_retried_then_dead_lettered_and_committed(
    kafka_bus: KafkaBus,
    kafka_settings: KafkaSettings,
    consumer_options: Mapping[str, int],
    new_topic: MakeTopic,
    read_back: ReadBack,
) -> None:
    source = await new_topic("retry")
    await kafka_bus.publish(source, Ping(n=3))
    calls: list[int] = []

    async def unavailable(event: Ping) -> list[BaseModel]:
        calls.append(event.n)
        raise LLMUnavailableError("429 too many requests")

    route = Route(source, json_decoder(Ping), unavailable, OUT, wait=wait_none())
    group = "suture.retry"
    consumer = _consumer(kafka_settings, source, group, consumer_options)
    assert await consume(consumer, route, kafka_bus, limit=1) == 1
    assert calls == [3, 3, 3]
    [dead] = await read_back(source + ".dlq", 1)
    letter = DeadLetter.model_validate_json(dead.value or b"")
    assert letter.reason == "gave up after 3 attempts: 429 too many requests"
    assert await _committed(kafka_settings.bootstrap or "", group, source) == 1


@pytest.mark.kafka
async def test_consume_batches_hands_partition_batches_and_commits_after_each(
    kafka_bus: KafkaBus,
    kafka_settings: KafkaSettings,
    consumer_options: Mapping[str, int],
    new_topic: MakeTopic,
    read_back: ReadBack,
) -> None:
    source, alerts = await new_topic("data"), await new_topic("alerts")
    await kafka_bus.publish_all([Outgoing(source, Ping(n=n)) for n in range(6)])
    await kafka_bus.publish_raw(source, b"not json at all")
    batches: list[list[int]] = []

    async def monitor(records: list[Record]) -> list[BaseModel]:
        batches.append([r.offset for r in records])
        return [Pong(n=len(records))]

    group = "suture.monitor"
    consumer = _consumer(kafka_settings, source, group, consumer_options)
    assert (
        await consume_batches(
            consumer,
            monitor,
            kafka_bus,
            destinations=Destinations(others={Pong: alerts}),
            max_records=4,
            limit=7,
        )
        == 7
    )
    assert [offset for batch in batches for offset in batch] == list(range(7))
    assert all(1 <= len(batch) <= 4 for batch in batches)
    sizes = [
        Pong.model_validate_json(r.value or b"").n for r in await read_back(alerts, len(batches))
    ]
    assert sizes == [len(batch) for batch in batches]
    assert await _committed(kafka_settings.bootstrap or "", group, source) == 7
