"""Runs one scenario through the live loop: real broker, agents, store, web approval, git merge.

Each scenario gets a temporary workdir holding a git pipeline repository written from the
scenario, the SQLite store, the chromadb knowledge base, and an embedded broker of its own.
`events.before` is produced and consumed (the monitors learn their baseline), then
`events.after`; the runner waits until the monitor group has committed the data topic and the
healer group the alerts topic, approves every proposal over HTTP and replays the merged models.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, Literal, TypeVar

import httpx
import orjson
import yaml
from aiokafka import AIOKafkaProducer, TopicPartition

from agents.edges import kafka_client
from agents.edges.chroma import build_knowledge_base
from agents.edges.git_repo import GitPipelineRepo
from agents.edges.kafka import group_id_for
from agents.main import Running, running
from core.config import KafkaSettings, LLMSettings, Settings, WebSettings
from core.errors import AssistantError
from core.lifecycle import ProposalRecord
from core.models import AlertRaised, Detection, FixProposed
from core.ports import VerifiedFix
from evals.runner import observe_lag, reject_verdicts, replay_output, with_source
from evals.scenario import Scenario
from evals.scoring import ScenarioRun, ScenarioScore, score_scenario

T = TypeVar("T")
KbMode = Literal["empty", "warm"]
LAG_SOURCE = "suture.eval.lag_samples"
_POLL_S = 0.02
_CALL_TIMEOUT_S = 10.0  # one broker call; a scenario as a whole gets twice its own timeout


class LiveRunError(AssistantError):
    """A live scenario run did not reach the state it waited for."""


def write_pipeline(scenario: Scenario, target: Path) -> Path:
    """Write the scenario's pipeline as a repository folder: pipeline.yaml, models, contracts."""
    (target / "models").mkdir(parents=True)
    (target / "contracts").mkdir()
    manifest = {"name": scenario.id, "dialect": scenario.pipeline.dialect}
    (target / "pipeline.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    for name, sql in scenario.pipeline.models.items():
        (target / "models" / f"{name}.sql").write_text(sql, encoding="utf-8")
    contract = scenario.contract.model_dump(mode="json", exclude_none=True)
    (target / "contracts" / f"{scenario.contract.dataset}.yaml").write_text(
        yaml.safe_dump(contract, sort_keys=False), encoding="utf-8"
    )
    return target


async def _until(what: str, check: Callable[[], Awaitable[T | None]], deadline: float) -> T:
    while (found := await check()) is None:
        if time.monotonic() > deadline:
            raise LiveRunError(f"timed out waiting for {what}; raise --timeout if the run is slow")
        await asyncio.sleep(_POLL_S)
    return found


async def _produce(producer: AIOKafkaProducer, topic: str, events: Sequence[Any]) -> int:
    """Send `events` as one batch; return the offset after the last one (from the acks)."""
    sends = [await producer.send(topic, orjson.dumps(e)) for e in events]
    metadata = await asyncio.gather(*sends)
    return int(max(m.offset for m in metadata)) + 1


class _Offsets:
    """Reads a group's committed offset without joining the group (no subscription)."""

    def __init__(self, kafka: KafkaSettings, bootstrap: str, group: str) -> None:
        self._consumer = kafka_client.consumer(
            kafka, bootstrap, role="eval.offsets", group_id=group
        )

    async def __aenter__(self) -> _Offsets:
        await self._consumer.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._consumer.stop()

    async def committed(self, topic: str) -> int:
        """The next offset the group reads from partition 0 of `topic` (0 before any commit)."""
        async with asyncio.timeout(_CALL_TIMEOUT_S):
            return await self._consumer.committed(TopicPartition(topic, 0)) or 0

    async def reached(self, topic: str, offset: int) -> bool | None:
        """True once the group committed `offset` or beyond; None before (for `_until`)."""
        return True if await self.committed(topic) >= offset else None


async def _feed(live: Running, scenario: Scenario, monitor: str, deadline: float) -> None:
    """Produce events.before, wait until the monitor learned them, then events.after likewise."""
    topic = scenario.contract.dataset
    kafka = live.settings.kafka
    producer = kafka_client.producer(kafka, live.bootstrap, "eval.producer")
    await producer.start()
    try:
        async with _Offsets(kafka, live.bootstrap, monitor) as offsets:
            for name, events in (
                ("before", scenario.events.before),
                ("after", scenario.events.after),
            ):
                end = await _produce(producer, topic, events)
                await _until(
                    f"the monitor to consume events.{name}",
                    partial(offsets.reached, topic, end),
                    deadline,
                )
    finally:
        await producer.stop()


async def _lag_alert(live: Running, scenario: Scenario) -> int:
    """Raise the lag alert the lag monitor would raise for the scenario's samples; 1 if raised."""
    found = observe_lag(scenario)
    if not found or scenario.lag is None:
        return 0
    alert = AlertRaised(
        source=LAG_SOURCE, category="lag", dataset=scenario.lag.topic, detections=found
    )
    await live.store.save_samples(alert.event_id, scenario.lag.topic, [], [])
    await live.store.save_alert(alert)
    await live.bus.publish(live.settings.kafka.alerts_topic, alert, key=alert.dataset)
    return 1


async def _approve(live: Running, records: Sequence[ProposalRecord], deadline: float) -> None:
    """Approve every pending proposal over HTTP as a reviewer does; wait until each is applied.

    A fix applied before another moves the default branch: the other is revalidated on the new
    head and comes back to review (core/lifecycle.py: stale), so it is approved again."""
    headers = {"Authorization": f"Bearer {live.token.get_secret_value()}"}
    async with httpx.AsyncClient(base_url=live.url, headers=headers, timeout=10) as client:
        for record in records:
            proposal_id = record.proposal.proposal_id

            async def settled(proposal_id: str = proposal_id) -> str | None:
                status = (await live.store.get_proposal(proposal_id)).status
                if status == "pending":
                    answer = await client.post(f"/api/proposals/{proposal_id}/approve")
                    if answer.status_code not in (200, 409):  # 409: it moved meanwhile
                        raise LiveRunError(
                            f"approving {proposal_id!r} answered {answer.status_code}: "
                            f"{answer.text}"
                        )
                return status if status in ("applied", "failed", "rejected") else None

            status = await _until(f"proposal {proposal_id!r} to be applied", settled, deadline)
            if status != "applied":
                raise LiveRunError(f"proposal {proposal_id!r} ended {status!r}, not applied")


async def _drive(
    live: Running, scenario: Scenario, deadline: float
) -> tuple[ScenarioRun, list[str]]:
    """Produce, wait for quiescence, approve; the run and the signatures of the applied fixes."""
    kafka, dataset = live.settings.kafka, scenario.contract.dataset
    await _feed(live, scenario, group_id_for(f"drift_monitor.{dataset}"), deadline)
    await _lag_alert(live, scenario)
    alerts = await live.store.list_alerts()
    async with _Offsets(kafka, live.bootstrap, group_id_for("healer")) as healer_offsets:
        await _until(
            "the healer to answer every alert",
            partial(healer_offsets.reached, kafka.alerts_topic, len(alerts)),
            deadline,
        )
    records = await live.store.list_proposals()
    incidents = await live.store.list_incidents()
    proposals: list[FixProposed] = [r.proposal for r in records]
    outcome = "escalate" if incidents else "fix" if proposals else "no_action"
    output = None
    patched: dict[str, str] = {}
    if proposals and not incidents:
        await _approve(live, records, deadline)
        merged = await asyncio.to_thread(live.repo.read_models)
        output = replay_output(scenario, merged)
        patched = {
            name: sql
            for name, sql in merged.items()
            if sql.strip() != scenario.pipeline.models.get(name, "").strip()
        }
    mapping: dict[str, str] = {}
    for proposal in proposals:
        mapping.update(proposal.mapping.as_dict())
    detections: list[Detection] = [d for a in alerts for d in a.detections]
    adapter_calls = getattr(live.llm, "calls", None)
    run = ScenarioRun(
        scenario_id=scenario.id,
        detections=detections,
        outcome=outcome,
        mapping=mapping,
        validation_passed=all(p.validation.passed for p in proposals) if proposals else None,
        output=output,
        patched_models=patched,
        llm_calls=max(
            sum(p.llm_calls for p in proposals),
            len(adapter_calls) if isinstance(adapter_calls, list) else 0,
        ),
        cache_hits=sum(1 for p in proposals if p.origin == "kb"),
    )
    return run, [p.signature for p in proposals] if output is not None else []


async def run_live_scenario(
    scenario: Scenario,
    *,
    llm: LLMSettings | None = None,
    kb_dir: Path | None = None,
    timeout_s: float = 60.0,
    keep: Path | None = None,
    learned: list[VerifiedFix] | None = None,
) -> ScenarioRun:
    """Run one scenario through the live loop; errors are recorded in the run, never raised.

    `kb_dir` is copied in as the starting knowledge base (warm); `keep` keeps the workdir there;
    `learned` receives the fixes the applier recorded in the scenario's knowledge base.
    """
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(
            prefix=f"suture-eval-{scenario.id}-", ignore_cleanup_errors=True
        ) as temporary:
            workdir = keep or Path(temporary)
            settings = llm or LLMSettings()
            # Bounds everything, the start and stop of the live system included.
            async with asyncio.timeout(2 * timeout_s):
                run, applied = await _run_in(workdir, scenario, settings, kb_dir, timeout_s)
            if learned is not None:
                learned += await _recorded(workdir / "kb", settings, applied)
    except TimeoutError:
        why = f"the live system did not start, run and stop within {2 * timeout_s:g}s"
        run = ScenarioRun(scenario_id=scenario.id, error=f"{why}; raise --timeout if it is slow")
    except Exception as error:  # one broken scenario must not stop the suite; it is reported
        run = ScenarioRun(scenario_id=scenario.id, error=f"{type(error).__name__}: {error}")
    if run.error is None:
        run = run.model_copy(update={"rejects": reject_verdicts(scenario)})
    return run.model_copy(update={"wall_seconds": time.perf_counter() - started})


async def _recorded(kb_dir: Path, llm: LLMSettings, signatures: list[str]) -> list[VerifiedFix]:
    """The verified fixes the applier recorded (read back from the scenario's knowledge base)."""
    if not signatures:
        return []
    kb = await asyncio.to_thread(build_knowledge_base, kb_dir, llm)
    found = [await kb.lookup(signature) for signature in signatures]
    return [fix for fix in found if fix is not None]


async def _run_in(
    workdir: Path, scenario: Scenario, llm: LLMSettings, kb_dir: Path | None, timeout_s: float
) -> tuple[ScenarioRun, list[str]]:
    template = await asyncio.to_thread(write_pipeline, scenario, workdir / "pipeline")
    if kb_dir is not None:
        await asyncio.to_thread(shutil.copytree, kb_dir, workdir / "kb")
    repo = await asyncio.to_thread(GitPipelineRepo.create, template, workdir / "repo")
    # Built without reading the environment: a SUTURE_KAFKA_BOOTSTRAP set for the live system
    # must never send eval events to a real cluster. No bootstrap: `running` starts an embedded
    # broker of the scenario's own (with the short group sessions that broker allows).
    settings = Settings.model_construct(
        workdir=workdir, kafka=KafkaSettings(), llm=llm, web=WebSettings()
    )
    deadline = time.monotonic() + timeout_s
    async with running(settings, repo.path) as live:
        return await _drive(live, scenario, deadline)


def run_live_suite(
    scenarios: Sequence[Scenario],
    *,
    parallel: int = 1,
    llm: LLMSettings | None = None,
    kb: KbMode = "empty",
    kb_dir: Path | None = None,
    timeout_s: float = 60.0,
    sources: Mapping[str, Path] | None = None,
) -> list[ScenarioScore]:
    """Run and score every scenario live, `parallel` at a time (threads, one event loop each).

    `kb="warm"` starts every scenario with the verified fixes in `kb_dir`; when that folder is
    missing or empty, a first (cold) pass of the suite records them there (or in a temporary
    folder) and the scores are those of the second, warm pass. `sources` (scenario id -> file)
    names the file in a scenario's error.
    """
    settings = llm or LLMSettings()
    if kb == "empty":
        return _live_pass(scenarios, parallel, settings, None, timeout_s, None, sources)
    with tempfile.TemporaryDirectory(prefix="suture-eval-kb-") as temporary:
        warm = kb_dir or Path(temporary)
        if not (warm.is_dir() and any(warm.iterdir())):
            learned: list[VerifiedFix] = []
            _live_pass(scenarios, parallel, settings, None, timeout_s, learned, sources)
            asyncio.run(record_fixes(warm, settings, learned))
        return _live_pass(scenarios, parallel, settings, warm, timeout_s, None, sources)


async def record_fixes(kb_dir: Path, llm: LLMSettings, fixes: Sequence[VerifiedFix]) -> None:
    """Write verified fixes into the chromadb knowledge base at `kb_dir` (created if missing)."""
    await asyncio.to_thread(kb_dir.mkdir, parents=True, exist_ok=True)
    kb = await asyncio.to_thread(build_knowledge_base, kb_dir, llm)
    for fix in fixes:
        await kb.record(fix)


def _live_pass(
    scenarios: Sequence[Scenario],
    parallel: int,
    llm: LLMSettings,
    kb_dir: Path | None,
    timeout_s: float,
    learned: list[VerifiedFix] | None,
    sources: Mapping[str, Path] | None,
) -> list[ScenarioScore]:
    def one(scenario: Scenario) -> ScenarioScore:
        run = asyncio.run(
            run_live_scenario(
                scenario, llm=llm, kb_dir=kb_dir, timeout_s=timeout_s, learned=learned
            )
        )
        return score_scenario(scenario, with_source(run, sources))

    if parallel <= 1:
        return [one(s) for s in scenarios]
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        return list(pool.map(one, scenarios))
