"""Kafka edge: publish events, and consume loops that dead-letter bad input and commit last."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeAlias, TypeVar

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaError,
    MessageSizeTooLargeError,
    RecordTooLargeError,
)
from pydantic import BaseModel, ValidationError
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential
from tenacity.wait import wait_base

from agents.edges import kafka_client
from core import headers
from core.config import KafkaSettings
from core.errors import (
    AssistantError,
    BrokerError,
    EventDecodeError,
    HandlerTimeoutError,
)
from core.errors import RecordTooLargeError as RecordTooLargeBrokerError
from core.models import (
    AlertRaised,
    DeadLetter,
    FixApplied,
    FixApproved,
    FixProposed,
    HeldEvent,
    IncidentEscalated,
)

logger = logging.getLogger(__name__)

In = TypeVar("In")
M = TypeVar("M", bound=BaseModel)
Headers: TypeAlias = Sequence[tuple[str, bytes]]
Record: TypeAlias = ConsumerRecord[bytes, bytes]


@dataclass(frozen=True)
class Destinations:
    """The topic each kind of event is published to: the one place topic names are decided.

    Agents return events and never name a topic; the consume loops ask this table where each
    event goes.
    """

    alerts: str = "suture.alerts"
    proposals: str = "suture.proposals"
    approvals: str = "suture.approvals"
    applied: str = "suture.applied"
    dead_letter_suffix: str = ".dlq"
    quarantine_suffix: str = ".quarantine"
    replay_suffix: str = ".replay"
    others: Mapping[type[BaseModel], str] = field(default_factory=dict)  # events of no agent's

    @classmethod
    def from_settings(cls, kafka: KafkaSettings) -> Destinations:
        """The table for these settings."""
        return cls(
            alerts=kafka.alerts_topic,
            proposals=kafka.proposals_topic,
            approvals=kafka.approvals_topic,
            applied=kafka.applied_topic,
            dead_letter_suffix=kafka.dead_letter_suffix,
            quarantine_suffix=kafka.quarantine_suffix,
            replay_suffix=kafka.replay_suffix,
        )

    def topic_for(self, event: BaseModel) -> str:
        """Where `event` is published.

        >>> letter = DeadLetter(topic="orders", value="x", reason="bad", error_type="X")
        >>> Destinations().topic_for(letter)
        'orders.dlq'
        """
        if type(event) in self.others:
            return self.others[type(event)]
        match event:
            case AlertRaised():
                return self.alerts
            case FixProposed() | IncidentEscalated():
                return self.proposals
            case FixApproved():
                return self.approvals
            case FixApplied():
                return self.applied
            case DeadLetter():
                return event.topic + self.dead_letter_suffix
            case HeldEvent(kind="quarantine"):
                return event.dataset + self.quarantine_suffix
            case HeldEvent():
                return event.dataset + self.replay_suffix
        raise TypeError(f"no topic is known for {type(event).__name__}; add it to Destinations")

    def outgoing(self, event: BaseModel, key: bytes | None = None) -> Outgoing:
        """The message that carries `event`: held events keep their bytes, key and headers."""
        if isinstance(event, HeldEvent):
            return Outgoing(self.topic_for(event), event.value, event.key, event.headers)
        return Outgoing(self.topic_for(event), event, key)

    def dataset_topics(self, dataset: str) -> list[str]:
        """The topics suture writes beside a dataset's own topic."""
        return [dataset + s for s in (self.quarantine_suffix, self.replay_suffix)] + [
            dataset + self.dead_letter_suffix
        ]

    def own_topics(self) -> list[str]:
        """suture's own topics and their dead-letter topics."""
        own = [self.alerts, self.proposals, self.approvals, self.applied]
        return own + [t + self.dead_letter_suffix for t in own]


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


Handler: TypeAlias = Callable[[In], Awaitable[Sequence[BaseModel]]]


