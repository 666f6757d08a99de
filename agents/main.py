"""Composition root: Settings -> adapters -> Deps -> consumer loops and the web endpoint."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import uvicorn
from pydantic import SecretStr

from agents import (
    applier,
    drift_monitor,
    forge_review,
    healer,
    lag_monitor,
    quarantine,
    revalidator,
)
from agents.edges.announce import Announcer
from agents.edges.blobs import FileBlobs
from agents.edges.bounded import BoundedPublisher, original_payload
from agents.edges.broker import EmbeddedBroker, aresolve_bootstrap, ensure_topics
from agents.edges.chroma import build_knowledge_base
from agents.edges.config_audit import record_configuration
from agents.edges.contracts_overlay import ContractsOverlay, dead_letter_broken_contracts
from agents.edges.forge_github import GitHubForge
from agents.edges.forge_gitlab import GitLabForge
from agents.edges.forge_hook import forge_hook_router
from agents.edges.forge_poll import watch_pull_requests
from agents.edges.git_repo import GitPipelineRepo
from agents.edges.group_offsets import GroupOffsets, watch_group
from agents.edges.kafka import (
    Destinations,
    KafkaBus,
    Publisher,
    Route,
    consume,
    consume_batches,
    group_id_for,
    json_decoder,
    make_consumer,
    reachable,
)
from agents.edges.leadership import led
from agents.edges.llm import build_llm
from agents.edges.local_forge import LocalBranches
from agents.edges.outbox import Outbox
from agents.edges.pipeline_files import read_pipeline_dir
from agents.edges.pull_requests import PullRequests
from agents.edges.schema_registry import RegistryDecoder, open_registry
from agents.edges.store import Store, open_store
from agents.edges.storing_bus import StoringBus
from agents.edges.topic_log import KafkaTopicLog
from agents.edges.web import create_app
from agents.edges.web_auth import RoleTokens
from agents.edges.web_deps import WebDeps
from agents.lineage_agent import answer
from agents.runtime import Supervisor
from core.config import ForgeSettings, Settings
from core.contracts import Contract
from core.errors import BrokerError, ConfigError
from core.models import (
    AlertRaised,
    DeadLetter,
    FixApplied,
    FixApproved,
)
from core.ports import LLM, Forge, Merger, ProposalSink, Rebaser
from tools.lineage.graph import build_lineage
from tools.monitoring.dataset_monitor import DatasetMonitor

_log = logging.getLogger(__name__)

CLONE_DIR = "clone"


class _Changes(ProposalSink, Merger, Rebaser, Protocol):
    """Where proposals go, are kept on the default branch's head and approvals are merged: the
    repository, or its pull requests."""


# Which adapter each forge kind uses; `local` has none (agents/edges/local_forge.py).
FORGES: dict[str, Callable[[ForgeSettings], Forge]] = {
    "github": GitHubForge.from_settings,
    "gitlab": GitLabForge.from_settings,
}


def open_repo(settings: Settings, repo_dir: Path) -> GitPipelineRepo:
    """The repository suture works on: always its own clone in the workdir, of SUTURE_GIT_REMOTE
    or, with the local forge, of `repo_dir` (whose working copy is never written)."""
    if settings.git.remote is not None:
        return GitPipelineRepo.clone(settings.git.remote, settings.workdir / CLONE_DIR)
    return LocalBranches.open(repo_dir, settings.workdir / CLONE_DIR).repo


def build_forge(settings: ForgeSettings) -> Forge | None:
    """The configured forge's adapter; None for the local provider."""
    if settings.kind == "local":
        return None
    factory = FORGES.get(settings.kind)
    if factory is None:
        raise ConfigError(
            f"SUTURE_FORGE_KIND={settings.kind!r} has no adapter; use one of "
            f"{sorted(['local', *FORGES])}"
        )
    return factory(settings)


@dataclass
class Running:
    """The live system, as the CLI sees it."""

    settings: Settings
    bootstrap: str
    store: Store
    repo: GitPipelineRepo
    bus: KafkaBus
    url: str
    token: SecretStr
    llm: LLM | None
    contracts: dict[str, Contract]
    broken_contracts: dict[str, str] = field(default_factory=dict)
    token_generated: bool = False
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    supervisor: Supervisor | None = None
    fatal: asyncio.Event = field(default_factory=asyncio.Event)  # set: suture cannot go on
    fatal_reason: str = ""


