"""The healer on a dbt pipeline: the proposal carries the Jinja, or the alert escalates."""

from __future__ import annotations

from agents import healer
from core.models import FixProposed, IncidentEscalated
from tests.agents.test_healer import AFTER, BEFORE, ORDERS, Scene, drift_alert
from tools.dbt.project import dbt_pipeline
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
