"""Fault injection on the broker itself, with its log on disk: killed by SIGKILL at each step of
the loop and started again on the same data, it loses no alert, and suture applies no fix twice
or by half; a proposal besides the applied one is superseded or closed, never applied. (The
first test fails on a broker in memory.)

Two ways the broker dies: a broker of the test's own (standing for a cluster) is killed and
restarted under a running `suture up`; and `suture up`'s own embedded broker dies with it (a
failpoint) or alone, and comes back when suture starts again or starts it again.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer

from agents.edges.broker import EmbeddedBroker
from agents.edges.git_repo import GitPipelineRepo
from agents.edges.kafka import KafkaBus, Outgoing, reachable
from core.lifecycle import ProposalRecord
from suture.demo_producer import orders
from tests.integration.test_faults import _eventually, _heal_once, _pending, _Suture

pytestmark = [pytest.mark.kafka, pytest.mark.integration]
SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
MOMENTS = ("proposal_pending", "approved")


async def _send_drift(bootstrap: str) -> None:
    """Orders in version 1, then, once the monitor has learned them, in version 2 (drifted)."""
    v1 = [orjson.dumps(e) for e in orders(60, version=1)]
    v2 = [orjson.dumps(e) for e in orders(40, version=2, start=60)]
    async with KafkaBus(bootstrap) as bus:
        await bus.publish_all([Outgoing("orders", raw) for raw in v1])
        await asyncio.sleep(1.5)
        await bus.publish_all([Outgoing("orders", raw) for raw in v2])


async def _alert_accepted(bootstrap: str) -> None:
    """Wait until the broker has acknowledged an alert (it is on the alerts topic)."""
    consumer = AIOKafkaConsumer(
        "suture.alerts", bootstrap_servers=bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        async with asyncio.timeout(240):
            await consumer.getone()
    finally:
        await consumer.stop()


async def _until(moment: str, suture: _Suture, bootstrap: str) -> ProposalRecord | None:
    """Run the loop up to `moment`; the proposal, once it was approved."""
    await _alert_accepted(bootstrap)
    record = await _eventually(lambda: _pending(suture.workdir), "proposal", suture.log())
    if moment == "proposal_pending":
        return None
    suture.approve(record.proposal_id)
    return record


async def test_an_alert_accepted_but_not_yet_handled_survives_a_broker_kill(
    tmp_path: Path,
) -> None:
    repo = GitPipelineRepo.create(SHOP, tmp_path / "repo")
    broker = await EmbeddedBroker(tmp_path / "broker").astart()
    suture = _Suture(repo.path, tmp_path / "work", broker.bootstrap)
    try:
        suture.start("healer.alert_received")
        await _send_drift(broker.bootstrap)
        # suture dies once it has read the alert, before handling it: the alert is only in the
        # broker (uncommitted) when the broker is killed too.
        assert suture.killed(), f"never reached the failpoint:\n{suture.log()}"
        address = broker.bootstrap
        broker.kill()  # the broker and its object store, by SIGKILL
        await broker.astart()
        assert broker.bootstrap == address
        suture.start()
        await _heal_once(suture, None, repo)
    finally:
        suture.stop()
        broker.stop()


@pytest.mark.parametrize("moment", MOMENTS)
async def test_a_broker_killed_and_restarted_mid_run_loses_no_alert_and_heals_once(
    moment: str, tmp_path: Path
) -> None:
    repo = GitPipelineRepo.create(SHOP, tmp_path / "repo")
    broker = await EmbeddedBroker(tmp_path / "broker").astart()
    suture = _Suture(repo.path, tmp_path / "work", broker.bootstrap)
    try:
        suture.start()
        await _send_drift(broker.bootstrap)
        approved = await _until(moment, suture, broker.bootstrap)
        address = broker.bootstrap
        broker.kill()  # the broker and its object store, by SIGKILL, under a running suture
        await broker.astart()
        assert broker.bootstrap == address
        await _heal_once(suture, approved, repo)
        assert suture.process is not None and suture.process.poll() is None, suture.log()
    finally:
        suture.stop()
        broker.stop()


def _embedded(repo: Path, workdir: Path) -> _Suture:
    """`suture up` on its own embedded broker (its log on disk, the default)."""
    suture = _Suture(repo, workdir, "unused")
    del suture.env["SUTURE_KAFKA_BOOTSTRAP"]
    return suture


def _broker_pid(workdir: Path) -> int:
    return int((workdir / "broker" / "broker.pid").read_text().split()[0])


async def _restarted(suture: _Suture, killed: int) -> int | None:
    """The pid of the broker suture started after `killed` died, once it answers."""
    try:
        pid = _broker_pid(suture.workdir)
    except (OSError, ValueError, IndexError):
        return None  # between the old pidfile's removal and the new one's writing
    bootstrap = _embedded_bootstrap(suture.workdir)
    return pid if pid != killed and await reachable(bootstrap) else None


def _embedded_bootstrap(workdir: Path) -> str:
    port = (workdir / "broker" / "broker.port").read_text().strip()
    return f"127.0.0.1:{port}"


async def test_suture_killed_with_its_embedded_broker_after_reading_an_alert_heals_once(
    tmp_path: Path,
) -> None:
    repo = GitPipelineRepo.create(SHOP, tmp_path / "repo")
    suture = _embedded(repo.path, tmp_path / "work")
    suture.start("healer.alert_received")
    try:
        bootstrap = _embedded_bootstrap(suture.workdir)
        await _send_drift(bootstrap)
        # suture dies by SIGKILL once it has read the alert; its broker dies with it.
        assert suture.killed(), f"never reached the failpoint:\n{suture.log()}"
        suture.start()
        assert _embedded_bootstrap(suture.workdir) == bootstrap  # the same address again
        await _heal_once(suture, None, repo)
    finally:
        suture.stop()


async def test_an_embedded_broker_killed_mid_run_is_restarted_and_heals_once(
    tmp_path: Path,
) -> None:
    repo = GitPipelineRepo.create(SHOP, tmp_path / "repo")
    suture = _embedded(repo.path, tmp_path / "work")
    suture.start()
    try:
        bootstrap = _embedded_bootstrap(suture.workdir)
        await _send_drift(bootstrap)
        approved = await _until("approved", suture, bootstrap)
        pid = _broker_pid(suture.workdir)
        os.kill(pid, signal.SIGKILL)  # suture starts it again on the same port and data
        await _heal_once(suture, approved, repo)
        # The fix may be applied before the broker died; suture notices the death within its
        # watch interval (agents/main.py), so wait for the restart rather than look once.
        await _eventually(lambda: _restarted(suture, pid), "broker restart", suture.log())
        assert suture.process is not None and suture.process.poll() is None, suture.log()
        assert "starting it again" in (suture.workdir.parent / "suture.log").read_text()
        assert _embedded_bootstrap(suture.workdir) == bootstrap  # the same address again
    finally:
        suture.stop()
