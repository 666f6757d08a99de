"""The supervisor of consumer loops: clean stop, a crash restarts its own loop with backoff,
finished loops end it."""

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
from agents.runtime import Backoff, Supervisor, stop_on_signals
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
    running = asyncio.create_task(Supervisor({"first": first, "second": second}).run(stop))
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
        await Supervisor({"a": lambda: once("a"), "b": lambda: once("b")}).run(asyncio.Event())
    assert sorted(finished) == ["a", "b"]


async def test_a_crashing_loop_restarts_with_backoff_while_the_others_keep_running(
    caplog: pytest.LogCaptureFixture,
) -> None:
    survivor, stop = _Forever(), asyncio.Event()
    runs = 0
    settled = asyncio.Event()

    async def flaky() -> None:
        nonlocal runs
        runs += 1
        if runs <= 3:
            raise RuntimeError("disk on fire")
        settled.set()
        await asyncio.Event().wait()

    supervisor = Supervisor(
        {"healer": flaky, "triage": survivor}, backoff=Backoff(first_s=0.01, max_s=0.02)
    )
    running = asyncio.create_task(supervisor.run(stop))
    async with asyncio.timeout(5):
        await settled.wait()
        healer = supervisor.statuses["healer"]
        assert (healer.state, healer.restarts) == ("running", 3)
        assert healer.last_error == "RuntimeError: disk on fire"
        assert supervisor.healthy() and not survivor.cancelled
        stop.set()
        await running
    assert survivor.cancelled
    assert supervisor.statuses["triage"].state == "stopped"
    crashes = [r for r in caplog.records if "consumer loop 'healer' crashed" in r.getMessage()]
    # The first crash of a kind carries its traceback; the same crash again is one line.
    assert [r.exc_info is not None for r in crashes] == [True, False, False]


async def test_a_loop_waiting_to_restart_is_not_healthy() -> None:
    crashed = asyncio.Event()

    async def crash() -> None:
        crashed.set()
        raise OSError("broker gone")

    supervisor = Supervisor({"applier": crash}, backoff=Backoff(first_s=30))
    stop = asyncio.Event()
    running = asyncio.create_task(supervisor.run(stop))
    async with asyncio.timeout(5):
        await crashed.wait()
        await asyncio.sleep(0)
        assert supervisor.statuses["applier"].state == "restarting"
        assert not supervisor.healthy()
        stop.set()
        await running


def test_backoff_doubles_up_to_its_cap() -> None:
    backoff = Backoff(first_s=1, max_s=5)
    assert [backoff.delay(n) for n in range(1, 6)] == [1, 2, 4, 5, 5]


async def test_no_loops_means_nothing_to_wait_for() -> None:
    async with asyncio.timeout(5):
        await Supervisor({}).run(asyncio.Event())


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
        await Supervisor({"runtime": lambda: consume(consumer, route, bus)}).run(stop)
    assert seen == [1, 2]
    assert consumer._closed  # the loop's finally stopped the consumer
    assert [m.event for m in bus.on("out")][:1] == [Ping(n=1)]