def _free_port(host: str, port: int) -> int:
    """`port`, or a free one when it is 0 (uvicorn binds it itself: sharing a socket with it
    closed a descriptor twice and broke the next Kafka connection)."""
    if port:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((host, port))
            except OSError as error:
                raise ConfigError(
                    f"web port {port} on {host} is not free ({error.strerror}); set "
                    "SUTURE_WEB_PORT to a free port, or to 0 to let suture pick one"
                ) from error
        return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


async def _ask(
    view: ContractsOverlay, repo_dir: Path, llm: LLM | None, question: str
) -> dict[str, Any]:
    """Answer a lineage question over the repository's main branch as it is now."""
    pipeline, contracts = await view.snapshot()
    files = await asyncio.to_thread(read_pipeline_dir, repo_dir)
    graph = build_lineage(pipeline, contracts, files.exposures)
    return (await answer(question, graph, llm)).model_dump(mode="json")


# Loops that must run once across replicas (the others share partitions through their group).
SINGLETONS = frozenset({"applier", "quarantine", "outbox", "forge_poll", "revalidator"})


async def _watch_broker(
    broker: EmbeddedBroker,
    live: Running,
    interval_s: float = 1.0,
    restarts: int = 3,
    window_s: float = 60.0,
) -> None:
    """If the embedded broker (or its object store) dies: with its log on disk, start it again on
    the same port and data, and clients reconnect (more than `restarts` times in `window_s` is a
    crash loop); in memory every topic is gone and no client can recover. When it cannot go on,
    say so and let the command exit (a supervisor restarts it)."""
    recent: list[float] = []
    while True:
        while broker.running:  # noqa: ASYNC110 (a process, not an event: poll it)
            await asyncio.sleep(interval_s)
        tail = broker.log_tail(5)
        now = time.monotonic()
        recent = [t for t in recent if now - t < window_s] + [now]
        if broker.storage == "disk" and len(recent) <= restarts:
            _log.warning("the embedded Kafka broker exited; starting it again:\n%s", tail)
            await asyncio.to_thread(broker.kill)
            try:
                await broker.astart()
                continue
            except BrokerError as error:
                tail = str(error)
        live.fatal_reason = (
            f"the embedded Kafka broker exited; its log {str(broker.log_path)!r} ends with:\n{tail}"
        )
        _log.error("%s", live.fatal_reason)
        live.fatal.set()
        return


async def _health(live: Running, bootstrap: str) -> dict[str, Any]:
    """What /healthz reports: each agent loop's state, and whether the broker answers."""
    broker_up = await reachable(bootstrap)
    statuses = live.supervisor.statuses.values() if live.supervisor else ()
    loops = {
        s.name: {"state": s.state, "restarts": s.restarts, "last_error": s.last_error}
        for s in statuses
    }
    ok = broker_up and all(s.alive for s in statuses)
    return {"status": "ok" if ok else "down", "broker": broker_up, "loops": loops}


async def _until_started(server: uvicorn.Server, web: asyncio.Task[None]) -> None:
    """Wait (bounded) until uvicorn listens; it exposes no event to wait on, so poll its flag."""
    async with asyncio.timeout(15):
        while not server.started and not web.done():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


def _topics(settings: Settings, contracts: dict[str, Contract]) -> list[str]:
    to = Destinations.from_settings(settings.kafka)
    return to.own_topics() + [t for d in contracts for t in [d, *to.dataset_topics(d)]]


@contextlib.asynccontextmanager
async def running(
    settings: Settings, repo_dir: Path, contracts_dir: Path | None = None
) -> AsyncIterator[Running]:
    """Start broker (if none is configured), store, agents and web; stop every one on exit.

    `contracts_dir` replaces the repository's own contracts/ folder when given.
    """
    settings.workdir.mkdir(parents=True, exist_ok=True)
    bootstrap, broker = await aresolve_bootstrap(
        settings.kafka.bootstrap, settings.workdir, settings.kafka.embedded_storage
    )
    try:
        async with _services(settings, repo_dir, contracts_dir, bootstrap, broker) as live:
            yield live
    finally:
        if broker is not None:
            await asyncio.to_thread(broker.stop)


