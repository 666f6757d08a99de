"""Turns a drift alert into a validated fix proposal, an escalation, or nothing to do.

Order of evidence: the verified-fix cache (no model call), the deterministic mapping engine,
then the LLM when one is configured and the rules could not decide. Every candidate patch is
validated by replay and the contract's invariants before a human ever sees it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from agents import supersede
from agents.enum_recode import recode
from agents.escalation import (
    candidates,
    escalate,
    refused_by_validation,
    undecided,
    why_undecided,
)
from agents.mapping_llm import ask_llm
from agents.proposal_text import describe_proposal, describe_revision
from core.contracts import Contract, Pipeline
from core.failpoints import failpoint
from core.lifecycle import ProposalRecord
from core.models import (
    DRIFT_KINDS,
    AlertRaised,
    CheckResult,
    Detection,
    FixProposed,
    IncidentEscalated,
    ModelPatch,
    Origin,
    SchemaMapping,
    ValidationReport,
    proposal_id_for,
)
from core.ports import LLM, AlertStore, KnowledgeBase, PipelineView, ProposalSink, ProposalStore
from guardrails.replay_gate import validate_patch
from tools.contracts.evolution import evolve_contract
from tools.dbt.source_yaml import contract_file_for
from tools.dbt.writeback import WritebackError, templated_patches
from tools.healing.currencies import minor_unit_changed
from tools.healing.harm import (
    change_absorbed,
    invariants_broken,
    new_values_flow_through,
    repeated_keys_absorbed,
)
from tools.healing.mapping import MappingInference, infer_mapping
from tools.healing.recipe_plan import RecipePlan, plan_recipes
from tools.healing.recipes import apply_recipe
from tools.healing.recode import known_domain
from tools.lineage.fields_read import fields_read
from tools.lineage.graph import LineageGraph, build_lineage
from tools.sql.patch import apply_mapping

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deps:
    """What the healer needs: ports and nothing else."""

    llm: LLM | None
    kb: KnowledgeBase
    repo: PipelineView
    samples: AlertStore
    book: ProposalStore
    sink: ProposalSink


Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Case:
    """Everything the healer knows of one alert, gathered once and passed along whole."""

    alert: AlertRaised
    pipeline: Pipeline
    contracts: dict[str, Contract]
    contract: Contract
    graph: LineageGraph
    used: frozenset[str]  # the contract's fields some model reads
    before: Rows = field(default_factory=list)
    after: Rows = field(default_factory=list)
    pending: ProposalRecord | None = None  # suture's open proposal on the topic, superseded
    base: str | None = None  # the default branch's commit the pipeline was read at
    # The detections a mapping must answer, when recipes answered the others.
    focus: tuple[Detection, ...] | None = None

    @property
    def drift(self) -> list[Detection]:
        """The alert's drift detections (quality and lag ones aside), or the focus."""
        found = self.alert.detections if self.focus is None else self.focus
        return [d for d in found if d.kind in DRIFT_KINDS]


@dataclass(frozen=True)
class Inferred:
    """A mapping and where it came from: the verified-fix cache, the rules, or the model."""

    inference: MappingInference
    origin: Origin = "rules"
    llm_calls: int = 0


