"""Tests for tools.sql.patch: data-driven rewrite cases plus behaviour around them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sqlglot
from _pytest.mark.structures import ParameterSet
from sqlglot import exp

from core.contracts import Contract, Pipeline
from core.errors import ToolError
from core.models import FieldMapping, SchemaMapping
from tools.sql.patch import apply_mapping, default_rewrites, parse_target, render_diff
from tools.sql.replay import run_models

FIXTURES = Path(__file__).parent / "fixtures" / "sql_patch.sql"


def _cases() -> list[ParameterSet]:
    cases = []
    for block in re.split(r"(?m)^(?=-- title:)", FIXTURES.read_text()):
        if not block.strip():
            continue
        head = dict(re.findall(r"(?m)^-- (\w+): (.*)$", block))
        body = "\n".join(line for line in block.splitlines() if not line.startswith("--"))
        given, expected = (s.strip() for s in body.split(";") if s.strip())
        cases.append(pytest.param(head, given, expected, id=head["title"]))
    return cases


def _mapping(pairs: dict[str, str]) -> SchemaMapping:
    return SchemaMapping(entries=[FieldMapping(source=s, target=t) for s, t in pairs.items()])


@pytest.mark.parametrize(("head", "given", "expected"), _cases())
def test_rewrites_each_fixture_case(head: dict[str, str], given: str, expected: str) -> None:
    contract = None
    if "contract" in head:
        names = [n.strip() for n in head["contract"].split(",")]
        contract = Contract(dataset="orders", fields=[{"name": n, "type": "string"} for n in names])
    pipeline = Pipeline(dialect=head["dialect"], models={"m": given})
    [patch] = apply_mapping(pipeline, "orders", _mapping(json.loads(head["mapping"])), contract)
    dialect = head["dialect"]
    normal = sqlglot.parse_one(expected, read=dialect).sql(dialect=dialect)
    assert sqlglot.parse_one(patch.after_sql, read=dialect).sql(dialect=dialect) == normal
    assert patch.before_sql == given and patch.dialect == dialect


SPEC_MODEL = """
select order_id, cust_id as customer_id, amount_cents / 100.0 as amount,
       status, created_at
