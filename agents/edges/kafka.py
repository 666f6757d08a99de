"""Kafka edge: publish events, and consume loops that dead-letter bad input and commit last."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeAlias, TypeVar

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from pydantic import BaseModel, ValidationError
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential
from tenacity.wait import wait_base

from core.config import KafkaSettings
from core.errors import AssistantError, BrokerError, EventDecodeError, HandlerTimeoutError
from core.models import DeadLetter, RawMessage

logger = logging.getLogger(__name__)

In = TypeVar("In")
M = TypeVar("M", bound=BaseModel)
Headers: TypeAlias = Sequence[tuple[str, bytes]]
Record: TypeAlias = ConsumerRecord[bytes, bytes]

HEADER_REASON = "suture-reason"
HEADER_ERROR_TYPE = "suture-error-type"
HEADER_SOURCE_TOPIC = "suture-source-topic"
HEADER_SOURCE_PARTITION = "suture-source-partition"
HEADER_SOURCE_OFFSET = "suture-source-offset"
HEADER_ATTEMPTS = "suture-attempts"


def encode_event(event: BaseModel) -> bytes:
    """The wire form of an event: its JSON, with field aliases."""
    return event.model_dump_json(by_alias=True).encode()


def key_bytes(key: str | bytes | None) -> bytes | None:
    """A message key as Kafka stores it."""
    return key.encode() if isinstance(key, str) else key


def group_id_for(module: str) -> str:
    """The consumer group of an agent module: `agents.triage` -> `suture.triage`."""
    return f"suture.{module.rsplit('.', 1)[-1]}"


def json_decoder(model: type[M]) -> Callable[[bytes], M]:
    """A `Route.decode` that validates JSON bytes into `model`."""
    return model.model_validate_json


@dataclass(frozen=True)
class Outgoing:
    """One message to publish: an event (JSON-encoded on the way out) or raw bytes (sent as
    they are: quarantine, replays), its key and headers."""

    topic: str
    event: BaseModel | bytes
    key: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = ()

    @property
    def value(self) -> bytes:
        """The message's bytes on the wire."""
        return self.event if isinstance(self.event, bytes) else encode_event(self.event)


@dataclass(frozen=True)
class Outcome:
    """What processing one record produced: messages to publish, and the dead letter if any."""

    outputs: tuple[Outgoing, ...] = ()
    dead_letter: DeadLetter | None = None
    attempts: int = 0


Handler: TypeAlias = Callable[[In], Awaitable[Sequence[tuple[str, BaseModel]]]]


@dataclass(frozen=True)
class Route(Generic[In]):
    """How one topic is consumed: decode each value, run the handler, publish what it returns."""

    topic: str
    group_id: str
    decode: Callable[[bytes], In]
    handler: Handler[In]
    dead_letter_suffix: str = ".dlq"
    max_attempts: int = 3
    wait: wait_base = field(default_factory=lambda: wait_exponential(multiplier=0.5, max=10))
    timeout_s: float = 60.0


class Publisher(Protocol):
    """What the consume loops publish through: KafkaBus, or InMemoryBus in tests."""

    async def publish_all(self, messages: Sequence[Outgoing]) -> None:
        """Publish the messages in order and wait until the broker has all of them."""
        ...