async def handle(alert: AlertRaised, deps: Deps) -> list[FixProposed | IncidentEscalated]:
    """Heal one alert; idempotent: an alert already answered yields no second proposal."""
    failpoint("healer.alert_received")
    answered = await deps.book.proposal_for_alert(alert.event_id)
    if answered is not None:
        _log.info("alert already has a proposal", extra={"event_id": alert.event_id})
        await supersede.finish(answered, deps.book)  # a crash may have left it undone
        return []
    if alert.category == "lag" and alert.related_alert_ids:
        return []  # a consumer stalled by a change whose own alert is healed (agents/lag_monitor)
    pending, alert = await supersede.pending_for(alert, deps.book, deps.samples)
    base = await deps.repo.revision()  # before the snapshot: a commit it is no older than
    pipeline, contracts = await deps.repo.snapshot()
    contract = contracts.get(alert.dataset)
    if contract is None:
        return [escalate(alert, f"no contract for topic {alert.dataset!r}; cannot reason about it")]
    graph = build_lineage(pipeline, contracts)
    used = fields_read(contract, graph)
    case = Case(alert, pipeline, contracts, contract, graph, used, pending=pending, base=base)
    harmful = [d for d in alert.detections if _reaches_models(d, used)]
    if alert.category != "drift" or any(d.kind not in _MAPPABLE for d in harmful):
        harmful = await _not_absorbed(case, harmful, deps.samples)
        if not harmful:
            return []  # nothing any model reads is affected
    if alert.category != "drift" or any(d.kind not in _MAPPABLE for d in harmful):
        before, after = await deps.samples.load_samples(alert.event_id)
        if all(d.kind == "enum_new_value" for d in harmful):
            return await _recode(replace(case, before=before, after=after), harmful, deps)
        planned = plan_recipes(
            harmful, case.contract, case.pipeline, replace(case, before=before, after=after)
        )
        if planned.covers_all:
            outcome = await _propose(
                replace(case, before=before, after=after),
                Inferred(MappingInference(mapping=planned.mapping)),
                deps,
                planned.patches,
            )
            return [outcome] if outcome is not None else []
        if planned.answers_some and all(d.kind in _MAPPABLE for d in planned.unanswered):
            return await _map_the_rest(replace(case, before=before, after=after), planned, deps)
        found = "; ".join(f"{d.kind} of {d.field or alert.dataset}" for d in harmful)
        why = f" ({'; '.join(planned.refusals)})" if planned.refusals else ""
        return [escalate(alert, f"a human must decide: {found} reaches the models{why}")]
    before, after = await deps.samples.load_samples(alert.event_id)
    case = replace(case, before=before, after=after)
    inferred = await _infer(case, deps)
    inference = inferred.inference
    if undecided(inference):
        return [
            escalate(
                alert,
                why_undecided(inference),
                candidates(inference),
                inferred.llm_calls,
                inference.refused,
            )
        ]
    if not inference.mapping.entries and not _models_read_new_fields(case):
        return []  # compatible change: nothing the models read is affected
    if _casts_absorb(case, inference):
        return []  # compatible change: the models' casts already read the new representation
    outcome = await _propose(case, inferred, deps)
    return [outcome] if outcome is not None else []


async def _infer(case: Case, deps: Deps) -> Inferred:
    """The verified-fix cache first (no rules, no model call), then the rules, then the model."""
    cached = await deps.kb.lookup(case.alert.signature())
    if cached is not None:
        return Inferred(MappingInference(mapping=cached.mapping), origin="kb")
    inference = infer_mapping(case.drift, case.contract, set(case.used), case.before, case.after)
    if not undecided(inference) or deps.llm is None:
        return Inferred(inference)
    drafted = await ask_llm(deps.llm, case.alert, inference, case.contract, deps.kb)
    if drafted is None:
        return Inferred(inference, llm_calls=1)
    return Inferred(drafted, origin="llm", llm_calls=1)


