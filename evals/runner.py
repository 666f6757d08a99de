"""Runs scenarios in process through suture's decision paths (`suture eval --fast`); scores them.

Each scenario is isolated: its own knowledge base, proposal book and repository view. Monitors
judge `events.before` (baseline) against `events.after`; the healer answers the alerts exactly as
the live loop does; an approved fix is applied and the patched models replayed on `events.after`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from agents import healer
from agents.edges.kb_fake import InMemoryKnowledgeBase
from agents.edges.store_fake import InMemoryStore
from core.contracts import Contract, Pipeline
from core.errors import AssistantError
from core.models import (
    AlertRaised,
    Detection,
    FixProposed,
    IncidentEscalated,
    ModelPatch,
)
from core.ports import LLM, KnowledgeBase, VerifiedFix
from evals.run_record import RejectVerdict
from evals.scenario import Scenario
from evals.scoring import ScenarioRun, ScenarioScore, score_scenario
from guardrails.replay_gate import validate_patch
from tools.monitoring.dataset_monitor import alert_groups
from tools.monitoring.detect_all import detect_all
from tools.monitoring.lag import LagSample, lag_detections
from tools.sql.replay import run_models


@dataclass(frozen=True)
class _Scene:
    """The scenario as the healer's ports see it."""

    scenario: Scenario

    async def snapshot(self) -> tuple[Pipeline, dict[str, Contract]]:
        return self.scenario.pipeline, {self.scenario.contract.dataset: self.scenario.contract}

    async def revision(self) -> str | None:
        return None  # the scenario is no repository

    async def open_change(self, proposal: FixProposed) -> tuple[str, str]:
        return f"suture/fix-{proposal.proposal_id[:8]}", proposal.signature


def observe(scenario: Scenario) -> list[Detection]:
    """What the monitors report for the scenario: drift, quality and consumer lag."""
    found = detect_all(scenario.contract, scenario.events.before, scenario.events.after)
    return found + observe_lag(scenario)


def observe_lag(scenario: Scenario) -> list[Detection]:
    """Burrow's statuses over the scenario's (synthetic) lag samples; [] without a lag section."""
    if scenario.lag is None:
        return []
    samples = [
        LagSample(t=s.t, partition=s.partition, end=s.end, committed=s.committed)
        for s in scenario.lag.samples
    ]
    return lag_detections(samples)


def _alerts(dataset: str, detections: Sequence[Detection]) -> list[AlertRaised]:
    """The alerts the monitors raise for these detections, grouped as they group them."""
    return [
        AlertRaised(source="suture.eval", category=category, dataset=dataset, detections=found)
        for category, found in alert_groups(detections)
    ]


async def run_scenario(
    scenario: Scenario,
    *,
    llm: LLM | None = None,
    kb: KnowledgeBase | None = None,
    learned: list[VerifiedFix] | None = None,
) -> ScenarioRun:
    """Observe, heal, apply and replay one scenario; errors are recorded, never raised.

    `learned` receives the fixes applied, as the applier would record them.
    """
    started = time.perf_counter()
    calls_before = _calls(llm)
    try:
        run = await _run(scenario, llm, kb or InMemoryKnowledgeBase(), learned)
    except Exception as error:  # one broken scenario must not stop the suite; it is reported
        run = ScenarioRun(scenario_id=scenario.id, error=f"{type(error).__name__}: {error}")
    return run.model_copy(
        update={
            "wall_seconds": time.perf_counter() - started,
            "llm_calls": max(run.llm_calls, _calls(llm) - calls_before),
        }
    )


def _calls(llm: LLM | None) -> int:
    calls = getattr(llm, "calls", 0)
    return len(calls) if isinstance(calls, list) else int(calls or 0)


