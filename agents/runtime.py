"""Supervises named consumer loops in one TaskGroup: stop them all on a signal, crash loudly."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping

logger = logging.getLogger(__name__)

Loop = Callable[[], Awaitable[object]]


async def _guarded(name: str, loop: Loop) -> None:
    try:
        await loop()
    except Exception as error:
        # Log here so the loop's name is on record even if the group's other errors win.
        logger.error("consumer loop %r crashed: %r", name, error, extra={"loop": name})
        error.add_note(f"in consumer loop {name!r}")
        raise
    logger.info("consumer loop %r finished", name, extra={"loop": name})


async def _cancel_when_set(stop: asyncio.Event, tasks: list[asyncio.Task[None]]) -> None:
    await stop.wait()
    for task in tasks:
        task.cancel()


async def supervise(loops: Mapping[str, Loop], stop: asyncio.Event) -> None:
    """Run every loop until all finish or `stop` is set (then cancel them and return).

    A loop that raises cancels the others; its exception propagates in an ExceptionGroup.
    """
    if not loops:
        return
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(_guarded(name, loop), name=name) for name, loop in loops.items()]
        stopper = group.create_task(_cancel_when_set(stop, tasks), name="stopper")

        def _maybe_done(_: asyncio.Task[None]) -> None:
            if all(task.done() for task in tasks):
                stopper.cancel()

        for task in tasks:
            task.add_done_callback(_maybe_done)


def stop_on_signals(stop: asyncio.Event) -> None:
    """Set `stop` on SIGINT or SIGTERM (call from inside the running event loop)."""
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop.set)
