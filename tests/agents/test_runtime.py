"""The supervisor of consumer loops: clean stop, crashes propagate, finished loops end it."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable, Mapping

import pytest
from pydantic import BaseModel, ConfigDict

from agents.edges.bus_fake import InMemoryBus
from agents.edges.kafka import (
    Destinations,
    KafkaBus,
    Outgoing,
    Route,
    consume,
    json_decoder,
    make_consumer,
)
from agents.runtime import stop_on_signals, supervise
from core.config import KafkaSettings

MakeTopic = Callable[..., Awaitable[str]]


class Ping(BaseModel):
    """A test event."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    n: int


class _Forever:
    """A loop that runs until cancelled and remembers that it was."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.cancelled = False

    async def __call__(self) -> None:
        self.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise


async def test_stop_cancels_every_loop_and_returns() -> None:
    stop = asyncio.Event()
    first, second = _Forever(), _Forever()
    running = asyncio.create_task(supervise({"first": first, "second": second}, stop))
    async with asyncio.timeout(5):
        await first.started.wait()
        await second.started.wait()
        stop.set()
        await running
    assert first.cancelled and second.cancelled


async def test_returns_when_every_loop_finished() -> None:
    finished: list[str] = []

    async def once(name: str) -> None:
        finished.append(name)

    async with asyncio.timeout(5):
        await supervise({"a": lambda: once("a"), "b": lambda: once("b")}, asyncio.Event())
    assert sorted(finished) == ["a", "b"]


async def test_a_crash_cancels_the_others_and_propagates_with_the_loop_name(
    caplog: pytest.LogCaptureFixture,
) -> None:
    survivor = _Forever()

    async def crash() -> None:
        await survivor.started.wait()
        raise RuntimeError("disk on fire")

    with pytest.raises(ExceptionGroup) as caught:
        async with asyncio.timeout(5):
            await supervise({"healer": crash, "triage": survivor}, asyncio.Event())
    [error] = caught.value.exceptions
    assert isinstance(error, RuntimeError) and "in consumer loop 'healer'" in error.__notes__
    assert survivor.cancelled
    assert "consumer loop 'healer' crashed" in caplog.text


async def test_no_loops_means_nothing_to_wait_for() -> None:
    async with asyncio.timeout(5):
        await supervise({}, asyncio.Event())


async def test_sigterm_sets_the_stop_event() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    stop_on_signals(stop)
    try:
        signal.raise_signal(signal.SIGTERM)
        async with asyncio.timeout(5):
            await stop.wait()
    finally:
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(number)


@pytest.mark.kafka
async def test_stop_ends_a_real_consume_loop_and_closes_its_consumer(
    kafka_settings: KafkaSettings, consumer_options: Mapping[str, int], new_topic: MakeTopic
) -> None:
    source = await new_topic("runtime")
    bus = InMemoryBus()
    async with KafkaBus(kafka_settings.bootstrap or "") as kafka:
        await kafka.publish_all([Outgoing(source, Ping(n=n)) for n in (1, 2)])
    stop = asyncio.Event()
    seen: list[int] = []

    async def handle(event: Ping) -> list[BaseModel]:
        seen.append(event.n)
        if event.n == 2:
            stop.set()
        return [event]

    route = Route(source, json_decoder(Ping), handle, Destinations(others={Ping: "out"}))
    assert kafka_settings.bootstrap is not None
    consumer = make_consumer(
        kafka_settings.bootstrap, [source], "suture.runtime", kafka_settings, **consumer_options
    )
    async with asyncio.timeout(20):
        await supervise({"runtime": lambda: consume(consumer, route, bus)}, stop)
    assert seen == [1, 2]
    assert consumer._closed  # the loop's finally stopped the consumer
    assert [m.event for m in bus.on("out")][:1] == [Ping(n=1)]
