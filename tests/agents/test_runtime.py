"""The supervisor of consumer loops: clean stop, crashes propagate, finished loops end it."""

from __future__ import annotations

import asyncio
import signal

import pytest

from agents.runtime import stop_on_signals, supervise


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
