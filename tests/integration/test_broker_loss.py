"""Losing the embedded broker mid-run: in memory, health says so and suture gives up instead of
hanging; with its log on disk, suture starts it again on the same port and data."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from agents.edges.git_repo import GitPipelineRepo
from agents.main import running
from core.config import Settings

pytestmark = [pytest.mark.kafka, pytest.mark.integration]
SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"


async def list_topics(bootstrap: str) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return list(await admin.list_topics())
    finally:
        await admin.close()


def _pid(settings: Settings, name: str) -> int | None:
    """The process the pidfile names; None between a kill and the restart."""
    try:
        return int((settings.workdir / "broker" / f"{name}.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


async def test_a_dead_embedded_broker_in_memory_fails_health_and_ends_the_run(
    tmp_path: Path,
) -> None:
    repo = GitPipelineRepo.create(SHOP, tmp_path / "repo")
    # No bootstrap: the embedded broker, here in memory.
    settings = Settings(workdir=tmp_path / "work", kafka={"embedded_storage": "memory"})
    async with running(settings, repo.path) as live:
        async with httpx.AsyncClient(base_url=live.url) as client:
            assert (await client.get("/healthz")).status_code == 200
            pid = _pid(settings, "broker")
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            async with asyncio.timeout(15):
                await live.fatal.wait()
            health = await client.get("/healthz")
        assert "embedded Kafka broker exited" in live.fatal_reason
        assert health.status_code == 503 and health.json()["broker"] is False
        started = time.monotonic()
    assert time.monotonic() - started < 60  # the shutdown does not hang on the lost broker


@pytest.mark.parametrize("victim", ["broker", "object-store"])
async def test_a_dead_embedded_broker_on_disk_is_started_again_on_its_port_and_data(
    victim: str, tmp_path: Path
) -> None:
    repo = GitPipelineRepo.create(SHOP, tmp_path / "repo")
    settings = Settings(workdir=tmp_path / "work")  # the embedded broker, its log on disk
    async with running(settings, repo.path) as live:
        async with httpx.AsyncClient(base_url=live.url) as client:
            before = _pid(settings, "broker")
            pid = _pid(settings, victim)
            assert pid is not None and before is not None
            os.kill(pid, signal.SIGKILL)
            async with asyncio.timeout(30):
                while _pid(settings, "broker") in (before, None) or (  # noqa: ASYNC110
                    (await client.get("/healthz")).status_code != 200
                ):
                    await asyncio.sleep(0.2)
            topics = await list_topics(live.bootstrap)
        assert not live.fatal.is_set(), live.fatal_reason
        assert settings.kafka.alerts_topic in topics  # the same data: its topics are there