async def _propose(
    case: Case, inferred: Inferred, deps: Deps, made: Sequence[ModelPatch] = ()
) -> FixProposed | IncidentEscalated | None:
    """Patch, validate and open a change; `made` are patches a recipe already wrote."""
    alert, contract, mapping = case.alert, case.contract, inferred.inference.mapping
    evolved = evolve_contract(contract, case.drift)
    new_contract = evolved if evolved != contract else None
    patches = _merged(apply_mapping(case.pipeline, alert.dataset, mapping, contract), made)
    if not patches and new_contract is None:
        return None  # the models already read the new events and the contract says so
    if patches:
        failpoint("healer.validating")
        report = validate_patch(
            case.pipeline,
            patches,
            case.contracts,
            case.before,
            case.after,
            dataset=alert.dataset,
            mapping=mapping,
        )
    else:
        report = ValidationReport(
            checks=[
                CheckResult(
                    name="models",
                    passed=True,
                    detail="the models already read the new events; only the contract changes",
                )
            ]
        )
    if not report.passed:
        failed = "; ".join(f"{c.name}: {c.detail}" for c in report.failures())
        return escalate(
            alert,
            f"the best patch failed validation ({failed})",
            [f"{k} -> {v}" for k, v in mapping.as_dict().items()],
            inferred.llm_calls,
            [*inferred.inference.refused, *refused_by_validation(mapping, report)],
        )
    try:
        patches = templated_patches(case.pipeline, patches)
    except WritebackError as error:
        return escalate(
            alert,
            f"the fix cannot be written back into the model's Jinja exactly ({error})",
            [f"{k} -> {v}" for k, v in mapping.as_dict().items()],
            inferred.llm_calls,
        )
    similar = await deps.kb.similar(alert.summary or alert.dataset, limit=3)
    title = f"suture: heal {alert.dataset} after " + ", ".join(
        f"{d.kind} of {d.field}" for d in alert.detections if d.field
    )
    proposal = FixProposed(
        # One proposal id per alert: an alert redelivered after its branch was pushed but before
        # the proposal was stored re-validates onto the same branch and updates the same PR.
        proposal_id=proposal_id_for(alert.event_id),
        alert_id=alert.event_id,
        dataset=alert.dataset,
        signature=alert.signature(),
        mapping=mapping,
        patches=patches,
        contract=new_contract,
        contract_file=contract_file_for(case.pipeline, contract, new_contract),
        validation=report,
        title=title[:200],
        description=describe_proposal(
            alert,
            mapping,
            patches,
            report,
            contract,
            new_contract,
            [(f.proposal_id, f.summary) for f in similar],
        ),
        origin=inferred.origin,
        llm_calls=inferred.llm_calls,
        base=case.base,
    )
    if case.pending is not None:  # a newer revision of the pending proposal's pull request
        previous = case.pending.proposal
        proposal = proposal.model_copy(
            update={
                "supersedes": previous.proposal_id,
                "branch": previous.branch,
                "description": describe_revision(previous, proposal)
                + "\n\n"
                + proposal.description,
            }
        )
    branch, commit = await deps.sink.open_change(proposal)
    failpoint("healer.branch_committed")
    proposal = proposal.model_copy(update={"branch": branch, "commit": commit})
    await deps.book.save_proposal(proposal)
    await supersede.finish(proposal, deps.book)
    return proposal


async def _recode(
    case: Case, found: list[Detection], deps: Deps
) -> list[FixProposed | IncidentEscalated]:
    """Recode new enum values on evidence (a verified fix, or the model), else escalate."""
    recoded = await recode(
        case.alert, found, case.contract, case.before, case.after, deps.kb, deps.llm
    )
    if recoded.mapping is None:
        values = "; ".join(f"{d.field} = {d.value!r}" for d in found)
        reason = f"a human must decide what the new values mean ({values}): {recoded.reason}"
        return [escalate(case.alert, reason, llm_calls=recoded.llm_calls)]
    inferred = Inferred(
        MappingInference(mapping=recoded.mapping),
        origin=recoded.origin,
        llm_calls=recoded.llm_calls,
    )
    outcome = await _propose(case, inferred, deps)
    return [outcome] if outcome is not None else []


def _merged(mapped: list[ModelPatch], made: Sequence[ModelPatch]) -> list[ModelPatch]:
    """Mapping patches with the recipes of the same model applied on top, and recipe patches
    for models no mapping patch touches."""
    recipes = {p.model: p.recipe for p in made if p.recipe is not None}
    composed = [
        p.model_copy(
            update={
                "after_sql": apply_recipe(p.after_sql, p.dialect, recipe),
                "recipe": recipe,
            }
        )
        if (recipe := recipes.get(p.model)) is not None
        else p
        for p in mapped
    ]
    touched = {p.model for p in mapped}
    return [*composed, *(p for p in made if p.model not in touched)]


