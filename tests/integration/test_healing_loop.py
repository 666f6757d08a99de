"""The whole healing loop against the real embedded broker: drift in, one fix out, approved."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import duckdb
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from agents.edges.store import open_store
from agents.main import running
from core.config import KafkaSettings, Settings
from core.models import AlertRaised, Detection
from suture.demo import run_demo

pytestmark = [pytest.mark.kafka, pytest.mark.integration]


def _settings(workdir: Path, bootstrap: str, store_url: str | None = None) -> Settings:
    kafka = KafkaSettings(bootstrap=bootstrap)
    return Settings(workdir=workdir, kafka=kafka, store_url=store_url, _env_file=None)  # type: ignore[call-arg]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest) -> str | None:
    """The whole loop runs on each store: SQLite in the workdir, and a PostgreSQL database."""
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("postgres_database")
    return url


async def _wait_for(check, timeout_s: float = 30.0):  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout_s):
        while not (found := await check()):  # noqa: ASYNC110 (polling the store)
            await asyncio.sleep(0.05)
    return found


async def test_drift_is_healed_after_approval_with_no_event_lost_or_duplicated(
    tmp_path: Path, own_bootstrap: str, capsys: pytest.CaptureFixture[str], store_url: str | None
) -> None:
    settings = _settings(tmp_path / "work", own_bootstrap, store_url)

    assert await run_demo(settings, approve=True, timeout_s=60) == 0

    printed = capsys.readouterr().out
    assert "pipeline stalled" in printed and "pipeline resumed" in printed
    assert "HEALED: no event lost or duplicated" in printed
    store = open_store(store_url, settings.workdir)
    try:
        [record] = await store.list_proposals()
        assert record.status == "applied"
        assert record.proposal.mapping.as_dict() == {"cust_id": "customer_id"}
        assert record.proposal.validation.passed
        assert {p.model for p in record.proposal.patches} == {"stg_orders", "customer_orders"}
        [letter] = await store.list_dead_letters("orders")
        assert letter.error_type == "EventDecodeError" and "o-broken" in letter.value
        drift = [a for a in await store.list_alerts("orders") if a.category == "drift"]
        assert len(drift) == 1, "one change raises one alert"
        assert ("rename", "cust_id", "customer_id") in [d.identity() for d in drift[0].detections]
    finally:
        store.close()
    with duckdb.connect(str(settings.workdir / "sink.duckdb"), read_only=True) as sink:
        merged = sink.execute("select count(*) from customer_orders").fetchone()
        assert merged is not None and merged[0] > 0
    for models in (
        (settings.workdir / "clone" / "models" / "stg_orders.sql").read_text(),
        _git(settings.workdir / "repo", "show", "suture/applied:models/stg_orders.sql"),
    ):
        assert "customer_id" in models and "cust_id" not in models
    # The repository the demo was pointed at keeps its working copy and default branch.
    assert _git(settings.workdir / "repo", "status", "--porcelain") == ""
    assert "cust_id" in (settings.workdir / "repo" / "models" / "stg_orders.sql").read_text()


def _git(path: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_redelivered_alert_after_restart_yields_no_second_proposal(
    tmp_path: Path, own_bootstrap: str
) -> None:
    settings = _settings(tmp_path / "work", own_bootstrap)
    assert await run_demo(settings, approve=False, timeout_s=60, wait_for_approval=False) == 0
    first = open_store(None, settings.workdir)
    try:
        [original] = [a for a in await first.list_alerts("orders") if a.category == "drift"]
        [pending] = await first.list_proposals()
    finally:
        first.close()
    assert pending.status == "pending", "nothing is applied without an approval"

    async with running(settings, settings.workdir / "repo") as live:
        producer = AIOKafkaProducer(bootstrap_servers=own_bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait(
                settings.kafka.alerts_topic, original.model_dump_json().encode()
            )
            await producer.send_and_wait(settings.kafka.alerts_topic, b'{"type": "alert.rais')
            sentinel = AlertRaised(
                source="test",
                category="drift",
                dataset="no_such_topic",
                detections=[Detection(kind="remove", field="x")],
            )
            await producer.send_and_wait(
                settings.kafka.alerts_topic, sentinel.model_dump_json().encode()
            )
        finally:
            await producer.stop()

        async def sentinel_handled() -> list[str]:
            # alerts are handled in order: once the sentinel is, the redelivered one was too
            ids = [i.alert_id for i in await live.store.list_incidents()]
            return ids if sentinel.event_id in ids else []

        handled = await _wait_for(sentinel_handled)
        assert original.event_id not in handled, "the redelivered alert was not escalated"
        [letter] = await live.store.list_dead_letters(settings.kafka.alerts_topic)
        assert letter.error_type == "EventDecodeError" and letter.value == '{"type": "alert.rais'
        assert len(await live.store.list_proposals()) == 1
        async with httpx.AsyncClient(base_url=live.url) as client:
            refused = await client.post(
                f"/api/proposals/{pending.proposal.proposal_id}/approve",
                headers={"Authorization": "Bearer wrong-token"},
            )
            reader = {"Authorization": f"Bearer {live.token.get_secret_value()}"}
            asked = await client.post(
                "/ask",
                json={"question": "where does daily_revenue.revenue come from?"},
                headers=reader,
            )
            unknown = await client.post(
                "/ask",
                json={"question": "where does daily_revenue.profit come from?"},
                headers=reader,
            )
        assert refused.status_code == 401
        assert asked.status_code == 200 and asked.json()["understood"]
        assert "orders.amount_cents" in asked.json()["entities"]
        assert unknown.json()["missing"] == ["daily_revenue.profit"]
        assert (await live.store.get_proposal(pending.proposal.proposal_id)).status == "pending"