@contextlib.asynccontextmanager
async def _services(
    settings: Settings,
    repo_dir: Path,
    contracts_dir: Path | None,
    bootstrap: str,
    broker: EmbeddedBroker | None,
) -> AsyncIterator[Running]:
    kafka = settings.kafka
    repo = await asyncio.to_thread(open_repo, settings, repo_dir)
    forge = build_forge(settings.forge)
    pulls = PullRequests(repo, forge, labels=settings.forge.labels) if forge else None
    view = ContractsOverlay(repo, contracts_dir)
    _pipeline, contracts = await view.snapshot()
    await ensure_topics(bootstrap, _topics(settings, contracts), kafka=kafka)
    store = await asyncio.to_thread(open_store, settings.store_url, settings.workdir)
    broken = await dead_letter_broken_contracts(view, store)
    await record_configuration(store, settings)
    bus = KafkaBus(bootstrap, request_timeout_s=kafka.request_timeout_s, kafka=kafka)
    await bus.start()
    try:
        kb = await asyncio.to_thread(build_knowledge_base, settings.workdir / "kb", settings.llm)
        llm = build_llm(settings.llm)
        token = settings.web.reviewer_token or SecretStr(secrets.token_urlsafe(18))
        host = settings.web.host
        port = _free_port(host, settings.web.port)
        live = Running(
            settings,
            bootstrap,
            store,
            repo,
            bus,
            f"http://{host}:{port}",
            token,
            llm,
            contracts,
            broken,
            token_generated=settings.web.reviewer_token is None,
        )

        # Approvals are recorded by the web first; the outbox relays them to the applier.
        outbox = Outbox(store, bus, Destinations.from_settings(kafka), clock=time.monotonic)

        async def external_alert(alert: AlertRaised) -> None:
            await bus.publish(kafka.alerts_topic, alert, key=alert.dataset)

        blobs = FileBlobs(settings.workdir / "blobs")

        async def replay_letter(letter: DeadLetter) -> None:
            source = letter.topic.removesuffix(kafka.dead_letter_suffix)
            await bus.publish_raw(source, original_payload(letter, blobs), letter.key)

        async def release(dataset: str) -> int:
            deps = quarantine.Deps(
                log=KafkaTopicLog(bootstrap, kafka=kafka),
                book=store,
                quarantine_suffix=kafka.quarantine_suffix,
                replay_suffix=kafka.replay_suffix,
                release_blocked=True,
            )
            held, _report = await quarantine.replay_quarantined(dataset, deps, fix="release")
            to = Destinations.from_settings(kafka)
            await publisher.publish_all([to.outgoing(event) for event in held])
            return len(held)

        async def broker_ready() -> None:
            await ensure_topics(bootstrap, [kafka.alerts_topic], timeout_s=3, kafka=kafka)

        async def kb_ready() -> None:
            async with asyncio.timeout(3):
                await kb.lookup("suture.readyz")

        web_settings = settings.web
        app = create_app(
            WebDeps(
                store=store,
                tokens=RoleTokens(
                    viewer=web_settings.viewer_token,
                    reviewer=token,
                    ingest=web_settings.ingest_token,
                    admin=web_settings.admin_token,
                ),
                on_approve=outbox.nudge,
                on_external_alert=external_alert,
                alerts_dead_letter_topic=kafka.alerts_topic + kafka.dead_letter_suffix,
                ask=partial(_ask, view, repo.path, llm),
                on_replay_dead_letter=replay_letter,
                on_release=release,
                quarantine_policies={d: c.on_violation for d, c in contracts.items()},
                pii_fields={d: c.pii_fields for d, c in contracts.items()},
                readiness={"broker": broker_ready, "knowledge_base": kb_ready},
                own_lag=partial(_own_lag, bootstrap, _own_groups(settings, contracts)),
                trusted_hosts=(*web_settings.trusted_hosts, host),
                max_body_bytes=web_settings.max_body_bytes,
                health=partial(_health, live, bootstrap),
            )
        )
        server = uvicorn.Server(
            uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
        )
        publisher = BoundedPublisher(
            StoringBus(bus, store, Announcer(live.url, settings.web.webhook_url)),
            blobs,
            Destinations.from_settings(kafka),
        )
        main_moved = asyncio.Event()  # the applier wakes the revalidator (on this replica)
        changes = pulls or LocalBranches(repo)
        loops = dict(
            _agent_loops(
                settings,
                bootstrap,
                publisher,
                store,
                changes,
                view,
                kb,
                llm,
                contracts,
                broker,
                main_moved,
            )
        )
        loops["outbox"] = outbox.run
        loops["revalidator"] = partial(
            revalidator.run,
            revalidator.Deps(book=store, samples=store, repo=changes, view=view),
            settings.git.revalidate_interval_s,
            main_moved,
        )
        if pulls is not None:
            wake = asyncio.Event()
            if settings.forge.webhook_secret is not None:
                app.include_router(forge_hook_router(settings.forge.webhook_secret, wake.set))
            loops["forge_poll"] = partial(
                watch_pull_requests,
                pulls,
                store,
                forge_review.Deps(book=store, rejections=kb, clock=lambda: datetime.now(UTC)),
                publisher,
                settings.forge.poll_interval_s,
                destinations=Destinations.from_settings(kafka),
                wake=wake,
            )
        # Singletons run on one replica at a time; the others stand by for its lease.
        leases = store.leases(settings.workdir / "leases")
        for name in [n for n in loops if n in SINGLETONS or n.startswith("lag_monitor:")]:
            loops[name] = led(leases, f"{kafka.approvals_topic}:{name}", loops[name])
        if broker is not None:
            loops["embedded_broker"] = partial(_watch_broker, broker, live)
        stop = asyncio.Event()
        live.supervisor = Supervisor(loops)
        supervisor = asyncio.create_task(live.supervisor.run(stop), name="suture.supervisor")
        # uvicorn stops gracefully on should_exit; cancelling it would leak its sockets.
        web = asyncio.create_task(server.serve(), name="suture.web")
        live.tasks += [supervisor, web]
        try:
            await _until_started(server, web)
            if web.done():
                await web  # raises why the web endpoint could not start
            yield live
        finally:
            server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(web, timeout=10)
            stop.set()
            with contextlib.suppress(asyncio.CancelledError):
                await supervisor
    finally:
        await bus.stop()
        await asyncio.to_thread(store.close)


