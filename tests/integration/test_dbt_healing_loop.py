"""A dbt project whose sources are Kafka topics heals end to end, and its fix stays Jinja."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaProducer

from agents.edges.git_repo import GitPipelineRepo
from agents.main import running
from core.config import KafkaSettings, Settings
from suture.demo_producer import orders
from tools.dbt.writeback import tags
from tools.lineage.dbt import render_model

pytestmark = [pytest.mark.kafka, pytest.mark.integration]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dbt_shop"
TOPIC = "shop_orders"  # meta.kafka_topic of source shop.orders


async def _produce(bootstrap: str, events: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for value in events:
            await producer.send(TOPIC, value)
        await producer.flush()
    finally:
        await producer.stop()


async def _wait_for(check, timeout_s: float = 60.0):  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout_s):
        while not (found := await check()):  # noqa: ASYNC110 (polling the store)
            await asyncio.sleep(0.1)
    return found


def _show(repo: Path, path: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "show", f"suture/applied:{path}"],  # master stays as it was
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


async def test_a_producer_rename_heals_the_dbt_project_and_the_patch_keeps_its_jinja(
    tmp_path: Path, own_bootstrap: str
) -> None:
    settings = Settings(
        workdir=tmp_path / "work",
        kafka=KafkaSettings(bootstrap=own_bootstrap),
        _env_file=None,  # type: ignore[call-arg]
    )
    repo_dir = tmp_path / "repo"
    GitPipelineRepo.create(EXAMPLE, repo_dir, main_branch="master")  # not "main": any default
    staging = "models/staging/stg_orders.sql"
    original = (repo_dir / staging).read_text()

    variables, sources = {"min_amount_cents": 0}, {"shop.orders": TOPIC}
    macros = [f.read_text() for f in sorted((EXAMPLE / "macros").glob("*.sql"))]

    async with running(settings, repo_dir) as live:
        assert set(live.contracts) == {TOPIC}, "the source table's topic has a contract"
        await _produce(own_bootstrap, [orjson.dumps(e) for e in orders(60, version=1)])
        await _produce(own_bootstrap, [orjson.dumps(e) for e in orders(40, version=2, start=60)])

        async def proposal():  # type: ignore[no-untyped-def]
            found = await live.store.list_proposals()
            if not found and (incidents := await live.store.list_incidents()):
                raise AssertionError(f"escalated instead: {[i.reason for i in incidents]}")
            return found[0] if found else None

        record = await _wait_for(proposal)
        proposal_id = record.proposal.proposal_id
        assert record.proposal.mapping.as_dict() == {"cust_id": "customer_id"}
        assert record.proposal.validation.passed
        names = {c.name for c in record.proposal.validation.checks}
        assert "invariant:stg_orders.customer_id.not_null" in names, "dbt tests ran as invariants"
        patches = {p.model: p for p in record.proposal.patches}
        assert set(patches) == {"stg_orders", "customer_orders"}
        for patch in patches.values():
            assert patch.template_before is not None and patch.template_after is not None
            assert tags(patch.template_after) == tags(patch.template_before)
            assert "{{ source('shop', 'orders') }}" in patch.template_after
            rendered = render_model(patch.template_after, variables, sources, macros)
            assert rendered == patch.after_sql
        assert "{{ source('shop', 'orders') }}" in record.proposal.description

        async with httpx.AsyncClient(base_url=live.url, timeout=10) as client:
            response = await client.post(
                f"/api/proposals/{proposal_id}/approve",
                headers={"Authorization": f"Bearer {live.token.get_secret_value()}"},
                json={"reviewer": "test"},
            )
        assert response.status_code == 200, response.text

        async def applied() -> bool:
            return (await live.store.get_proposal(proposal_id)).status == "applied"

        await _wait_for(applied)

    merged = _show(repo_dir, staging)
    assert merged == patches["stg_orders"].template_after.rstrip("\n") + "\n"
    assert "{{ config(materialized='view') }}" in merged
    assert "{{ var('min_amount_cents') }}" in merged
    assert "{{ cents_to_amount('amount_cents') }} as amount" in merged
    assert "customer_id" in merged.split("from {{ source")[0]
    assert merged != original
    assert (repo_dir / staging).read_text() == original, "the working copy is never written"
    mart = _show(repo_dir, "models/marts/customer_orders.sql")
    assert "-- spend per customer, straight from the topic" in mart
    sources = _show(repo_dir, "models/sources.yml")
    assert "- name: customer_id" in sources and "- name: cust_id" not in sources
    assert "kafka_topic: shop_orders          # the Kafka topic this source table reads" in sources