async def _run(
    scenario: Scenario, llm: LLM | None, kb: KnowledgeBase, learned: list[VerifiedFix] | None
) -> ScenarioRun:
    detections = observe(scenario)
    scene, store = _Scene(scenario), InMemoryStore()
    deps = healer.Deps(llm=llm, kb=kb, repo=scene, samples=store, book=store, sink=scene)
    outcomes: list[FixProposed | IncidentEscalated] = []
    for alert in _alerts(scenario.contract.dataset, detections):
        # The monitor keeps the conforming and the changed events with every alert it raises.
        events = scenario.events
        await store.save_samples(alert.event_id, alert.dataset, events.before, events.after)
        outcomes += await healer.handle(alert, deps)
    proposals = [o for o in outcomes if isinstance(o, FixProposed)]
    escalated = any(isinstance(o, IncidentEscalated) for o in outcomes)
    outcome = "escalate" if escalated else "fix" if proposals else "no_action"
    mapping: dict[str, str] = {}
    output = None
    patched: dict[str, str] = {}
    for proposal in proposals:
        mapping.update(proposal.mapping.as_dict())
    if proposals and not escalated:
        for proposal in proposals:
            patched.update({p.model: p.after_sql for p in proposal.patches})
        output = replay_output(scenario, {**scenario.pipeline.models, **patched})
        if learned is not None:
            learned += [
                VerifiedFix.from_proposal(p, applied_at=datetime.now(UTC)) for p in proposals
            ]
    return ScenarioRun(
        scenario_id=scenario.id,
        detections=detections,
        outcome=outcome,
        mapping=mapping,
        validation_passed=all(p.validation.passed for p in proposals) if proposals else None,
        output=output,
        patched_models=patched,
        rejects=reject_verdicts(scenario),
        llm_calls=sum(p.llm_calls for p in proposals),
        cache_hits=sum(1 for p in proposals if p.origin == "kb"),
    )


def replay_output(scenario: Scenario, models: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """What `models` (the pipeline after the fix) produce from events.after."""
    patched = Pipeline(dialect=scenario.pipeline.dialect, models=models)
    contract = scenario.contract
    return run_models(
        patched, {contract.dataset: scenario.events.after}, {contract.dataset: contract}
    )


def reject_verdicts(scenario: Scenario) -> list[RejectVerdict]:
    """What validation says about each of the scenario's reject patches."""
    return [reject_verdict(scenario, r.model, r.sql) for r in scenario.expect.reject_patches]


def reject_verdict(scenario: Scenario, model: str, sql: str) -> RejectVerdict:
    """Whether validation refuses this (plausible but wrong) patch, and which check did."""
    pipeline, contract = scenario.pipeline, scenario.contract
    patch = ModelPatch(
        model=model,
        dialect=pipeline.dialect,
        before_sql=pipeline.models.get(model, ""),
        after_sql=sql,
    )
    try:
        report = validate_patch(
            pipeline,
            [patch],
            {contract.dataset: contract},
            scenario.events.before,
            scenario.events.after,
            dataset=contract.dataset,
            mapping=None,
        )
    except (AssistantError, OverflowError, ValueError) as error:
        # The patch cannot even be replayed: refused.
        return RejectVerdict(refused=True, check=f"replay ({type(error).__name__})")
    failed = report.failures()
    if report.passed:
        return RejectVerdict(refused=False)
    return RejectVerdict(refused=True, check=failed[0].name if failed else "no checks ran")


def with_source(run: ScenarioRun, sources: Mapping[str, Path] | None) -> ScenarioRun:
    """The run, its error (if any) prefixed with the scenario's file."""
    path = (sources or {}).get(run.scenario_id)
    if run.error is None or path is None:
        return run
    return run.model_copy(update={"error": f"{path}: {run.error}"})


def run_suite(
    scenarios: Sequence[Scenario],
    *,
    parallel: int = 1,
    llm: LLM | None = None,
    kb: Literal["empty", "warm"] = "empty",
    sources: Mapping[str, Path] | None = None,
) -> list[ScenarioScore]:
    """Run and score every scenario in process, `parallel` at a time (each in its own loop).

    `kb="warm"`: a first, cold pass records the fixes it applies in one knowledge base, and the
    scores are those of a second pass that starts from it. `sources` (scenario id -> file)
    names the file in a scenario's error.
    """
    shared: KnowledgeBase | None = None
    if kb == "warm":
        learned: list[VerifiedFix] = []
        _pass(scenarios, parallel, llm, None, learned, sources)
        shared = InMemoryKnowledgeBase()
        for fix in learned:
            asyncio.run(shared.record(fix))
    return _pass(scenarios, parallel, llm, shared, None, sources)


def _pass(
    scenarios: Sequence[Scenario],
    parallel: int,
    llm: LLM | None,
    kb: KnowledgeBase | None,
    learned: list[VerifiedFix] | None,
    sources: Mapping[str, Path] | None,
) -> list[ScenarioScore]:
    def one(scenario: Scenario) -> ScenarioScore:
        run = asyncio.run(run_scenario(scenario, llm=llm, kb=kb, learned=learned))
        return score_scenario(scenario, with_source(run, sources))

    if parallel <= 1:
        return [one(s) for s in scenarios]
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        return list(pool.map(one, scenarios))
