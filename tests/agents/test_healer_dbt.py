"""The healer on a dbt pipeline: the proposal carries the Jinja, or the alert escalates."""

from __future__ import annotations

from agents import healer
from core.models import FixProposed, IncidentEscalated
from tests.agents.test_healer import AFTER, BEFORE, ORDERS, Scene, drift_alert
from tools.dbt.project import DbtPackage, dbt_pipeline
from tools.dbt.writeback import tags

_SOURCES = {"sources": [{"name": "shop", "tables": [{"name": "orders"}]}]}


def _scene(model: str, variables: dict[str, object] | None = None) -> Scene:
    project = {"name": "p", "vars": variables or {}}
    files = {"stg_orders": ("models/stg_orders.sql", model)}
    built = dbt_pipeline(files, project, [("models/sources.yml", _SOURCES)])
    return Scene(built.pipeline, ORDERS, BEFORE, AFTER)


async def test_a_dbt_model_is_fixed_in_its_jinja() -> None:
    model = (
        "{{ config(materialized='view') }}\n"
        "select order_id, cust_id as customer_id, amount_cents / 100.0 as amount\n"
        "from {{ source('shop', 'orders') }}\n"
    )
    scene = _scene(model)

    [proposal] = await healer.handle(drift_alert(scene), scene.deps())

    assert isinstance(proposal, FixProposed) and proposal.validation.passed
    [patch] = proposal.patches
    assert patch.path == "models/stg_orders.sql" and patch.template_before == model
    assert patch.template_after == model.replace("cust_id as", "customer_id as")
    assert tags(patch.file_text) == tags(model)
    assert "{{ source('shop', 'orders') }}" in proposal.description


async def test_a_fix_that_would_change_what_a_jinja_tag_renders_is_escalated() -> None:
    model = (
        "select order_id, {{ var('customer_column') }} as customer_id, amount_cents / 100.0 "
        "as amount\nfrom {{ source('shop', 'orders') }}\n"
    )
    scene = _scene(model, {"customer_column": "cust_id"})

    [outcome] = await healer.handle(drift_alert(scene), scene.deps())

    assert isinstance(outcome, IncidentEscalated)
    assert "Jinja" in outcome.reason and "models/stg_orders.sql" in outcome.reason
    assert scene.branches == [], "nothing was proposed"


_STAGING = (
    "select order_id, cust_id as customer_id, amount_cents / 100.0 as amount\n"
    "from {{ source('shop', 'orders') }}\n"
)


async def test_a_model_joining_a_seed_is_replayed_with_the_seeds_rows() -> None:
    mart = (
        "select s.customer_id, t.tier, sum(s.amount) as spent\n"
        "from {{ ref('stg_orders') }} as s join {{ ref('tiers') }} as t\n"
        "  on s.customer_id % 2 = t.parity\ngroup by 1, 2\n"
    )
    files = {
        "stg_orders": ("models/stg_orders.sql", _STAGING),
        "spend_by_tier": ("models/spend_by_tier.sql", mart),
    }
    seeds = {"tiers": ("seeds/tiers.csv", "parity,tier\n0,even\n1,odd\n")}
    built = dbt_pipeline(files, {"name": "p"}, [("models/sources.yml", _SOURCES)], seeds=seeds)
    scene = Scene(built.pipeline, ORDERS, BEFORE, AFTER)

    [proposal] = await healer.handle(drift_alert(scene), scene.deps())

    assert isinstance(proposal, FixProposed) and proposal.validation.passed
    assert [p.model for p in proposal.patches] == ["stg_orders"]
    checks = {c.name: c for c in proposal.validation.checks}
    joined = checks["rows:spend_by_tier"]  # every replayed order met its tier in the seed
    assert joined.passed and joined.detail.startswith("5 rows from 5 new events"), joined


async def test_a_fix_a_packages_model_would_need_is_escalated_not_written() -> None:
    package = DbtPackage(
        "shop_utils",
        {"name": "shop_utils"},
        {"order_sizes": ("dbt_packages/shop_utils/models/order_sizes.sql", _PACKAGE_MODEL)},
        [("dbt_packages/shop_utils/models/sources.yml", _SOURCES)],
    )
    files = {"stg_orders": ("models/stg_orders.sql", _STAGING)}
    built = dbt_pipeline(
        files, {"name": "p"}, [("models/sources.yml", _SOURCES)], packages=[package]
    )
    scene = Scene(built.pipeline, ORDERS, BEFORE, AFTER)

    [outcome] = await healer.handle(drift_alert(scene), scene.deps())

    assert isinstance(outcome, IncidentEscalated), outcome
    assert "dbt package 'shop_utils'" in outcome.reason and "never patches" in outcome.reason
    assert scene.branches == []


_PACKAGE_MODEL = (
    "select cust_id, count(*) as orders from {{ source('shop', 'orders') }} group by cust_id\n"
)
