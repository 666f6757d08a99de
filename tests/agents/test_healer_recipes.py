"""The healer's evidence-gated recipes: dedup on the declared key, omitted zero values."""

from __future__ import annotations

from typing import Any

import pytest

from agents import healer
from core.contracts import Contract, Pipeline
from core.models import (
    QUALITY_KINDS,
    AlertRaised,
    Detection,
    FixProposed,
    IncidentEscalated,
    ModelPatch,
)
from guardrails.replay_gate import validate_patch
from tests.agents.test_healer import Scene
from tools.healing.recipes import dedup_recipe, recipe_patches
from tools.monitoring.detect_all import detect_all
from tools.sql.replay import run_models

Rows = list[dict[str, Any]]


def drift_alert(scene: Scene) -> AlertRaised:
    """The alert the monitors raise: quality findings alone make a quality alert."""
    found = detect_all(scene.contract, scene.before, scene.after)
    quality = all(d.kind in QUALITY_KINDS for d in found)
    return AlertRaised(
        source="test",
        category="quality" if quality else "drift",
        dataset=scene.contract.dataset,
        detections=found,
    )


def _orders(key: bool = True, dialect: str = "duckdb") -> tuple[Contract, Pipeline]:
    contract = Contract.model_validate(
        {
            "dataset": "orders",
            "fields": [
                {"name": "order_id", "type": "string", "required": True, "unique": key},
                {"name": "shop", "type": "string", "required": True},
                {"name": "amount", "type": "number", "required": True},
                {"name": "received", "type": "timestamp"},
            ],
            **({"key": "order_id"} if key else {}),
            "arrival_time": "received",
        }
    )
    pipeline = Pipeline(
        dialect=dialect,
        models={
            "stg": "select order_id, shop, amount from orders o where amount >= 0",
            "revenue": "select shop, count(*) as n, sum(amount) as total from stg group by shop",
        },
    )
    return contract, pipeline


BEFORE: Rows = [
    {"order_id": f"a{i}", "shop": "s1", "amount": 10.0 + i, "received": "2026-05-01T07:00:00Z"}
    for i in range(4)
]


def _redelivered(stamps: bool) -> Rows:
    rows: Rows = []
    for i, copies in enumerate([2, 1, 3, 1]):
        for c in range(copies):
            at = f"2026-05-01T08:0{i}:0{c if stamps else 0}Z"
            rows.append(
                {"order_id": f"b{i}", "shop": f"s{i % 2}", "amount": 5.0 * i, "received": at}
            )
    return rows


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "bigquery", "spark", "snowflake"])
@pytest.mark.parametrize("stamps", [False, True])
async def test_redeliveries_of_a_declared_key_are_deduplicated(dialect: str, stamps: bool) -> None:
    contract, pipeline = _orders(dialect=dialect)
    after = _redelivered(stamps)
    scene = Scene(pipeline, contract, BEFORE, after)
    alert = drift_alert(scene)
    assert any(d.kind == "duplicates" for d in alert.detections)
    [proposal] = await healer.handle(alert, scene.deps())
    assert isinstance(proposal, FixProposed), proposal
    assert proposal.validation.passed
    assert [p.recipe.kind for p in proposal.patches if p.recipe] == ["dedup_on_key"]
    fixed = pipeline.model_copy(
        update={"models": {**pipeline.models, **{p.model: p.after_sql for p in proposal.patches}}}
    )
    rows = run_models(fixed, {"orders": after}, {"orders": contract})["stg"]
    assert sorted(r["order_id"] for r in rows) == ["b0", "b1", "b2", "b3"]


@pytest.mark.parametrize(
    ("key", "change", "reason"),
    [
        (True, {"amount": 999.0}, "conflicting payloads"),
        (True, {"shop": "elsewhere"}, "conflicting payloads"),
    ],
)
async def test_repeats_that_are_not_redeliveries_escalate(
    key: bool, change: dict[str, Any], reason: str
) -> None:
    contract, pipeline = _orders(key=key)
    after = _redelivered(False)
    after[1] = {**after[1], **change}
    scene = Scene(pipeline, contract, BEFORE, after)
    [outcome] = await healer.handle(drift_alert(scene), scene.deps())
    assert isinstance(outcome, IncidentEscalated) and reason in outcome.reason


async def test_repeats_of_a_key_nothing_declares_unique_escalate() -> None:
    contract, pipeline = _orders(key=False)
    scene = Scene(pipeline, contract, BEFORE, _redelivered(False))
    reported = AlertRaised(  # an outside tool's alert: the contract declares no key
        source="external",
        category="quality",
        dataset="orders",
        detections=[Detection(kind="duplicates", field="order_id")],
    )
    [outcome] = await healer.handle(reported, scene.deps())
    assert isinstance(outcome, IncidentEscalated)
    assert "nothing is declared unique" in outcome.reason