from orders
"""


def test_patched_spec_model_produces_the_expected_rows_from_new_events() -> None:
    pipeline = Pipeline(models={"stg_orders": SPEC_MODEL})
    after = [
        {
            "order_id": "o2",
            "customer_id": 7,
            "amount_cents": 900,
            "status": "placed",
            "created_at": "2026-01-01T10:05:00Z",
        }
    ]
    [patch] = apply_mapping(pipeline, "orders", _mapping({"cust_id": "customer_id"}))
    rows = run_models(Pipeline(models={"stg_orders": patch.after_sql}), {"orders": after})
    assert rows["stg_orders"] == [
        {
            "order_id": "o2",
            "customer_id": 7,
            "amount": 9.0,
            "status": "placed",
            "created_at": "2026-01-01T10:05:00Z",
        }
    ]


def test_leaves_models_that_do_not_read_the_dataset_untouched() -> None:
    pipeline = Pipeline(
        models={
            "stg": "select cust_id as customer_id from orders",
            "daily": "select customer_id, count(*) as n from stg group by customer_id",
            "other": "select cust_id from payments",
        }
    )
    patches = apply_mapping(pipeline, "orders", _mapping({"cust_id": "customer_id"}))
    assert [p.model for p in patches] == ["stg"]


def test_returns_no_patch_when_no_mapped_field_is_read() -> None:
    pipeline = Pipeline(models={"stg": "select order_id from orders"})
    assert apply_mapping(pipeline, "orders", _mapping({"cust_id": "customer_id"})) == []


def test_refuses_a_star_over_the_topic_without_a_contract() -> None:
    pipeline = Pipeline(models={"stg": "select * from orders"})
    with pytest.raises(ToolError, match="pass the contract"):
        apply_mapping(pipeline, "orders", _mapping({"cust_id": "customer_id"}))


def test_refuses_an_unqualified_star_over_a_join() -> None:
    pipeline = Pipeline(models={"m": "select * from orders o join c on c.k = o.k"})
    contract = Contract(dataset="orders", fields=[{"name": "cust_id", "type": "integer"}])
    with pytest.raises(ToolError, match="qualify it"):
        apply_mapping(pipeline, "orders", _mapping({"cust_id": "customer_id"}), contract)


def test_refuses_a_statement_as_mapping_target() -> None:
    with pytest.raises(ToolError, match="must be an expression"):
        parse_target("(select 1)")


def test_runs_the_rewrites_the_caller_passes_in_order() -> None:
    def add_limit(tree: exp.Expr) -> exp.Expr:
        assert isinstance(tree, exp.Select)
        return tree.copy().limit(10)

    pipeline = Pipeline(models={"stg": "select cust_id from orders"})
    mapping = _mapping({"cust_id": "customer_id"})
    steps = (*default_rewrites("orders", mapping), add_limit)
    [patch] = apply_mapping(pipeline, "orders", mapping, rewrites=steps)
    assert patch.after_sql.split() == "SELECT customer_id AS cust_id FROM orders LIMIT 10".split()


def test_renders_a_unified_diff_naming_each_model() -> None:
    pipeline = Pipeline(models={"stg": "select cust_id from orders\n"})
    patches = apply_mapping(pipeline, "orders", _mapping({"cust_id": "customer_id"}))
    diff = render_diff(patches)
    assert diff.startswith("--- a/models/stg.sql\n+++ b/models/stg.sql\n")
    assert "-select cust_id from orders" in diff
    assert "+select customer_id AS cust_id from orders" in diff
    assert render_diff([]) == ""


def test_a_patch_changes_only_the_references_it_rewrites() -> None:
    model = (
        "-- staging of orders\n"
        "select\n"
        "  o.order_id,\n"
        "  o.cust_id,            -- who bought\n"
        "  sum(o.amount_cents) as spent\n"
        "from orders as o\n"
        "group by o.order_id, o.cust_id\n"
    )
    [patch] = apply_mapping(
        Pipeline(models={"stg": model}), "orders", _mapping({"cust_id": "customer_id"})
    )
    changed = [line for line in patch.after_sql.splitlines() if line not in model.splitlines()]
    assert changed == [
        "  o.customer_id AS cust_id,            -- who bought",
        "group by o.order_id, o.customer_id",
    ]


_CLICKS = Contract.model_validate(
    {
        "dataset": "clicks",
        "fields": [{"name": "user_id", "type": "integer"}, {"name": "page", "type": "string"}],
    }
)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (
            "select *  -- all of it\nfrom clicks\nwhere page is not null",
            "select account_id AS user_id, page  -- all of it\nfrom clicks\nwhere page is not null",
        ),
        (
            "select c.*, u.name\nfrom clicks c join users u on c.user_id = u.id",
            "select c.account_id AS user_id, c.page, u.name\n"
            "from clicks c join users u on c.account_id = u.id",
        ),
    ],
    ids=["star", "qualified_star_in_a_join"],
)
def test_an_expanded_star_changes_only_the_star(before: str, after: str) -> None:
    pipeline = Pipeline(models={"m": before})

    [patch] = apply_mapping(pipeline, "clicks", _mapping({"user_id": "account_id"}), _CLICKS)

    assert patch.after_sql == after


ISO_TARGETS = [
    ("strftime(CAST(t AS TIMESTAMPTZ), '%Y-%m-%dT%H:%M:%SZ')", "2026-01-22T22:08:32-07:00"),
    ("strftime(CAST(t AS TIMESTAMPTZ), '%Y-%m-%dT%H:%M:%S.%fZ')", "2026-01-23T07:08:32.5+02:00"),
    ("strftime(CAST(t AS TIMESTAMPTZ), '%Y-%m-%dT%H:%M:%S')", "2026-01-23T05:08:32Z"),
    ("strftime(CAST(t AS TIMESTAMPTZ), '%d.%m.%Y um %H:%M UTC')", "2026-01-23T05:08:32Z"),
]


@pytest.mark.parametrize("dialect", ["spark", "databricks", "snowflake", "postgres", "duckdb"])
@pytest.mark.parametrize(("target", "sent"), ISO_TARGETS)
def test_a_time_format_keeps_its_literal_letters_in_every_dialect(
    dialect: str, target: str, sent: str
) -> None:
    """Spark reads the `Z` of '...%SZ' as the zone offset: the letters must stay literal text."""
    pipeline = Pipeline(dialect=dialect, models={"stg": "select id, t as t from ev"})
    [patch] = apply_mapping(pipeline, "ev", _mapping({"t": target}))
    events: list[dict[str, object]] = [{"id": "a", "t": sent}]
    reference = Pipeline(models={"stg": f"select id, {target} as t from ev"})
    want = run_models(reference, {"ev": events})["stg"]
    patched = Pipeline(dialect=dialect, models={"stg": patch.after_sql})
    assert run_models(patched, {"ev": events})["stg"] == want
