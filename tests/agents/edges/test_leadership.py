"""Leases for singleton loops: one holder at a time, freed when the holder goes away."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from agents.edges.leadership import FileLeases, Leases, PostgresLeases, led
from agents.edges.store import open_store
from tests.fixtures.postgres import POSTGRES_URL


@pytest.fixture(params=["file", pytest.param("postgres", marks=pytest.mark.postgres)])
def two_replicas(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Leases, Leases]]:
    """Two replicas' leases over the same shared state (a folder, or one PostgreSQL server)."""
    if request.param == "file":
        yield FileLeases(tmp_path), FileLeases(tmp_path)
        return
    engines = [create_engine(POSTGRES_URL), create_engine(POSTGRES_URL)]
    try:
        yield PostgresLeases(engines[0]), PostgresLeases(engines[1])
    finally:
        for engine in engines:
            engine.dispose()


def test_one_holder_at_a_time_and_the_next_after_release(
    two_replicas: tuple[Leases, Leases],
) -> None:
    first, second = two_replicas
    name = f"applier-{uuid.uuid4().hex}"  # other runs may share the PostgreSQL server
    held = first.try_acquire(name)
    assert held is not None
    assert second.try_acquire(name) is None
    other = second.try_acquire(name + "-other")  # other names are independent
    assert other is not None
    second.release(other)
    first.release(held)
    again = second.try_acquire(name)
    assert again is not None
    second.release(again)


@pytest.mark.postgres
def test_a_replica_that_dies_frees_its_lease() -> None:
    engines = [create_engine(POSTGRES_URL), create_engine(POSTGRES_URL)]
    try:
        dying, survivor = PostgresLeases(engines[0]), PostgresLeases(engines[1])
        name = f"outbox-dies-{uuid.uuid4().hex}"  # other runs may share this server
        held = dying.try_acquire(name)
        assert held is not None and survivor.try_acquire(name) is None
        held.invalidate()  # the connection is gone, as when the process is killed
        engines[0].dispose()
        # The server frees the lock when it notices the closed connection: soon, not at once.
        deadline = time.monotonic() + 30
        taken = survivor.try_acquire(name)
        while taken is None and time.monotonic() < deadline:
            time.sleep(0.05)
            taken = survivor.try_acquire(name)
        assert taken is not None
        survivor.release(taken)
    finally:
        for engine in engines:
            engine.dispose()


async def test_a_led_loop_runs_on_one_replica_and_the_other_takes_over(tmp_path: Path) -> None:
    running: list[str] = []
    finish = {"a": asyncio.Event(), "b": asyncio.Event()}

    def loop(replica: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            running.append(replica)
            await finish[replica].wait()

        return run

    a = asyncio.create_task(led(FileLeases(tmp_path), "applier", loop("a"), poll_s=0.01)())
    async with asyncio.timeout(5):
        while not running:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        b = asyncio.create_task(led(FileLeases(tmp_path), "applier", loop("b"), poll_s=0.01)())
        await asyncio.sleep(0.1)
        assert running == ["a"]  # b stands by
        finish["a"].set()
        await a
        while len(running) < 2:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        finish["b"].set()
        await b
    assert running == ["a", "b"]


def test_the_store_gives_file_leases_on_sqlite(tmp_path: Path) -> None:
    store = open_store(None, tmp_path)
    try:
        assert isinstance(store.leases(tmp_path / "leases"), FileLeases)
    finally:
        store.close()
