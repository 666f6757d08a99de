"""Supervises named consumer loops, each on its own: a crash is logged once, counted, and the
loop restarts with backoff; one loop's crash never stops another. `stop` ends them all."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

logger = logging.getLogger(__name__)

Loop = Callable[[], Awaitable[object]]
LoopState = Literal["running", "restarting", "finished", "stopped"]


@dataclass(frozen=True)
class Backoff:
    """Delay before the n-th restart in a row: doubling from `first_s`, at most `max_s`. A loop
    that ran `reset_after_s` without crashing starts again from `first_s`.

    >>> [Backoff(first_s=0.5, max_s=4).delay(n) for n in (1, 2, 3, 4, 5)]
    [0.5, 1.0, 2.0, 4.0, 4.0]
    """

    first_s: float = 0.5
    max_s: float = 30.0
    reset_after_s: float = 60.0

    def delay(self, crashes_in_a_row: int) -> float:
        """Seconds to wait before restarting after this many crashes in a row."""
        return float(min(self.max_s, self.first_s * 2 ** max(0, crashes_in_a_row - 1)))


@dataclass
class LoopStatus:
    """What the supervisor knows of one loop: for /healthz and the operator."""

    name: str
    state: LoopState = "running"
    restarts: int = 0
    crashes_in_a_row: int = 0
    last_error: str | None = None
    since: float = field(default_factory=time.monotonic)

    @property
    def alive(self) -> bool:
        """Running, or done on its own: a loop waiting to restart is not alive."""
        return self.state in ("running", "finished")


class Supervisor:
    """Runs every loop until `stop` is set (or all finish), restarting each one that crashes."""

    def __init__(
        self,
        loops: Mapping[str, Loop],
        *,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._loops = dict(loops)
        self._backoff = backoff or Backoff()
        self._clock = clock
        self.statuses = {name: LoopStatus(name, since=clock()) for name in self._loops}

    def healthy(self) -> bool:
        """True when every loop is alive."""
        return all(status.alive for status in self.statuses.values())

    async def run(self, stop: asyncio.Event) -> None:
        """Run the loops; return when every loop finished, or cancel them all once `stop` is set."""
        if not self._loops:
            return
        async with asyncio.TaskGroup() as group:
            tasks = [
                group.create_task(self._keep_running(name, loop), name=name)
                for name, loop in self._loops.items()
            ]
            stopper = group.create_task(_cancel_when_set(stop, tasks), name="stopper")

            def _maybe_done(_: asyncio.Task[None]) -> None:
                if all(task.done() for task in tasks):
                    stopper.cancel()

            for task in tasks:
                task.add_done_callback(_maybe_done)

    def _mark(self, status: LoopStatus, state: LoopState) -> None:
        status.state, status.since = state, self._clock()

    async def _keep_running(self, name: str, loop: Loop) -> None:
        status = self.statuses[name]
        try:
            while True:
                self._mark(status, "running")
                try:
                    await loop()
                except Exception as error:  # a loop's crash is this loop's, never the others'
                    if self._clock() - status.since >= self._backoff.reset_after_s:
                        status.crashes_in_a_row = 0
                    self._crashed(status, error)
                    self._mark(status, "restarting")
                    await asyncio.sleep(self._backoff.delay(status.crashes_in_a_row))
                    continue
                self._mark(status, "finished")
                logger.info("consumer loop %r finished", name, extra={"loop": name})
                return
        except asyncio.CancelledError:
            self._mark(status, "stopped")
            raise

    def _crashed(self, status: LoopStatus, error: Exception) -> None:
        status.restarts += 1
        status.crashes_in_a_row += 1
        described = f"{type(error).__name__}: {error}"
        delay = self._backoff.delay(status.crashes_in_a_row)
        if described != status.last_error:
            # A new kind of crash is logged once with its traceback; repeats are one line.
            logger.error(
                "consumer loop %r crashed (restart %d in %.1f s): %s",
                status.name,
                status.restarts,
                delay,
                described,
                exc_info=error,
                extra={"loop": status.name},
            )
        else:
            logger.warning(
                "consumer loop %r crashed again (restart %d in %.1f s)",
                status.name,
                status.restarts,
                delay,
                extra={"loop": status.name},
            )
        status.last_error = described


async def _cancel_when_set(stop: asyncio.Event, tasks: list[asyncio.Task[None]]) -> None:
    await stop.wait()
    for task in tasks:
        task.cancel()


def stop_on_signals(stop: asyncio.Event) -> None:
    """Set `stop` on SIGINT or SIGTERM (call from inside the running event loop)."""
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop.set)