@dataclass(frozen=True)
class Route(Generic[In]):
    """How one topic is consumed: decode each value, run the agent's handler, publish what it
    returns where `destinations` says."""

    topic: str
    decode: Callable[[bytes], In]
    handler: Handler[In]
    destinations: Destinations = field(default_factory=Destinations)
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

    def __init__(
        self,
        bootstrap: str,
        *,
        request_timeout_s: float = 10.0,
        kafka: KafkaSettings | None = None,
        max_request_size: int = 1_048_576,
    ) -> None:
        self.bootstrap = bootstrap
        self.request_timeout_s = request_timeout_s
        self.kafka = kafka or KafkaSettings()
        self.max_request_size = max_request_size
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        """Connect to the cluster."""
        producer = kafka_client.producer(
            self.kafka,
            self.bootstrap,
            "bus",
            request_timeout_ms=int(self.request_timeout_s * 1000),
            max_request_size=self.max_request_size,
        )
        try:
            async with asyncio.timeout(self.request_timeout_s):
                await producer.start()
        except KafkaConnectionError as error:
            await producer.stop()
            raise await kafka_client.connect_error(self.kafka, self.bootstrap, error) from error
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
        except (MessageSizeTooLargeError, RecordTooLargeError) as error:
            raise RecordTooLargeBrokerError(
                f"the broker at {self.bootstrap!r} refused a record for {topics!r} as too large: "
                f"{error!r}"
            ) from error
        except (KafkaError, TimeoutError) as error:
            raise BrokerError(
                f"publishing to {topics!r} at {self.bootstrap!r} failed: {error!r}; "
                "check that the broker is up"
            ) from error


async def reachable(bootstrap: str, timeout_s: float = 1.0) -> bool:
    """True when a TCP connection opens to one of the bootstrap servers (for health checks;
    it says the cluster is there, not that every broker is well)."""
    for host, port in kafka_client.servers(bootstrap):
        try:
            async with asyncio.timeout(timeout_s):
                _reader, writer = await asyncio.open_connection(host, port)
        except (OSError, TimeoutError):
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True
    return False


def make_consumer(
    bootstrap: str, topics: Sequence[str], group_id: str, settings: KafkaSettings, **options: Any
) -> AIOKafkaConsumer:
    """A consumer for the loops below: manual commits, from the earliest offset when new.

    `options` go to AIOKafkaConsumer as they are, e.g. EmbeddedBroker.CONSUMER_OPTIONS.
    Call it inside a running event loop.
    """
    return kafka_client.consumer(
        settings,
        bootstrap,
        *topics,
        role=group_id,
        group_id=group_id,
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        **options,
    )


def _retriable(error: BaseException) -> bool:
    """Our retriable errors, and any crash of a handler (a bug may depend on the moment; one
    that does not is dead-lettered after the last attempt, so it never stops a partition)."""
    if isinstance(error, AssistantError):
        return error.retriable
    return isinstance(error, Exception)