async def _map_the_rest(
    case: Case, planned: RecipePlan, deps: Deps
) -> list[FixProposed | IncidentEscalated]:
    """Recipes answered some findings; a mapping must answer the rest, and both are validated
    together as one patch per model."""
    focused = replace(case, focus=tuple(planned.unanswered))
    inferred = await _infer(focused, deps)
    inference = inferred.inference
    if undecided(inference):
        return [
            escalate(
                case.alert,
                why_undecided(inference),
                candidates(inference),
                inferred.llm_calls,
                inference.refused,
            )
        ]
    entries = [*planned.mapping.entries, *inference.mapping.entries]
    combined = replace(inferred, inference=MappingInference(mapping=SchemaMapping(entries=entries)))
    outcome = await _propose(case, combined, deps, planned.patches)
    return [outcome] if outcome is not None else []


# Drift no field mapping can restore: the meaning of the data changed, not its shape.
_NEEDS_A_HUMAN = frozenset({"enum_new_value", "nullability"})
# Drift a field mapping answers.
_MAPPABLE = DRIFT_KINDS - _NEEDS_A_HUMAN


def _reaches_models(detection: Detection, used: frozenset[str]) -> bool:
    """Whether a detection concerns the whole topic or a field some model reads."""
    name = detection.field
    if name is None:
        return True
    return name in used or name.split(".")[0] in used or any(u.startswith(name + ".") for u in used)


async def _not_absorbed(
    case: Case, found: Sequence[Detection], samples: AlertStore
) -> list[Detection]:
    """The findings the models do not absorb: a new value they only group by, or repeated keys
    they deduplicate, needs no human."""
    alert = case.alert
    loaded: tuple[Rows, Rows] | None = None

    async def events() -> tuple[Rows, Rows]:
        nonlocal loaded
        loaded = loaded if loaded is not None else await samples.load_samples(alert.event_id)
        return loaded

    kept = []
    for d in found:
        if d.kind == "enum_new_value" and d.field is not None:
            if new_values_flow_through(case.graph, case.pipeline, alert.dataset, d.field):
                before = (await events())[0]
                broken = invariants_broken(
                    case.pipeline, case.contracts, alert.dataset, d.field, [d.value], before
                )
                known = known_domain(case.contract, d.field, before)
                used = sorted(case.used)
                if changed := minor_unit_changed(case.contract, d.field, [d.value], known, used):
                    broken.append(changed)
                if not broken:
                    continue
                _log.info(
                    "a new value breaks invariants %s; not absorbed",
                    broken,
                    extra={"event_id": alert.event_id},
                )
        if d.kind == "duplicates" and d.field is not None:
            # Asked of the new events themselves: a repeat with another payload must show. Models
            # that cannot read them (other drift) do not absorb them.
            after = (await events())[1]
            if after and repeated_keys_absorbed(
                case.pipeline, case.contracts, alert.dataset, d.field, after
            ):
                continue
        kept.append(d)
    return kept


def _casts_absorb(case: Case, inference: MappingInference) -> bool:
    """Whether every change the models see is a type change their reads already absorb: the
    fix restoring the old type would not change a single output row on the new events."""
    reaching = [d for d in case.drift if _reaches_models(d, case.used)]
    if not reaching or any(d.kind != "type_change" for d in reaching):
        return False
    dataset = case.alert.dataset
    patches = apply_mapping(case.pipeline, dataset, inference.mapping, case.contract)
    return change_absorbed(case.pipeline, case.contracts, dataset, patches, case.after)


def _models_read_new_fields(case: Case) -> bool:
    """Whether models already read fields that only the updated contract would declare."""
    known = set(case.contract.field_names)
    new = {f.name for f in evolve_contract(case.contract, case.drift).fields} - known
    return any(case.graph.models_affected_by(case.contract.dataset, name) for name in new)