class KafkaBus:
    """The EventBus on Kafka: JSON events, acks from all replicas, every send bounded in time."""

    def __init__(self, bootstrap: str, *, request_timeout_s: float = 10.0) -> None:
        self.bootstrap = bootstrap
        self.request_timeout_s = request_timeout_s
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        """Connect to the cluster."""
        producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            acks="all",
            client_id="suture",
            request_timeout_ms=int(self.request_timeout_s * 1000),
        )
        try:
            async with asyncio.timeout(self.request_timeout_s):
                await producer.start()
        except (KafkaError, TimeoutError) as error:
            await producer.stop()
            raise BrokerError(
                f"cannot connect to Kafka at {self.bootstrap!r}: {error!r}"
            ) from error
        self._producer = producer

    async def stop(self) -> None:
        """Flush what is pending and disconnect."""
        producer, self._producer = self._producer, None
        if producer is not None:
            async with asyncio.timeout(self.request_timeout_s):
                await producer.stop()

    async def __aenter__(self) -> KafkaBus:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def publish(
        self,
        topic: str,
        event: BaseModel,
        key: str | bytes | None = None,
        headers: Headers | None = None,
    ) -> None:
        """Publish one event as JSON and wait until the broker has it."""
        await self.publish_raw(topic, encode_event(event), key, headers)

    async def publish_raw(
        self,
        topic: str,
        value: bytes,
        key: str | bytes | None = None,
        headers: Headers | None = None,
    ) -> None:
        """Publish bytes as they are (quarantine, replays) and wait until the broker has them."""
        await self._send_all([(topic, value, key_bytes(key), list(headers or ()))])

    async def publish_all(self, messages: Sequence[Outgoing]) -> None:
        """Publish the messages in order and wait until the broker has all of them."""
        await self._send_all([(m.topic, m.value, m.key, list(m.headers)) for m in messages])

    async def _send_all(self, sends: list[tuple[str, bytes, bytes | None, list[Any]]]) -> None:
        if not sends:
            return
        if self._producer is None:
            raise BrokerError("KafkaBus is not started; call `await bus.start()` first")
        topics = sorted({topic for topic, *_ in sends})
        try:
            async with asyncio.timeout(self.request_timeout_s):
                # Queue everything first so the producer batches, then wait for every ack.
                futures = [
                    await self._producer.send(topic, value, key=key, headers=headers)
                    for topic, value, key, headers in sends
                ]
                await asyncio.gather(*futures)
        except (KafkaError, TimeoutError) as error:
            raise BrokerError(
                f"publishing to {topics!r} at {self.bootstrap!r} failed: {error!r}; "
                "check that the broker is up"
            ) from error


def make_consumer(
    bootstrap: str, topics: Sequence[str], group_id: str, settings: KafkaSettings, **options: Any
) -> AIOKafkaConsumer:
    """A consumer for the loops below: manual commits, from the earliest offset when new.

    `options` go to AIOKafkaConsumer as they are, e.g. EmbeddedBroker.CONSUMER_OPTIONS.
    Call it inside a running event loop.
    """
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=group_id,
        client_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        **options,
    )


def _retriable(error: BaseException) -> bool:
    return isinstance(error, AssistantError) and error.retriable


def _dead_letter(
    record: Record, route: Route[Any], error: AssistantError, attempts: int
) -> Outcome:
    reason = str(error) or type(error).__name__
    if attempts > 1:
        reason = f"gave up after {attempts} attempts: {reason}"
    letter = DeadLetter(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=None if record.key is None else record.key.decode("utf-8", errors="replace"),
        value=(record.value or b"").decode("utf-8", errors="replace"),
        reason=reason,
        error_type=type(error).__name__,
    )
    headers = (
        (HEADER_REASON, reason.encode()),
        (HEADER_ERROR_TYPE, letter.error_type.encode()),
        (HEADER_SOURCE_TOPIC, record.topic.encode()),
        (HEADER_SOURCE_PARTITION, str(record.partition).encode()),
        (HEADER_SOURCE_OFFSET, str(record.offset).encode()),
        (HEADER_ATTEMPTS, str(attempts).encode()),
    )
    logger.warning(
        "dead-lettered %s[%d]@%d: %s",
        record.topic,
        record.partition,
        record.offset,
        reason,
        extra={"topic": record.topic, "offset": record.offset, "error_type": letter.error_type},
    )
    target = record.topic + route.dead_letter_suffix
    outgoing = Outgoing(target, letter, key=record.key, headers=headers)
    return Outcome(outputs=(outgoing,), dead_letter=letter, attempts=attempts)


def _decode(record: Record, route: Route[In]) -> In:
    if record.value is None:
        raise EventDecodeError(f"{record.topic} carries a message without a value (a tombstone)")
    try:
        return route.decode(record.value)
    except (orjson.JSONDecodeError, ValidationError, UnicodeDecodeError) as error:
        raise EventDecodeError(f"not a valid event for {record.topic!r}: {error}") from error


