"""Runs scenarios through suture's own decision paths and scores them.

Each scenario is isolated: its own knowledge base, proposal book and repository view. Monitors
judge `events.before` (baseline) against `events.after`; the healer answers the alerts exactly as
the live loop does; an approved fix is applied and the patched models replayed on `events.after`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from agents import healer
from agents.core.contracts import Contract, Pipeline
from agents.core.errors import AssistantError
from agents.core.models import (
    DRIFT_KINDS,
    QUALITY_KINDS,
    AlertRaised,
    Detection,
    FixProposed,
    IncidentEscalated,
    ModelPatch,
)
from agents.core.ports import LLM, KnowledgeBase
from agents.edges.kb_fake import InMemoryKnowledgeBase
from evals.scenario import Scenario
from evals.scoring import ScenarioRun, ScenarioScore, score_scenario
from guardrails.replay_gate import validate_patch
from tools.detect_all import detect_all
from tools.lag import LagSample, lag_detections
from tools.replay import run_models


@dataclass
class _Book:
    proposals: dict[str, FixProposed] = field(default_factory=dict)
    incidents: list[IncidentEscalated] = field(default_factory=list)

    async def proposal_for_alert(self, alert_id: str) -> FixProposed | None:
        return self.proposals.get(alert_id)

    async def save_proposal(self, proposal: FixProposed) -> bool:
        return self.proposals.setdefault(proposal.alert_id, proposal) is proposal

    async def save_incident(self, incident: IncidentEscalated) -> bool:
        self.incidents.append(incident)
        return True


@dataclass(frozen=True)
class _Scene:
    """The scenario as the healer's ports see it."""

    scenario: Scenario

    async def snapshot(self) -> tuple[Pipeline, dict[str, Contract]]:
        return self.scenario.pipeline, {self.scenario.contract.dataset: self.scenario.contract}

    async def load_samples(
        self, alert_id: str
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return list(self.scenario.events.before), list(self.scenario.events.after)

    async def open_change(self, proposal: FixProposed) -> tuple[str, str]:
        return f"suture/fix-{proposal.proposal_id[:8]}", proposal.signature


def observe(scenario: Scenario) -> list[Detection]:
    """What the monitors report for the scenario: drift, quality and consumer lag."""
    found = detect_all(scenario.contract, scenario.events.before, scenario.events.after)
    if scenario.lag is not None:
        samples = [
            LagSample(t=s.t, partition=s.partition, end=s.end, committed=s.committed)
            for s in scenario.lag.samples
        ]
        found += lag_detections(samples)
    return found


def _alerts(dataset: str, detections: Sequence[Detection]) -> list[AlertRaised]:
    groups = {
        "drift": [d for d in detections if d.kind in DRIFT_KINDS],
        "quality": [d for d in detections if d.kind in QUALITY_KINDS],
        "lag": [d for d in detections if d.kind == "lag"],
    }
    return [
        AlertRaised(source="suture.eval", category=category, dataset=dataset, detections=found)  # type: ignore[arg-type]
        for category, found in groups.items()
        if found
    ]


async def run_scenario(
    scenario: Scenario, *, llm: LLM | None = None, kb: KnowledgeBase | None = None
) -> ScenarioRun:
    """Observe, heal, apply and replay one scenario; errors are recorded, never raised."""
    started = time.perf_counter()
    calls_before = _calls(llm)
    try:
        run = await _run(scenario, llm, kb or InMemoryKnowledgeBase())
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


async def _run(scenario: Scenario, llm: LLM | None, kb: KnowledgeBase) -> ScenarioRun:
    detections = observe(scenario)
    scene, book = _Scene(scenario), _Book()
    deps = healer.Deps(llm=llm, kb=kb, repo=scene, samples=scene, book=book, sink=scene)
    outcomes: list[FixProposed | IncidentEscalated] = []
    for alert in _alerts(scenario.contract.dataset, detections):
        outcomes += await healer.handle(alert, deps)
    proposals = [o for o in outcomes if isinstance(o, FixProposed)]
    escalated = any(isinstance(o, IncidentEscalated) for o in outcomes)
    outcome = "escalate" if escalated else "fix" if proposals else "no_action"
    mapping: dict[str, str] = {}
    output = None
    for proposal in proposals:
        mapping.update(proposal.mapping.as_dict())
    if proposals and not escalated:
        output = _apply(scenario.pipeline, proposals, scenario)
    return ScenarioRun(
        scenario_id=scenario.id,
        detections=detections,
        outcome=outcome,  # type: ignore[arg-type]
        mapping=mapping,
        validation_passed=all(p.validation.passed for p in proposals) if proposals else None,
        output=output,
        rejects_refused=[
            _refused(scenario, r.model, r.sql) for r in scenario.expect.reject_patches
        ],
        llm_calls=sum(p.llm_calls for p in proposals),
        cache_hits=sum(1 for p in proposals if p.origin == "kb"),
    )


def _apply(
    pipeline: Pipeline, proposals: Sequence[FixProposed], scenario: Scenario
) -> dict[str, list[dict[str, Any]]]:
    """The approved patches merged into the models, replayed on events.after."""
    models = dict(pipeline.models)
    for proposal in proposals:
        models.update({p.model: p.after_sql for p in proposal.patches})
    patched = Pipeline(dialect=pipeline.dialect, models=models)
    contract = scenario.contract
    return run_models(
        patched, {contract.dataset: scenario.events.after}, {contract.dataset: contract}
    )  # type: ignore[return-value]


def _refused(scenario: Scenario, model: str, sql: str) -> bool:
    """True when validation refuses this (plausible but wrong) patch."""
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
        )
    except (AssistantError, OverflowError, ValueError):
        return True  # the patch cannot even be replayed: refused
    return not report.passed


def run_suite(
    scenarios: Sequence[Scenario],
    *,
    parallel: int = 1,
    llm: LLM | None = None,
    warm_kb: KnowledgeBase | None = None,
) -> list[ScenarioScore]:
    """Run and score every scenario, `parallel` at a time (each in its own event loop)."""

    def one(scenario: Scenario) -> ScenarioScore:
        run = asyncio.run(run_scenario(scenario, llm=llm, kb=warm_kb))
        return score_scenario(scenario, run)

    if parallel <= 1:
        return [one(s) for s in scenarios]
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        return list(pool.map(one, scenarios))
