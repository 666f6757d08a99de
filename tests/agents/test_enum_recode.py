"""New enum values are recoded only on evidence: a verified fix, or the model's proposal."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from tenacity import wait_none

from agents import healer
from agents.edges.kb_fake import InMemoryKnowledgeBase
from agents.edges.llm import OpenAILLM
from core.contracts import Contract, Pipeline
from core.models import (
    AlertRaised,
    FieldMapping,
    FixProposed,
    IncidentEscalated,
    ModelPatch,
    SchemaMapping,
)
from core.ports import VerifiedFix
from guardrails.replay_gate import validate_patch
from tests.agents.test_healer import Scene
from tests.fixtures.fake_openai import FakeOpenAI
from tools.healing.recode import recode_target
from tools.monitoring.detect_all import detect_all
from tools.sql.replay import run_models

ORDERS = Contract.model_validate(
    {
        "dataset": "orders",
        "fields": [
            {"name": "id", "type": "string", "required": True},
            {"name": "status", "type": "string", "enum": ["placed", "shipped", "cancelled"]},
        ],
    }
)
PIPELINE = Pipeline(
    models={
        "stg": "select id, status from orders where status in ('placed', 'shipped', 'cancelled')"
    }
)
BEFORE = [{"id": f"a{i}", "status": s} for i, s in enumerate(["placed", "shipped", "cancelled"])]


def _after(new: str) -> list[dict[str, Any]]:
    return [{"id": f"b{i}", "status": s} for i, s in enumerate(["placed", new, new, "shipped"])]


def _alert(after: list[dict[str, Any]]) -> AlertRaised:
    found = detect_all(ORDERS, BEFORE, after)
    assert [d.kind for d in found] == ["enum_new_value"]
    return AlertRaised(source="test", category="drift", dataset="orders", detections=found)


def _fake_llm(fake: FakeOpenAI) -> OpenAILLM:
    return OpenAILLM(fake.settings(structured_output="json_schema"), wait=wait_none())


@pytest.mark.parametrize("new", ["dispatched", "in_transit", "SHIPPED"])
async def test_without_evidence_a_new_value_escalates(new: str) -> None:
    scene = Scene(PIPELINE, ORDERS, BEFORE, _after(new))
    [outcome] = await healer.handle(_alert(scene.after), scene.deps())
    assert isinstance(outcome, IncidentEscalated)
    assert "no verified recode" in outcome.reason and new in outcome.reason


@pytest.mark.parametrize(("new", "known"), [("dispatched", "shipped"), ("voided", "cancelled")])
async def test_a_verified_recode_in_the_knowledge_base_is_proposed_again(
    new: str, known: str
) -> None:
    scene = Scene(PIPELINE, ORDERS, BEFORE, _after(new))
    alert = _alert(scene.after)
    kb = InMemoryKnowledgeBase()
    mapping = SchemaMapping(
        entries=[FieldMapping(source="status", target=recode_target("status", {new: known}))]
    )
    await kb.record(
        VerifiedFix(
            signature=alert.signature(),
            dataset="orders",
            summary=f"{new} means {known}",
            mapping=mapping,
            patches=[],
            proposal_id="p1",
            applied_at=datetime.now(UTC),
        )
    )
    [proposal] = await healer.handle(alert, scene.deps(kb=kb))
    assert isinstance(proposal, FixProposed) and proposal.origin == "kb"
    assert proposal.validation.passed and proposal.llm_calls == 0


@pytest.mark.parametrize(("new", "known"), [("dispatched", "shipped"), ("voided", "cancelled")])
async def test_the_models_recode_is_validated_and_left_for_a_human(
    fake_openai: FakeOpenAI, new: str, known: str
) -> None:
    fake_openai.enqueue_json(
        {"recodes": [{"new_value": new, "known_value": known, "rationale": "a synonym"}]}
    )
    scene = Scene(PIPELINE, ORDERS, BEFORE, _after(new))
    [proposal] = await healer.handle(_alert(scene.after), scene.deps(llm=_fake_llm(fake_openai)))
    fake_openai.assert_complete()
    assert isinstance(proposal, FixProposed) and proposal.origin == "llm"
    assert proposal.validation.passed and proposal.llm_calls == 1
    assert scene.proposals[proposal.alert_id] is proposal  # waits for review, nothing applied
    fixed = PIPELINE.model_copy(update={"models": {"stg": proposal.patches[0].after_sql}})
    rows = run_models(fixed, {"orders": scene.after}, {"orders": ORDERS})["stg"]
    assert sorted(r["status"] for r in rows) == sorted(["placed", known, known, "shipped"])
    [request] = fake_openai.requests
    assert new in request["messages"][-1]["content"]


@pytest.mark.parametrize(
    "answer",
    [
        {"recodes": []},  # the model declines
        {"recodes": [{"new_value": "dispatched", "known_value": "lost", "rationale": "x"}]},
        {"recodes": [{"new_value": "other", "known_value": "shipped", "rationale": "x"}]},
    ],
)
async def test_a_recode_the_model_cannot_justify_escalates(
    fake_openai: FakeOpenAI, answer: dict[str, Any]
) -> None:
    fake_openai.enqueue_json(answer)
    scene = Scene(PIPELINE, ORDERS, BEFORE, _after("dispatched"))
    [outcome] = await healer.handle(_alert(scene.after), scene.deps(llm=_fake_llm(fake_openai)))
    fake_openai.assert_complete()
    assert isinstance(outcome, IncidentEscalated) and scene.proposals == {}


@pytest.mark.parametrize(
    "wrong",
    [
        "CASE WHEN status = 'placed' THEN 'shipped' ELSE status END",  # changes a known value
        "CASE WHEN status = 'dispatched' THEN 'lost' ELSE status END",  # outside the domain
    ],
)
def test_validation_refuses_a_recode_without_evidence_or_outside_the_domain(wrong: str) -> None:
    model = PIPELINE.models["stg"]
    after = _after("dispatched")

    def passes(expression: str, vouched: bool = True) -> bool:
        patched = (
            f"select id, {expression} as status from orders "
            f"where {expression} in ('placed', 'shipped', 'cancelled')"
        )
        patch = ModelPatch(model="stg", before_sql=model, after_sql=patched)
        entry = FieldMapping(source="status", target=expression, origin="llm")
        report = validate_patch(
            PIPELINE,
            [patch],
            {"orders": ORDERS},
            BEFORE,
            after,
            dataset="orders",
            mapping=SchemaMapping(entries=[entry]) if vouched else None,
        )
        return report.passed

    right = recode_target("status", {"dispatched": "shipped"})
    assert passes(right)
    assert not passes(right, vouched=False)  # nobody vouches for it: a guess
    assert not passes(wrong)


GROUPED = Pipeline(models={"stg": "select status, count(*) as n from orders group by status"})


def _promising(check: str) -> Contract:
    invariant = {"name": "known_status", "model": "stg", "check": check}
    return Contract.model_validate({**ORDERS.model_dump(), "invariants": [invariant]})


@pytest.mark.parametrize(
    "check",
    [
        "status in ('placed', 'shipped', 'cancelled')",
        "status <> 'dispatched'",
        "length(status) < 10",
    ],
)
async def test_a_value_models_only_group_by_escalates_when_it_breaks_a_promise(check: str) -> None:
    contract = _promising(check)
    scene = Scene(GROUPED, contract, BEFORE, _after("dispatched"))
    found = detect_all(contract, BEFORE, scene.after)
    alert = AlertRaised(source="test", category="drift", dataset="orders", detections=found)
    [outcome] = await healer.handle(alert, scene.deps())
    assert isinstance(outcome, IncidentEscalated) and "dispatched" in outcome.reason


async def test_a_value_models_only_group_by_needs_nothing_while_promises_hold() -> None:
    contract = _promising("n > 0")
    scene = Scene(GROUPED, contract, BEFORE, _after("dispatched"))
    found = detect_all(contract, BEFORE, scene.after)
    alert = AlertRaised(source="test", category="drift", dataset="orders", detections=found)
    assert await healer.handle(alert, scene.deps()) == []


async def test_an_absorbed_new_value_does_not_stop_the_fix_of_a_rename_beside_it() -> None:
    contract = Contract.model_validate(
        {
            "dataset": "orders",
            "fields": [
                {"name": "id", "type": "string", "required": True},
                {"name": "status", "type": "string", "enum": ["placed", "shipped"]},
                {"name": "quantity", "type": "integer", "required": True},
            ],
        }
    )
    pipeline = Pipeline(
        models={"stg": "select status, sum(quantity) as items from orders group by status"}
    )
    statuses = ["placed", "shipped", "placed", "shipped", "placed", "shipped"]
    before = [{"id": f"a{i}", "status": s, "quantity": i + 1} for i, s in enumerate(statuses)]
    after = [
        {"id": f"b{i}", "status": s, "qty": i + 2}
        for i, s in enumerate(["placed", "returned", "shipped", "returned", "placed", "shipped"])
    ]
    scene = Scene(pipeline, contract, before, after)
    found = detect_all(contract, before, after)
    assert {d.kind for d in found} >= {"enum_new_value", "rename"}
    alert = AlertRaised(source="test", category="drift", dataset="orders", detections=found)
    [proposal] = await healer.handle(alert, scene.deps())
    assert isinstance(proposal, FixProposed) and proposal.validation.passed
    assert "qty" in proposal.patches[0].after_sql
