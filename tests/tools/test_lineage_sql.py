"""Column edges of SQL scripts, case by case from tests/tools/fixtures/lineage_cases.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from core.contracts import Contract
from core.errors import ToolError
from tools.lineage.script import contract_columns, lineage_schema, script_edges, script_lineage

_CASES: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parent / "fixtures" / "lineage_cases.yaml").read_text(encoding="utf-8")
)


def _edges(sql: str, dialect: str) -> set[str]:
    schema = lineage_schema(_CASES["schema"], dialect)
    edges = script_edges(sql, dialect=dialect, schema=schema, default_target="q")
    return {f"{e.source} -> {e.target} {e.kind}" for e in edges}


@pytest.mark.parametrize("case", _CASES["cases"], ids=[c["title"] for c in _CASES["cases"]])
def test_yields_exactly_the_expected_edges(case: dict[str, Any]) -> None:
    assert _edges(case["sql"], case["dialect"]) == set(case["edges"])


@pytest.mark.parametrize("dialect", ["duckdb", "spark", "snowflake", "bigquery", "postgres"])
def test_same_model_has_the_same_lineage_in_every_dialect(dialect: str) -> None:
    sql = (
        "with t as (select cust_id, amount_cents from orders where status = 'placed') "
        "select cust_id, sum(amount_cents) as spent from t group by cust_id"
    )
    assert _edges(sql, dialect) == {
        "orders.cust_id -> q.cust_id direct",
        "orders.cust_id -> q.cust_id group_by",
        "orders.status -> q.cust_id filter",
        "orders.amount_cents -> q.spent aggregate",
        "orders.cust_id -> q.spent group_by",
        "orders.status -> q.spent filter",
    }


def test_edges_serialise_with_source_and_target_names() -> None:
    [edge] = script_edges("select a from t", dialect="duckdb")
    assert edge.as_dict() == {
        "source": "t.a",
        "target": "query.a",
        "kind": "direct",
    }


def test_reports_tables_read_and_columns_it_cannot_place() -> None:
    [lineage] = script_lineage("select x, t.y from t join u on t.id = u.id", dialect="duckdb")
    assert lineage.reads == ["t", "u"]
    assert lineage.unresolved == ["x"]
    assert lineage.columns == ["x", "y"]


def test_contract_columns_nest_dotted_fields_into_structs() -> None:
    contract = Contract(
        dataset="users",
        fields=[
            {"name": "id", "type": "integer"},
            {"name": "geo.city", "type": "string"},
            {"name": "geo.point.lat", "type": "number"},
        ],
    )
    assert contract_columns(contract) == {
        "id": "BIGINT",
        "geo": 'STRUCT("city" VARCHAR, "point" STRUCT("lat" DOUBLE))',
    }
    schema = lineage_schema({"users": contract_columns(contract)}, "duckdb")
    edges = script_edges("select u.geo.point.lat from users u", dialect="duckdb", schema=schema)
    assert [e.source for e in edges] == ["users.geo.point.lat"]


def test_statements_without_column_flow_yield_nothing() -> None:
    assert script_edges("drop table t; insert into t values (1)", dialect="duckdb") == []


def test_unparseable_sql_names_the_dialect() -> None:
    with pytest.raises(ToolError, match="'postgres'"):
        script_edges("select from where (", dialect="postgres")


def test_a_dbt_model_with_an_unknown_var_fails_with_a_clear_error() -> None:
    with pytest.raises(ToolError, match=r"var\('since'\)"):
        script_edges("select a from t where d > '{{ var(\"since\") }}'", dialect="duckdb")


def test_a_dbt_var_with_a_default_renders() -> None:
    sql = "select a from {{ ref('stg') }} where d > '{{ var(\"since\", \"2024-01-01\") }}'"
    assert {e.source + " " + e.kind for e in script_edges(sql, dialect="duckdb")} == {
        "stg.a direct",
        "stg.d filter",
    }


def test_sql_that_does_not_parse_names_the_dialect() -> None:
    with pytest.raises(ToolError, match="as 'duckdb'"):
        script_lineage("select (", dialect="duckdb")


def test_procedure_statements_are_followed_and_control_flow_skipped() -> None:
    sql = """CREATE PROCEDURE p AS
    BEGIN
      DECLARE @n INT = 0;
      WHILE @n < 3
      BEGIN
        SET @n = @n + 1;
        UPDATE dbo.t SET v = s.v FROM dbo.t JOIN dbo.s AS s ON t.id = s.id;
      END
    END"""
    [lineage] = script_lineage(sql, dialect="tsql")
    assert lineage.target == "dbo.t"
    assert {e.source for e in lineage.edges if e.kind == "direct"} == {"dbo.s.v"}