def test_validation_refuses_a_dedup_patch_the_recipe_did_not_make() -> None:
    contract, pipeline = _orders()
    after = _redelivered(False)
    recipe = dedup_recipe(contract, after)
    assert not isinstance(recipe, str)
    [made, *_] = recipe_patches(pipeline, recipe)

    def passes(patch: ModelPatch) -> bool:
        report = validate_patch(
            pipeline, [patch], {"orders": contract}, BEFORE, after, dataset="orders", mapping=None
        )
        return report.passed

    assert passes(made)
    by_hand = made.model_copy(
        update={
            "after_sql": "select distinct order_id, shop, amount from orders o where amount >= 0",
            "recipe": None,
        }
    )
    assert not passes(by_hand)
    filtered = made.model_copy(update={"after_sql": made.after_sql.replace(">= 0", "> 5")})
    assert not passes(filtered)
    wrong_key = made.model_copy(update={"recipe": recipe.model_copy(update={"key": "shop"})})
    assert not passes(wrong_key)


@pytest.mark.parametrize(
    ("field", "kind", "values", "restored"),
    [
        ("gift", "boolean", [True, False, True, False, False, True], "COALESCE(gift, FALSE)"),
        ("items", "integer", [3, 0, 1, 0, 7, 2], "COALESCE(items, 0)"),
        ("note", "string", ["fragile", "", "left", "", "", "x"], "COALESCE(note, '')"),
    ],
)
async def test_a_zero_value_the_producer_now_omits_is_restored(
    field: str, kind: str, values: list[Any], restored: str
) -> None:
    contract = Contract.model_validate(
        {
            "dataset": "parcels",
            "fields": [
                {"name": "id", "type": "string", "required": True},
                {"name": field, "type": kind, "required": True},
            ],
        }
    )
    pipeline = Pipeline(models={"stg": f"select id, {field} from parcels"})
    before: Rows = [{"id": f"a{i}", field: v} for i, v in enumerate(values)]
    after: Rows = [
        {"id": f"b{i}", **({field: v} if v not in (False, 0, "") or v is True else {})}
        for i, v in enumerate(values)
    ]
    scene = Scene(pipeline, contract, before, after)
    [proposal] = await healer.handle(drift_alert(scene), scene.deps())
    assert isinstance(proposal, FixProposed), proposal
    assert proposal.mapping.as_dict() == {field: restored}
    assert proposal.validation.passed


async def test_missing_values_that_are_not_the_zero_value_escalate() -> None:
    contract = Contract.model_validate(
        {
            "dataset": "parcels",
            "fields": [
                {"name": "id", "type": "string", "required": True},
                {"name": "gift", "type": "boolean", "required": True},
            ],
        }
    )
    pipeline = Pipeline(models={"stg": "select id, gift from parcels"})
    before: Rows = [{"id": f"a{i}", "gift": i % 2 == 0} for i in range(6)]
    after: Rows = [{"id": f"b{i}", **({"gift": False} if i % 3 == 0 else {})} for i in range(6)]
    scene = Scene(pipeline, contract, before, after)
    [outcome] = await healer.handle(drift_alert(scene), scene.deps())
    assert isinstance(outcome, IncidentEscalated)
    assert "not an omitted zero" in outcome.reason


def _renamed(rows: Rows) -> Rows:
    """`rows` with `amount` sent as `total`, its values those of BEFORE."""
    return [
        {**{k: v for k, v in r.items() if k != "amount"}, "total": 10.0 + int(r["order_id"][1:])}
        for r in rows
    ]


async def test_redeliveries_and_a_rename_in_one_alert_are_healed_by_one_patch() -> None:
    contract, pipeline = _orders()
    after = _renamed(_redelivered(stamps=True))
    scene = Scene(pipeline, contract, BEFORE, after)
    alert = drift_alert(scene)
    assert {d.kind for d in alert.detections} >= {"duplicates", "rename"}
    [proposal] = await healer.handle(alert, scene.deps())
    assert isinstance(proposal, FixProposed) and proposal.validation.passed
    [patch] = [p for p in proposal.patches if p.model == "stg"]
    assert patch.recipe is not None and "total" in patch.after_sql
    fixed = pipeline.model_copy(update={"models": {**pipeline.models, "stg": patch.after_sql}})
    rows = run_models(fixed, {"orders": after}, {"orders": contract})["stg"]
    assert sorted(r["order_id"] for r in rows) == ["b0", "b1", "b2", "b3"]
    assert sorted(r["amount"] for r in rows) == [10.0, 11.0, 12.0, 13.0]


