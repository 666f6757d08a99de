"""The healer: cache first, rules next, the model last; every patch validated; idempotent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from agents import healer, mapping_llm
from agents.edges.kb_fake import InMemoryKnowledgeBase
from agents.edges.llm_fake import ScriptedLLM
from core.contracts import Contract, Pipeline
from core.errors import LLMOutputError
from core.lifecycle import ProposalRecord
from core.models import AlertRaised, Detection, FixProposed, IncidentEscalated
from core.ports import VerifiedFix
from tools.monitoring.detect_all import detect_all

ORDERS = Contract.model_validate(
    {
        "dataset": "orders",
        "fields": [
            {"name": "order_id", "type": "string", "required": True, "unique": True},
            {"name": "cust_id", "type": "integer", "required": True},
            {"name": "amount_cents", "type": "integer", "min": 0},
            {"name": "coupon", "type": "string"},
        ],
        "invariants": [
            {"name": "customer_known", "model": "stg_orders", "check": "customer_id is not null"}
        ],
    }
)
PIPELINE = Pipeline(
    dialect="duckdb",
    models={
        "stg_orders": "select order_id, cust_id as customer_id, amount_cents / 100.0 as amount "
        "from orders"
    },
)
BEFORE = [{"order_id": f"o{i}", "cust_id": 7 + i, "amount_cents": 100 * i} for i in range(1, 6)]
AFTER = [{"order_id": f"n{i}", "customer_id": 7 + i, "amount_cents": 90 * i} for i in range(1, 6)]

CLICKS = Contract.model_validate(
    {
        "dataset": "clicks",
        "fields": [
            {"name": "id", "type": "string", "required": True},
            {"name": "ts", "type": "timestamp", "required": True},
        ],
    }
)
CLICK_MODEL = Pipeline(models={"stg_clicks": "select id, cast(ts as timestamp) as ts from clicks"})
CLICKS_BEFORE = [
    {"id": "a", "ts": "2026-01-01T10:00:00Z"},
    {"id": "b", "ts": "2026-01-01T10:01:00Z"},
]
CLICKS_AFTER = [
    {"id": "c", "event_time": "2026-01-01T10:02:00Z", "ingest_time": "2026-01-01T10:02:05Z"},
    {"id": "d", "event_time": "2026-01-01T10:03:00Z", "ingest_time": "2026-01-01T10:03:04Z"},
]


@dataclass
class Scene:
    """The healer's ports over one fixed pipeline, with in-memory records."""

    pipeline: Pipeline
    contract: Contract
    before: list[dict[str, Any]]
    after: list[dict[str, Any]]
    proposals: dict[str, FixProposed] = field(default_factory=dict)
    branches: list[str] = field(default_factory=list)

    async def snapshot(self) -> tuple[Pipeline, dict[str, Contract]]:
        return self.pipeline, {self.contract.dataset: self.contract}

    async def revision(self) -> str | None:
        return None  # not a repository

    async def load_samples(
        self, alert_id: str
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return self.before, self.after

    async def proposal_for_alert(self, alert_id: str) -> FixProposed | None:
        return self.proposals.get(alert_id)

    async def save_proposal(self, proposal: FixProposed) -> bool:
        return self.proposals.setdefault(proposal.alert_id, proposal) is proposal

    async def open_proposals(self, dataset: str) -> list[ProposalRecord]:
        return []  # no review state here: tests/agents/test_supersede.py covers a pending one

    async def save_incident(self, incident: IncidentEscalated) -> bool:
        return True

    async def open_change(self, proposal: FixProposed) -> tuple[str, str]:
        self.branches.append(f"suture/fix-{proposal.proposal_id[:8]}")
        return self.branches[-1], "0" * 40

    def deps(
        self, llm: ScriptedLLM | None = None, kb: InMemoryKnowledgeBase | None = None
    ) -> healer.Deps:
        return healer.Deps(
            llm=llm, kb=kb or InMemoryKnowledgeBase(), repo=self, samples=self, book=self, sink=self
        )


def drift_alert(scene: Scene) -> AlertRaised:
    found = [d for d in detect_all(scene.contract, scene.before, scene.after)]
    return AlertRaised(
        source="test", category="drift", dataset=scene.contract.dataset, detections=found
    )


async def test_proposes_a_validated_rename_without_a_model() -> None:
    scene = Scene(PIPELINE, ORDERS, BEFORE, AFTER)
    [proposal] = await healer.handle(drift_alert(scene), scene.deps())
    assert isinstance(proposal, FixProposed)
    assert proposal.mapping.as_dict() == {"cust_id": "customer_id"}
    assert proposal.validation.passed and proposal.origin == "rules"
    assert proposal.branch == scene.branches[0]
    assert "customer_id" in proposal.patches[0].after_sql
    assert "## Validation" in proposal.description


async def test_an_alert_handled_twice_yields_one_proposal() -> None:
    scene = Scene(PIPELINE, ORDERS, BEFORE, AFTER)
    alert = drift_alert(scene)
    assert len(await healer.handle(alert, scene.deps())) == 1
    assert await healer.handle(alert, scene.deps()) == []
    assert len(scene.branches) == 1


async def test_a_known_fix_costs_no_model_call() -> None:
    scene = Scene(PIPELINE, ORDERS, BEFORE, AFTER)
    alert = drift_alert(scene)
    first = await healer.handle(alert, scene.deps())
    assert isinstance(first[0], FixProposed)
    kb = InMemoryKnowledgeBase()
    await kb.record(
        VerifiedFix(
            signature=alert.signature(),
            dataset="orders",
            summary="rename",
            mapping=first[0].mapping,
            patches=first[0].patches,
            proposal_id=first[0].proposal_id,
            applied_at=datetime.now(UTC),
        )
    )
    again = Scene(PIPELINE, ORDERS, BEFORE, AFTER)
    model = ScriptedLLM()  # any call would fail the test
    [cached] = await healer.handle(drift_alert(again), again.deps(llm=model, kb=kb))
    assert isinstance(cached, FixProposed) and cached.origin == "kb" and cached.llm_calls == 0
    model.assert_complete()


async def test_escalates_when_two_fields_fit_equally_and_no_model_is_configured() -> None:
    scene = Scene(CLICK_MODEL, CLICKS, CLICKS_BEFORE, CLICKS_AFTER)
    [outcome] = await healer.handle(drift_alert(scene), scene.deps())
    assert isinstance(outcome, IncidentEscalated)
    assert outcome.candidates == ["event_time", "ingest_time"]
    assert scene.proposals == {}


async def test_escalates_when_the_model_fails_and_rules_cannot_decide() -> None:
    scene = Scene(CLICK_MODEL, CLICKS, CLICKS_BEFORE, CLICKS_AFTER)
    model = ScriptedLLM(LLMOutputError("no JSON", raw="sure!"))
    [outcome] = await healer.handle(drift_alert(scene), scene.deps(llm=model))
    assert isinstance(outcome, IncidentEscalated) and outcome.llm_calls == 1
    model.assert_complete()


async def test_the_models_choice_is_validated_and_proposed() -> None:
    scene = Scene(CLICK_MODEL, CLICKS, CLICKS_BEFORE, CLICKS_AFTER)
    choice = mapping_llm.MappingDraft(
        mappings=[
            mapping_llm.MappingChoice(
                old_field="ts", new_expression="event_time", rationale="event time, not ingestion"
            )
        ]
    )
    model = ScriptedLLM(choice)
    [outcome] = await healer.handle(drift_alert(scene), scene.deps(llm=model))
    assert isinstance(outcome, FixProposed)
    assert outcome.origin == "llm" and outcome.mapping.as_dict() == {"ts": "event_time"}
    assert model.prompts[0].name == "infer_mapping"
    model.assert_complete()


async def test_a_model_answer_that_breaks_validation_is_escalated() -> None:
    scene = Scene(
        PIPELINE,
        ORDERS,
        BEFORE,
        [{k: v for k, v in e.items() if k != "customer_id"} for e in AFTER],
    )
    bad = mapping_llm.MappingDraft(
        mappings=[
            mapping_llm.MappingChoice(
                old_field="cust_id", new_expression="NULL", rationale="nothing else fits"
            )
        ]
    )
    model = ScriptedLLM(bad)
    outcomes = await healer.handle(drift_alert(scene), scene.deps(llm=model))
    assert [type(o) for o in outcomes] == [IncidentEscalated]
    # The mapping itself is judged, not only the patch made from it.
    assert "guardrail:mapped_fields_not_constant" in outcomes[0].reason
    assert scene.proposals == {}


@pytest.mark.parametrize(
    ("field_name", "expected"), [("coupon", []), ("amount_cents", ["escalate"])]
)
async def test_quality_alerts_escalate_only_when_models_read_the_field(
    field_name: str, expected: list[str]
) -> None:
    scene = Scene(PIPELINE, ORDERS, BEFORE, AFTER)
    alert = AlertRaised(
        source="test",
        category="quality",
        dataset="orders",
        detections=[{"kind": "null_spike", "field": field_name, "rate": 0.9}],
    )
    outcomes = await healer.handle(alert, scene.deps())
    assert ["escalate" for o in outcomes if isinstance(o, IncidentEscalated)] == expected


async def test_a_redelivered_escalation_keeps_its_incident_id() -> None:
    scene = Scene(CLICK_MODEL, CLICKS, CLICKS_BEFORE, CLICKS_AFTER)
    alert = drift_alert(scene)
    [first] = await healer.handle(alert, scene.deps())
    [second] = await healer.handle(alert, scene.deps())
    assert first.event_id == second.event_id


async def test_a_lag_alert_explained_by_a_drift_alert_is_left_to_that_alert() -> None:
    scene = Scene(PIPELINE, ORDERS, BEFORE, AFTER)
    stall = Detection(kind="lag", status="STALL", partition=0)
    lag = AlertRaised(source="test", category="lag", dataset="orders", detections=[stall])
    explained = lag.model_copy(update={"related_alert_ids": [drift_alert(scene).event_id]})

    assert await healer.handle(explained, scene.deps()) == []
    [incident] = await healer.handle(lag, scene.deps())
    assert isinstance(incident, IncidentEscalated) and "lag" in incident.reason


async def test_the_proposal_brings_the_contract_up_to_date_with_the_new_events() -> None:
    scene = Scene(PIPELINE, ORDERS, BEFORE, AFTER)
    [proposal] = await healer.handle(drift_alert(scene), scene.deps())
    assert isinstance(proposal, FixProposed) and proposal.contract is not None
    assert [f.name for f in proposal.contract.fields][:2] == ["order_id", "customer_id"]
    assert "field `cust_id` is now `customer_id`" in proposal.description


async def test_models_already_reading_the_new_events_get_a_contract_only_proposal() -> None:
    patched = Pipeline(
        models={
            "stg_orders": "select order_id, customer_id, amount_cents / 100.0 as amount from orders"
        }
    )
    scene = Scene(patched, ORDERS, BEFORE, AFTER)
    [proposal] = await healer.handle(drift_alert(scene), scene.deps())
    assert isinstance(proposal, FixProposed)
    assert proposal.patches == [] and proposal.contract is not None
    assert proposal.validation.passed


@pytest.mark.parametrize(
    ("model", "resent", "outcome"),
    [
        ("select distinct on (order_id) order_id, cust_id as customer_id from orders", {}, []),
        ("select order_id, cust_id as customer_id from orders", {}, ["fix"]),  # redelivered
        ("select order_id, cust_id as customer_id from orders", {"cust_id": 99}, ["escalate"]),
    ],
)
async def test_repeated_keys_escalate_only_when_the_models_do_not_deduplicate(
    model: str, resent: dict[str, Any], outcome: list[str]
) -> None:
    repeated = [*BEFORE, {**BEFORE[0], **resent}]
    scene = Scene(Pipeline(models={"stg_orders": model}), ORDERS, BEFORE, repeated)
    alert = AlertRaised(
        source="test",
        category="quality",
        dataset="orders",
        detections=[{"kind": "duplicates", "field": "order_id"}],
    )
    found = await healer.handle(alert, scene.deps())
    assert ["escalate" if isinstance(o, IncidentEscalated) else "fix" for o in found] == outcome


@pytest.mark.parametrize(
    ("after", "refused_word"),
    [
        # the only new field holds text where the old one held numbers
        (
            [
                {"order_id": f"n{i}", "customer": f"c-{i}", "amount_cents": 90 * i}
                for i in range(1, 6)
            ],
            "customer",
        ),
        # the only new field is a hundred times too large
        (
            [
                {"order_id": f"n{i}", "client_ref": 9000 + 77 * i, "amount_cents": 90 * i}
                for i in range(1, 6)
            ],
            "client_ref",
        ),
    ],
)
async def test_an_escalation_lists_the_candidates_it_refused_and_why(
    after: list[dict[str, Any]], refused_word: str
) -> None:
    scene = Scene(PIPELINE, ORDERS, BEFORE, after)
    alert = drift_alert(scene)
    alert = alert.model_copy(
        update={
            "detections": [
                *alert.detections,
                Detection(kind="rename", field="cust_id", to=refused_word),
            ]
        }
    )
    [outcome] = await healer.handle(alert, scene.deps())
    assert isinstance(outcome, IncidentEscalated)
    assert "nothing in the new events carries" not in outcome.reason
    assert "refused" in outcome.reason and refused_word in outcome.reason
    assert outcome.refused and all(r.field == "cust_id" for r in outcome.refused)
    assert any(refused_word in r.candidate and r.reason for r in outcome.refused)


async def test_an_escalation_without_candidates_says_nothing_carries_the_field() -> None:
    gone = [{"order_id": f"n{i}", "amount_cents": 90 * i} for i in range(1, 6)]
    scene = Scene(PIPELINE, ORDERS, BEFORE, gone)
    [outcome] = await healer.handle(drift_alert(scene), scene.deps())
    assert isinstance(outcome, IncidentEscalated)
    assert "nothing in the new events carries 'cust_id'" in outcome.reason
    assert outcome.refused == []


async def test_a_patch_refused_by_validation_is_listed_with_the_failed_checks() -> None:
    scene = Scene(
        PIPELINE,
        ORDERS,
        BEFORE,
        [{k: v for k, v in e.items() if k != "customer_id"} for e in AFTER],
    )
    bad = mapping_llm.MappingDraft(
        mappings=[
            mapping_llm.MappingChoice(
                old_field="cust_id", new_expression="NULL", rationale="nothing else fits"
            )
        ]
    )
    [outcome] = await healer.handle(drift_alert(scene), scene.deps(llm=ScriptedLLM(bad)))
    assert isinstance(outcome, IncidentEscalated)
    [refusal] = outcome.refused
    assert (refusal.field, refusal.candidate) == ("cust_id", "NULL")
    assert "mapped_fields_not_constant" in refusal.reason


TOTALS = Contract.model_validate(
    {
        "dataset": "invoices",
        "fields": [
            {"name": "invoice_id", "type": "string", "required": True},
            {"name": "amount", "type": "integer", "required": True},
        ],
    }
)
TOTALS_MODEL = Pipeline(models={"stg_invoices": "select invoice_id, amount from invoices"})


@pytest.mark.parametrize(
    ("first", "second"),
    [("total", "value"), ("gross_total", "net_total"), ("amount_due", "amount_paid")],
)
async def test_escalates_when_two_new_fields_carry_the_old_values_equally_well(
    first: str, second: str
) -> None:
    before = [{"invoice_id": f"i{i}", "amount": 100 * i + 7} for i in range(1, 9)]
    after = [{"invoice_id": f"j{i}", first: 100 * i + 7, second: 100 * i + 7} for i in range(1, 9)]
    scene = Scene(TOTALS_MODEL, TOTALS, before, after)
    alert = drift_alert(scene)
    assert not any(d.kind == "rename" for d in alert.detections)
    [outcome] = await healer.handle(alert, scene.deps())
    assert isinstance(outcome, IncidentEscalated)
    assert sorted(outcome.candidates) == sorted([first, second])
    assert scene.proposals == {}


READINGS = Contract.model_validate(
    {
        "dataset": "readings",
        "fields": [
            {"name": "reading_id", "type": "string", "required": True, "unique": True},
            {"name": "meter", "type": "string", "required": True},
            {"name": "value", "type": "string", "required": True},
        ],
    }
)
READINGS_BEFORE = [
    {"reading_id": f"r{i}", "meter": f"m{i % 2}", "value": f"{1200.5 + 31 * i}"} for i in range(5)
]
READINGS_AFTER = [
    {"reading_id": f"s{i}", "meter": f"m{i % 2}", "value": 1400.5 + 29 * i} for i in range(5)
]


@pytest.mark.parametrize(
    "model",
    [
        "select reading_id, meter, cast(value as double) / 1000 as kwh from readings",
        "select meter, sum(try_cast(value as decimal(12, 1))) as total from readings group by 1",
    ],
)
async def test_a_type_change_the_models_casts_already_read_needs_no_fix(model: str) -> None:
    scene = Scene(Pipeline(models={"stg": model}), READINGS, READINGS_BEFORE, READINGS_AFTER)
    alert = drift_alert(scene)
    assert [d.kind for d in alert.detections] == ["type_change"]
    assert await healer.handle(alert, scene.deps()) == []


async def test_a_type_change_the_models_output_as_read_is_fixed() -> None:
    model = "select reading_id, meter, value as raw_value from readings"
    scene = Scene(Pipeline(models={"stg": model}), READINGS, READINGS_BEFORE, READINGS_AFTER)
    [outcome] = await healer.handle(drift_alert(scene), scene.deps())
    assert isinstance(outcome, FixProposed)
    assert "value" in outcome.mapping.as_dict()


PAYMENTS = Contract.model_validate(
    {
        "dataset": "payments",
        "fields": [
            {"name": "id", "type": "string", "required": True, "unique": True},
            {"name": "amount", "type": "integer", "required": True, "unit": "minor units"},
            {"name": "currency", "type": "string", "required": True, "enum": ["usd", "eur"]},
        ],
    }
)
REVENUE = Pipeline(
    models={
        "stg": "select id, amount / 100 as amount_major, currency from payments",
        "revenue": "select currency, sum(amount_major) as revenue from stg group by currency",
    }
)
PAYMENTS_BEFORE = [
    {"id": f"p{i}", "amount": 1000 + 250 * i, "currency": c}
    for i, c in enumerate(["usd", "eur", "usd", "eur"])
]


@pytest.mark.parametrize(("code", "outcome"), [("jpy", ["escalate"]), ("cad", [])])
async def test_a_new_currency_escalates_only_when_its_minor_unit_differs(
    code: str, outcome: list[str]
) -> None:
    after = [
        {"id": "q1", "amount": 1200, "currency": "usd"},
        {"id": "q2", "amount": 900, "currency": "eur"},
        {"id": "q3", "amount": 1500, "currency": code},
    ]
    scene = Scene(REVENUE, PAYMENTS, PAYMENTS_BEFORE, after)
    alert = drift_alert(scene)
    assert [d.kind for d in alert.detections] == ["enum_new_value"]
    found = await healer.handle(alert, scene.deps())
    assert ["escalate" if isinstance(o, IncidentEscalated) else "fix" for o in found] == outcome


ENVELOPED_CONTRACT = Contract.model_validate(
    {
        "dataset": "employees",
        "fields": [
            {"name": "payload", "type": "object", "required": True},
            {"name": "payload.employee_id", "type": "integer", "required": True},
            {"name": "payload.salary", "type": "number", "required": True},
        ],
    }
)
ENVELOPED_BEFORE = [
    {"schema": {"type": "struct"}, "payload": {"employee_id": 1000 + i, "salary": 5e4 + 900 * i}}
    for i in range(4)
]
UNWRAPPED_AFTER = [{"employee_id": 2000 + i, "salary": 5.2e4 + 700 * i} for i in range(4)]


async def test_an_unwrapped_envelope_is_healed_by_mapping_its_leaves() -> None:
    model = "select payload.employee_id as employee_id, payload.salary as salary from employees"
    scene = Scene(
        Pipeline(models={"stg": model}), ENVELOPED_CONTRACT, ENVELOPED_BEFORE, UNWRAPPED_AFTER
    )
    [outcome] = await healer.handle(drift_alert(scene), scene.deps())
    assert isinstance(outcome, FixProposed)
    assert outcome.mapping.as_dict() == {
        "payload.employee_id": "employee_id",
        "payload.salary": "salary",
    }


async def test_a_model_reading_the_whole_envelope_still_escalates() -> None:
    model = (
        "select payload.employee_id as employee_id, payload.salary as salary, "
        "to_json(payload) as raw from employees"
    )
    scene = Scene(
        Pipeline(models={"stg": model}), ENVELOPED_CONTRACT, ENVELOPED_BEFORE, UNWRAPPED_AFTER
    )
    [outcome] = await healer.handle(drift_alert(scene), scene.deps())
    assert isinstance(outcome, IncidentEscalated)


async def test_fields_moved_out_of_an_open_object_the_models_read_are_mapped() -> None:
    contract = Contract.model_validate(
        {
            "dataset": "employees",
            "fields": [
                {"name": "id", "type": "string", "required": True},
                {"name": "payload", "type": "object", "required": True},
            ],
        }
    )
    pipeline = Pipeline(
        models={"stg": "select id, payload.salary as salary, payload.dept as dept from employees"}
    )
    departments = ["IT", "HR", "Ops", "IT", "Sales", "Ops"]
    before = [
        {"id": f"a{i}", "payload": {"salary": 1000.0 * i + 5, "dept": d}}
        for i, d in enumerate(departments)
    ]
    after = [
        {"id": f"b{i}", "salary": 1000.0 * i + 7, "dept": d} for i, d in enumerate(departments)
    ]
    scene = Scene(pipeline, contract, before, after)
    [proposal] = await healer.handle(drift_alert(scene), scene.deps())
    assert isinstance(proposal, FixProposed), proposal
    assert proposal.mapping.as_dict() == {"payload.salary": "salary", "payload.dept": "dept"}
    assert proposal.validation.passed
