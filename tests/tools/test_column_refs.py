"""Tests for tools.sql.column_refs: which column references read the topic, and fields_used."""

from __future__ import annotations

import pytest
import sqlglot

from core.contracts import Contract, Pipeline
from tools.sql.column_refs import dataset_references, fields_used


def _paths(sql: str, dialect: str = "duckdb") -> list[str]:
    tree = sqlglot.parse_one(sql, read=dialect)
    return sorted(".".join(r.path) for r in dataset_references(tree, "orders"))


def test_resolves_qualified_unqualified_and_struct_references() -> None:
    sql = "select o.a, o.addr.city from orders o where o.b > 1"
    assert _paths(sql) == ["a", "addr.city", "b"]
    assert _paths("select a, addr.city from orders where b > 1") == ["a", "addr.city", "b"]


def test_skips_columns_of_other_tables_and_unknowable_unqualified_ones() -> None:
    sql = "select o.a, c.a, x from orders o join customers c on c.k = o.k"
    assert _paths(sql) == ["a", "k"]


def test_resolves_unqualified_columns_next_to_a_cte_that_lacks_them() -> None:
    sql = "with c as (select 1 as k) select a from orders join c on true"
    assert _paths(sql) == ["a"]


def test_resolves_correlated_references_to_the_outer_alias() -> None:
    sql = "select c.id from customers c where exists (select 1 from orders o where o.a = c.id)"
    assert _paths(sql, "postgres") == ["a"]


@pytest.mark.parametrize("dialect", ["spark", "snowflake", "bigquery", "postgres", "duckdb"])
def test_lists_the_fields_a_pipeline_uses_in_each_dialect(dialect: str) -> None:
    pipeline = Pipeline(
        dialect=dialect,
        models={
            "stg": "select o.order_id, o.cust_id, sum(o.amount) as s from orders o group by 1, 2",
            "top": "select cust_id from stg where s > 0",
        },
    )
    assert fields_used(pipeline, "orders") == {"order_id", "cust_id", "amount"}


def test_a_star_uses_every_contract_field() -> None:
    contract = Contract(
        dataset="orders",
        fields=[{"name": "a", "type": "string"}, {"name": "b.c", "type": "string"}],
    )
    pipeline = Pipeline(models={"m": "select * from orders"})
    assert fields_used(pipeline, "orders", contract) == {"a", "b.c"}
    assert fields_used(pipeline, "orders") == set()


def test_fields_used_follows_ctes_and_filters_through_the_lineage_engine() -> None:
    pipeline = Pipeline(
        models={"m": "with c as (select o.a, o.d from orders o where o.e > 0) select a from c"}
    )
    assert fields_used(pipeline, "orders") == {"a", "e"}


def test_fields_used_counts_columns_a_join_cannot_place_without_a_schema() -> None:
    pipeline = Pipeline(models={"m": "select x from orders o join other p on o.k = p.k"})
    assert fields_used(pipeline, "orders") == {"k", "x"}


def test_a_struct_read_whole_uses_its_nested_fields() -> None:
    contract = Contract(
        dataset="orders",
        fields=[
            {"name": "a", "type": "string"},
            {"name": "b.c", "type": "string"},
            {"name": "b.d", "type": "string"},
        ],
    )
    pipeline = Pipeline(models={"m": "select o.b from orders o"})
    assert fields_used(pipeline, "orders", contract) == {"b.c", "b.d"}
