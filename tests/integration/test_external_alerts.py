"""Alerts from other tools reach the healer through POST /alerts; bad ones are dead-lettered."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from agents.edges.git_repo import GitPipelineRepo
from agents.main import running
from core.config import KafkaSettings, Settings, WebSettings

pytestmark = [pytest.mark.kafka, pytest.mark.integration]
SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"


async def test_an_outside_tools_alert_is_triaged_and_a_malformed_one_kept(
    tmp_path: Path, own_bootstrap: str
) -> None:
    repo = GitPipelineRepo.create(SHOP, tmp_path / "repo")
    settings = Settings(
        workdir=tmp_path / "work",
        kafka=KafkaSettings(bootstrap=own_bootstrap),
        web=WebSettings(ingest_token=SecretStr("ingest-secret")),
    )
    async with running(settings, repo.path) as live:
        ingest = {"Authorization": "Bearer ingest-secret"}
        async with httpx.AsyncClient(base_url=live.url, headers=ingest) as client:
            schema = await client.get("/alerts/schema")
            accepted = await client.post(
                "/alerts",
                json={
                    "tool": "great_expectations",
                    "dataset": "orders",
                    "kind": "null_spike",
                    "field": "amount_cents",
                    "rate": 0.4,
                    "summary": "expect_column_values_to_not_be_null",
                },
            )
            refused = await client.post("/alerts", json={"tool": "soda", "kind": "nonsense"})
            nul = await client.post(
                "/alerts", json={"tool": "soda", "dataset": "ord\u0000ers", "kind": "null_spike"}
            )
            health = await client.get("/healthz")
        assert schema.status_code == 200 and "dataset" in schema.json()["properties"]
        assert accepted.status_code == 202, accepted.text
        assert refused.status_code == 422
        assert nul.status_code == 422 and "dataset" in nul.text  # PostgreSQL cannot store a NUL
        assert health.status_code == 200 and health.json()["broker"] is True
        assert {"healer", "applier", "drift_monitor:orders"} <= set(health.json()["loops"])
        assert {loop["state"] for loop in health.json()["loops"].values()} == {"running"}
        alert_id = accepted.json()["event_id"]
        async with asyncio.timeout(30):
            while not (incidents := await live.store.list_incidents()):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        [incident] = incidents
        assert incident.alert_id == alert_id and "amount_cents" in incident.reason
        letters = await live.store.list_dead_letters(
            settings.kafka.alerts_topic + settings.kafka.dead_letter_suffix
        )
        assert ["nonsense" in x.value for x in letters] == [True, False]
        assert "\\u0000" in letters[1].value and "dataset" in letters[1].reason