def _own_groups(settings: Settings, contracts: dict[str, Contract]) -> dict[str, list[str]]:
    """suture's own consumer groups and the topics each reads."""
    kafka = settings.kafka
    groups = {
        group_id_for("healer"): [kafka.alerts_topic],
        group_id_for("applier"): [kafka.approvals_topic],
        group_id_for("quarantine"): [kafka.applied_topic],
    }
    for dataset in contracts:
        groups[group_id_for(f"drift_monitor.{dataset}")] = [dataset, kafka.applied_topic]
    return groups


async def _own_lag(bootstrap: str, groups: dict[str, list[str]]) -> dict[str, int]:
    """How many messages each of suture's own groups has not read yet (for /metrics)."""
    lags: dict[str, int] = {}
    for group, topics in groups.items():
        async with GroupOffsets(bootstrap, group, topics=topics, timeout_s=3) as reader:
            offsets = await reader.read()
        lags[group] = sum(max(0, o.end - (o.committed or 0)) for o in offsets)
    return lags


def _agent_loops(
    settings: Settings,
    bootstrap: str,
    publisher: Publisher,
    store: Store,
    repo: _Changes,
    view: ContractsOverlay,
    kb: Any,
    llm: LLM | None,
    contracts: dict[str, Contract],
    broker: EmbeddedBroker | None,
    main_moved: asyncio.Event,
) -> dict[str, Any]:
    """The routes: which topics each agent reads, and its handler. Where each agent's output
    goes is the Destinations table's to say; no agent names a topic."""
    kafka = settings.kafka
    to = Destinations.from_settings(kafka)
    options = dict(getattr(EmbeddedBroker, "CONSUMER_OPTIONS", {})) if broker else {}

    def consumer(topics: list[str], module: str) -> Any:
        return make_consumer(bootstrap, topics, group_id_for(module), kafka, **options)

    healer_deps = healer.Deps(llm=llm, kb=kb, repo=view, samples=store, book=store, sink=repo)
    applier_deps = applier.Deps(
        book=store, repo=repo, kb=kb, clock=lambda: datetime.now(UTC), on_moved=main_moved.set
    )
    replay_deps = quarantine.Deps(
        log=KafkaTopicLog(bootstrap, kafka=kafka),
        book=store,
        quarantine_suffix=kafka.quarantine_suffix,
        replay_suffix=kafka.replay_suffix,
    )
    single: dict[str, tuple[str, Route[Any]]] = {
        "healer": (
            kafka.alerts_topic,
            Route(
                kafka.alerts_topic,
                json_decoder(AlertRaised),
                partial(healer.handle, deps=healer_deps),
                to,
            ),
        ),
        "applier": (
            kafka.approvals_topic,
            Route(
                kafka.approvals_topic,
                json_decoder(FixApproved),
                partial(applier.handle, deps=applier_deps),
                to,
            ),
        ),
        "quarantine": (
            kafka.applied_topic,
            Route(
                kafka.applied_topic,
                json_decoder(FixApplied),
                partial(quarantine.handle, deps=replay_deps),
                to,
            ),
        ),
    }
    # Each loop makes its consumer when it (re)starts: a stopped consumer cannot start again.
    loops: dict[str, Any] = {
        name: _restartable(consume, partial(consumer, [topic], name), route, publisher)
        for name, (topic, route) in single.items()
    }
    registry = open_registry(settings.registry)
    for contract in contracts.values():
        deps = drift_monitor.Deps(
            monitor=DatasetMonitor(contract, source=drift_monitor.SOURCE),
            ledger=store,
            clock=time.time,
            decoder=None
            if registry is None
            else RegistryDecoder(registry, framed_topics=settings.registry.topics),
        )
        fixes = Route(
            kafka.applied_topic,
            json_decoder(FixApplied),
            partial(drift_monitor.handle_fix, deps=deps),
            to,
        )
        name = f"drift_monitor.{contract.dataset}"
        loops[f"drift_monitor:{contract.dataset}"] = _restartable(
            consume_batches,
            partial(consumer, [contract.dataset, kafka.applied_topic], name),
            partial(drift_monitor.handle_batch, deps=deps),
            publisher,
            destinations=to,
            events={kafka.applied_topic: fixes},
            on_idle=partial(drift_monitor.check_silence, deps=deps),
        )
    loops.update(_lag_loops(settings, bootstrap, publisher, store, to, sorted(contracts)))
    return loops