@pytest.mark.parametrize("new_name", ["total", "amt", "amount_value"])
async def test_an_omitted_zero_beside_a_rename_restores_the_zero_and_maps_the_rename(
    new_name: str,
) -> None:
    contract = Contract.model_validate(
        {
            "dataset": "orders",
            "fields": [
                {"name": "order_id", "type": "string", "required": True},
                {"name": "amount", "type": "number", "required": True},
                {"name": "gift", "type": "boolean", "required": True},
            ],
        }
    )
    pipeline = Pipeline(models={"stg": "select order_id, amount, gift from orders"})
    before = [{"order_id": f"a{i}", "amount": 3.5 * i + 1, "gift": i % 2 == 0} for i in range(8)]
    after: Rows = []
    for i in range(8):
        row: dict[str, Any] = {"order_id": f"b{i}", new_name: 3.5 * i + 1}
        if i % 3 == 0:
            row["gift"] = True  # false is no longer sent
        after.append(row)
    scene = Scene(pipeline, contract, before, after)
    alert = drift_alert(scene)
    assert {d.kind for d in alert.detections} >= {"nullability", "rename"}
    [proposal] = await healer.handle(alert, scene.deps())
    assert isinstance(proposal, FixProposed) and proposal.validation.passed
    fixed = pipeline.model_copy(update={"models": {"stg": proposal.patches[0].after_sql}})
    rows = run_models(fixed, {"orders": after}, {"orders": contract})["stg"]
    assert [r["gift"] for r in rows] == [i % 3 == 0 for i in range(8)]
    assert [r["amount"] for r in rows] == [3.5 * i + 1 for i in range(8)]


@pytest.mark.parametrize("new_name", ["received_at", "received_ms", "delivered"])
async def test_redeliveries_escalate_when_the_field_ordering_them_was_renamed(
    new_name: str,
) -> None:
    contract, pipeline = _orders()
    after = [
        {**{k: v for k, v in r.items() if k != "received"}, new_name: r["received"]}
        for r in _redelivered(stamps=True)
    ]
    scene = Scene(pipeline, contract, BEFORE, after)
    [outcome] = await healer.handle(drift_alert(scene), scene.deps())
    assert isinstance(outcome, IncidentEscalated)
    assert "no longer carry 'received'" in outcome.reason


def _listings(dialect: str = "duckdb") -> tuple[Contract, Pipeline]:
    """A topic whose only time is the event time: payload, equal on every redelivery."""
    contract = Contract.model_validate(
        {
            "dataset": "listings",
            "key": "listing_id",
            "event_time": "listed_at",
            "fields": [
                {"name": "listing_id", "type": "string", "required": True, "unique": True},
                {"name": "listed_at", "type": "timestamp", "required": True},
                {"name": "price", "type": "number", "required": True},
            ],
        }
    )
    pipeline = Pipeline(
        dialect=dialect,
        models={
            "stg": "select listing_id, cast(listed_at as timestamp) as listed_at, price"
            " from listings"
        },
    )
    return contract, pipeline


_LISTED_BEFORE: Rows = [
    {"listing_id": f"a{i}", "listed_at": f"2026-05-01T07:0{i}:00Z", "price": 10.0 + 7 * i}
    for i in range(5)
]


def _listed_again(new_name: str) -> Rows:
    rows: Rows = []
    for i, copies in enumerate([2, 1, 3, 1, 2]):
        row = {"listing_id": f"b{i}", new_name: f"2026-05-02T08:0{i}:00Z", "price": 12.0 + 5 * i}
        rows += [dict(row) for _ in range(copies)]
    return rows


@pytest.mark.parametrize("new_name", ["listing_listed_at", "listed_at_value", "listed"])
@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
async def test_redeliveries_are_deduplicated_when_the_event_time_was_renamed(
    new_name: str, dialect: str
) -> None:
    contract, pipeline = _listings(dialect)
    after = _listed_again(new_name)
    scene = Scene(pipeline, contract, _LISTED_BEFORE, after)
    alert = drift_alert(scene)
    assert {d.kind for d in alert.detections} >= {"duplicates", "rename"}, alert.detections
    [proposal] = await healer.handle(alert, scene.deps())
    assert isinstance(proposal, FixProposed), proposal
    assert proposal.validation.passed
    fixed = pipeline.model_copy(update={"models": {"stg": proposal.patches[0].after_sql}})
    rows = run_models(fixed, {"listings": after}, {"listings": contract})["stg"]
    assert sorted(r["listing_id"] for r in rows) == ["b0", "b1", "b2", "b3", "b4"]


def test_the_dedup_recipe_orders_by_nothing_once_the_event_time_is_gone() -> None:
    contract, _ = _listings()
    recipe = dedup_recipe(contract, _listed_again("listed"))
    assert not isinstance(recipe, str), recipe
    assert recipe.key == "listing_id" and recipe.order_by is None


@pytest.mark.parametrize("new_name", ["listing_listed_at", "listed_at_value", "listed"])
async def test_repeats_that_differ_in_the_renamed_event_time_escalate(new_name: str) -> None:
    contract, pipeline = _listings()
    after = _listed_again(new_name)
    after[1] = {**after[1], new_name: "2026-05-02T08:00:00.250Z"}  # not a copy of after[0]
    scene = Scene(pipeline, contract, _LISTED_BEFORE, after)
    [outcome] = await healer.handle(drift_alert(scene), scene.deps())
    assert isinstance(outcome, IncidentEscalated), outcome
    assert "no longer carry 'listed_at'" in outcome.reason