async def process(record: Record, route: Route[In]) -> Outcome:
    """Decode and handle one record; bad input and our own errors become a dead letter.

    Retriable errors are retried (route.max_attempts, route.wait) before they are
    dead-lettered. Any other exception propagates: the loop crashes loudly and restarts.
    """
    try:
        event = _decode(record, route)
    except EventDecodeError as error:
        return _dead_letter(record, route, error, attempts=0)
    attempts = 0

    async def attempt() -> Sequence[tuple[str, BaseModel]]:
        nonlocal attempts
        attempts += 1
        scope = asyncio.timeout(route.timeout_s)
        try:
            async with scope:
                return await route.handler(event)
        except TimeoutError as error:
            if not scope.expired():
                raise
            raise HandlerTimeoutError(
                f"the handler of {route.topic!r} took longer than {route.timeout_s} s"
            ) from error

    retrying = AsyncRetrying(
        stop=stop_after_attempt(route.max_attempts),
        wait=route.wait,
        retry=retry_if_exception(_retriable),
        reraise=True,
    )
    try:
        results: Sequence[tuple[str, BaseModel]] = await retrying(attempt)
    except AssistantError as error:  # the one broad catch: every error of ours is an outcome
        return _dead_letter(record, route, error, attempts)
    outputs = tuple(Outgoing(topic, out, key=record.key) for topic, out in results)
    return Outcome(outputs=outputs, attempts=attempts)


async def _commit(
    consumer: AIOKafkaConsumer, tp: TopicPartition, offset: int, timeout_s: float
) -> None:
    async with asyncio.timeout(timeout_s):
        await consumer.commit({tp: offset})


async def _start(consumer: AIOKafkaConsumer, timeout_s: float) -> None:
    try:
        async with asyncio.timeout(timeout_s):
            await consumer.start()
    except (KafkaError, TimeoutError) as error:
        raise BrokerError(f"the consumer could not join its group: {error!r}") from error


async def _stop(consumer: AIOKafkaConsumer, timeout_s: float) -> None:
    async with asyncio.timeout(timeout_s):
        await consumer.stop()


async def consume(
    consumer: AIOKafkaConsumer,
    route: Route[Any],
    bus: Publisher,
    *,
    limit: int | None = None,
    timeout_s: float = 30.0,
) -> int:
    """Process records one at a time: publish the outcome, THEN commit offset + 1.

    Starts and stops `consumer`. Runs until cancelled, or until `limit` records were
    committed; returns how many were. Unknown exceptions propagate with nothing committed.
    """
    handled = 0
    try:
        await _start(consumer, timeout_s)
        while limit is None or handled < limit:
            record = await consumer.getone()
            outcome = await process(record, route)
            await bus.publish_all(outcome.outputs)
            tp = TopicPartition(record.topic, record.partition)
            await _commit(consumer, tp, record.offset + 1, timeout_s)
            handled += 1
    finally:
        await _stop(consumer, timeout_s)
    return handled


BatchResult: TypeAlias = tuple[str, BaseModel] | Outgoing | RawMessage
BatchHandler: TypeAlias = Callable[[list[Record]], Awaitable[Sequence[BatchResult]]]
IdleHandler: TypeAlias = Callable[[], Awaitable[Sequence[BatchResult]]]


def _outgoing(result: BatchResult) -> Outgoing:
    if isinstance(result, RawMessage):
        return Outgoing(result.topic, result.value, result.key, result.headers)
    return result if isinstance(result, Outgoing) else Outgoing(*result)


async def consume_batches(
    consumer: AIOKafkaConsumer,
    handle_batch: BatchHandler,
    bus: Publisher,
    *,
    max_records: int = 500,
    poll_timeout_ms: int = 1000,
    limit: int | None = None,
    timeout_s: float = 30.0,
    on_idle: IdleHandler | None = None,
) -> int:
    """Hand raw records to `handle_batch` one partition batch at a time, publish, then commit.

    For monitors, which judge micro-batches and must cope with bad records themselves. The
    handler returns `(topic, event)` pairs, `Outgoing` or `RawMessage` (bytes with headers).
    `on_idle`, when given, runs after each poll that brought nothing (silence checks).
    Starts and stops `consumer`; runs until cancelled or `limit` records were committed.
    """
    handled = 0
    try:
        await _start(consumer, timeout_s)
        while limit is None or handled < limit:
            batches = await consumer.getmany(timeout_ms=poll_timeout_ms, max_records=max_records)
            if not batches and on_idle is not None:
                await bus.publish_all([_outgoing(r) for r in await on_idle()])
            for tp, records in batches.items():
                results = await handle_batch(records)
                await bus.publish_all([_outgoing(r) for r in results])
                await _commit(consumer, tp, records[-1].offset + 1, timeout_s)
                handled += len(records)
    finally:
        await _stop(consumer, timeout_s)
    return handled