def _restartable(
    loop: Callable[..., Awaitable[int]], make_consumer: Callable[[], Any], *args: Any, **kw: Any
) -> Callable[[], Awaitable[int]]:
    """A loop the supervisor can run again after a crash, with a new consumer each time."""

    async def run() -> int:
        return await loop(make_consumer(), *args, **kw)

    return run


def _lag_loops(
    settings: Settings,
    bootstrap: str,
    publisher: Publisher,
    store: Store,
    to: Destinations,
    datasets: Sequence[str],
) -> dict[str, Any]:
    """One lag monitor per watched consumer group (none when no group is configured), each
    reading the offsets of `lag.topics`, or of the contracted topics and their replays."""
    lag = settings.lag
    topics = lag.topics or tuple(t for d in datasets for t in (d, d + to.replay_suffix))
    loops: dict[str, Any] = {}
    for group in lag.groups:
        deps = lag_monitor.Deps(
            group=group,
            book=store,
            clock=time.time,
            window=lag.window,
            link_lookback_s=lag.link_lookback_s,
        )
        loops[f"lag_monitor:{group}"] = partial(
            watch_group,
            bootstrap,
            deps,
            publisher,
            lag.interval_s,
            destinations=to,
            topics=topics,
            kafka=settings.kafka,
        )
    return loops
