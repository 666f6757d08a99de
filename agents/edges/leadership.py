"""Leadership of singleton loops across replicas of `suture up`.

Loops that read a consumer group share their partitions among replicas by themselves. A few
must run once across the fleet: the applier (one merge per approval, also under rebalances),
the approval outbox, the quarantine replayer and the lag samplers. Each runs only while its
replica holds the lease of its name:

- on PostgreSQL, a session-level advisory lock held on a dedicated connection (released by the
  server when the replica dies, even by SIGKILL);
- on SQLite (one machine), an exclusive `flock` on a file beside the database (released by the
  kernel when the process dies).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine, text

logger = logging.getLogger(__name__)


class Leases(Protocol):
    """Grants the lease of a name to one holder at a time."""

    def try_acquire(self, name: str) -> Any | None:
        """A handle when this caller now holds `name`'s lease, else None (never blocks)."""
        ...

    def release(self, handle: Any) -> None:
        """Give the lease back."""
        ...


def _lock_key(name: str) -> int:
    """A stable signed 64-bit key for pg advisory locks."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class PostgresLeases:
    """Advisory locks, one connection held per lease."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def try_acquire(self, name: str) -> Any | None:
        """The held connection when the lock was free."""
        connection = self._engine.connect()
        try:
            got = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": _lock_key(name)}
            ).scalar()
            connection.commit()
        except BaseException:
            connection.close()
            raise
        if got:
            return connection
        connection.close()
        return None

    def release(self, handle: Any) -> None:
        """Unlock and return the connection to the pool."""
        with contextlib.closing(handle):
            handle.execute(text("SELECT pg_advisory_unlock_all()"))
            handle.commit()


class FileLeases:
    """`flock` on files in `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def try_acquire(self, name: str) -> Any | None:
        """The open, locked file descriptor when the lock was free."""
        self.folder.mkdir(parents=True, exist_ok=True)
        safe = hashlib.sha256(name.encode()).hexdigest()[:16]
        descriptor = os.open(self.folder / f"{safe}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return None
        return descriptor

    def release(self, handle: Any) -> None:
        """Unlock and close."""
        try:
            fcntl.flock(handle, fcntl.LOCK_UN)
        finally:
            os.close(handle)


@contextlib.asynccontextmanager
async def leading(leases: Leases, name: str, poll_s: float = 2.0) -> AsyncIterator[None]:
    """Wait until this replica holds `name`'s lease; hold it for the block."""
    waited = False
    while (handle := await asyncio.to_thread(leases.try_acquire, name)) is None:
        if not waited:
            logger.info("%s runs on another replica; standing by", name)
            waited = True
        await asyncio.sleep(poll_s)
    logger.info("%s: this replica leads", name)
    try:
        yield
    finally:
        await asyncio.to_thread(leases.release, handle)


def led(
    leases: Leases, name: str, loop: Callable[[], Awaitable[object]], poll_s: float = 2.0
) -> Callable[[], Awaitable[object]]:
    """`loop`, run only while this replica leads `name`."""

    async def run() -> object:
        async with leading(leases, name, poll_s):
            return await loop()

    return run