def _dead_letter(record: Record, route: Route[Any], error: Exception, attempts: int) -> Outcome:
    reason = str(error) or type(error).__name__
    if not isinstance(error, AssistantError):
        reason = f"the handler crashed: {type(error).__name__}: {reason}"
    if attempts > 1:
        reason = f"gave up after {attempts} attempts: {reason}"
    letter = _letter_of(record, reason, type(error).__name__)
    names = (
        (headers.REASON, reason.encode()),
        (headers.ERROR_TYPE, letter.error_type.encode()),
        (headers.SOURCE_TOPIC, record.topic.encode()),
        (headers.SOURCE_PARTITION, str(record.partition).encode()),
        (headers.SOURCE_OFFSET, str(record.offset).encode()),
        (headers.ATTEMPTS, str(attempts).encode()),
    )
    logger.warning(
        "dead-lettered %s[%d]@%d: %s",
        record.topic,
        record.partition,
        record.offset,
        reason,
        extra={"topic": record.topic, "offset": record.offset, "error_type": letter.error_type},
    )
    target = route.destinations.topic_for(letter)
    outgoing = Outgoing(target, letter, key=record.key, headers=names)
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

    Retriable errors and crashes of the handler are retried (route.max_attempts, route.wait)
    before they are dead-lettered: a poison event never stops its partition. A crash is logged
    with its traceback.
    """
    try:
        event = _decode(record, route)
    except EventDecodeError as error:
        return _dead_letter(record, route, error, attempts=0)
    attempts = 0

    async def attempt() -> Sequence[BaseModel]:
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
        results: Sequence[BaseModel] = await retrying(attempt)
    except AssistantError as error:  # every error of ours is an outcome
        return _dead_letter(record, route, error, attempts)
    except Exception as error:  # a bug: logged loudly, then the event is set aside
        logger.exception(
            "the handler of %r crashed on %s[%d]@%d after %d attempts",
            route.topic,
            record.topic,
            record.partition,
            record.offset,
            attempts,
        )
        return _dead_letter(record, route, error, attempts)
    outputs = tuple(route.destinations.outgoing(out, key=record.key) for out in results)
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


BatchHandler: TypeAlias = Callable[[list[Record]], Awaitable[Sequence[BaseModel]]]
IdleHandler: TypeAlias = Callable[[], Awaitable[Sequence[BaseModel]]]


async def consume_batches(
    consumer: AIOKafkaConsumer,
    handle_batch: BatchHandler,
    bus: Publisher,
    *,
    destinations: Destinations,
    events: Mapping[str, Route[Any]] | None = None,
    max_records: int = 500,
    poll_timeout_ms: int = 1000,
    limit: int | None = None,
    timeout_s: float = 30.0,
    on_idle: IdleHandler | None = None,
    max_attempts: int = 3,
) -> int:
    """Hand raw records to `handle_batch` one partition batch at a time, publish, then commit.

    For monitors, which judge micro-batches and must cope with bad records themselves. The
    handler returns events; `destinations` says where each goes. Records of a topic in `events`
    are events for the same agent instead (a fix applied, say), each decoded and handled by its
    route, in the same loop: an agent's state has one owner. `on_idle`, when given, runs after
    each poll that brought nothing (silence checks). Starts and stops `consumer`; runs until
    cancelled or `limit` records were committed. A batch whose handler crashes
    `max_attempts` times is dead-lettered record by record, so it never stops the partition.
    """
    handled = 0
    side = dict(events or {})
    try:
        await _start(consumer, timeout_s)
        while limit is None or handled < limit:
            batches = await consumer.getmany(timeout_ms=poll_timeout_ms, max_records=max_records)
            if not batches and on_idle is not None:
                await bus.publish_all([destinations.outgoing(e) for e in await on_idle()])
            for tp, records in batches.items():
                if tp.topic in side:
                    for record in records:
                        outcome = await process(record, side[tp.topic])
                        await bus.publish_all(outcome.outputs)
                else:
                    results = await _handle_guarded(handle_batch, records, max_attempts)
                    await bus.publish_all([destinations.outgoing(e) for e in results])
                await _commit(consumer, tp, records[-1].offset + 1, timeout_s)
                handled += len(records)
    finally:
        await _stop(consumer, timeout_s)
    return handled


async def _handle_guarded(
    handle_batch: BatchHandler, records: list[Record], max_attempts: int
) -> Sequence[BaseModel]:
    """The handler's events for `records`; after `max_attempts` crashes, their dead letters."""
    for attempt in range(1, max_attempts + 1):
        try:
            return await handle_batch(records)
        except Exception as error:
            if attempt < max_attempts:
                logger.warning("batch handler crashed (attempt %d): %r; retrying", attempt, error)
                continue
            logger.exception(
                "batch handler crashed %d times on %s[%d]@%d..%d: dead-lettering the batch",
                attempt,
                records[0].topic,
                records[0].partition,
                records[0].offset,
                records[-1].offset,
            )
            reason = (
                f"gave up after {attempt} attempts: the batch handler crashed: "
                f"{type(error).__name__}: {error}"
            )
            return [_letter_of(record, reason, type(error).__name__) for record in records]
    return []


def _letter_of(record: Record, reason: str, error_type: str) -> DeadLetter:
    return DeadLetter.of_payload(
        record.value or b"",
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=None if record.key is None else record.key.decode("utf-8", errors="replace"),
        reason=reason,
        error_type=error_type,
    )
