"""Losing the embedded broker mid-run: health says so and suture gives up instead of hanging."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from agents.edges.git_repo import GitPipelineRepo
from agents.main import running
from core.config import Settings

pytestmark = [pytest.mark.kafka, pytest.mark.integration]
SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"


async def test_a_dead_embedded_broker_fails_health_and_ends_the_run(tmp_path: Path) -> None:
    repo = GitPipelineRepo.create(SHOP, tmp_path / "repo")
    settings = Settings(workdir=tmp_path / "work")  # no bootstrap: the embedded broker
    async with running(settings, repo.path) as live:
        async with httpx.AsyncClient(base_url=live.url) as client:
            assert (await client.get("/healthz")).status_code == 200
            pid = int((settings.workdir / "broker" / "broker.pid").read_text().split()[0])
            os.kill(pid, signal.SIGKILL)
            async with asyncio.timeout(15):
                await live.fatal.wait()
            health = await client.get("/healthz")
        assert "embedded Kafka broker exited" in live.fatal_reason
        assert health.status_code == 503 and health.json()["broker"] is False
        started = time.monotonic()
    assert time.monotonic() - started < 60  # the shutdown does not hang on the lost broker
