"""Tests for tools.sql.model_graph."""

from __future__ import annotations

import pytest

from core.contracts import Pipeline
from core.errors import ToolError
from tools.sql.model_graph import build_graph


def _pipeline(dialect: str = "duckdb", **models: str) -> Pipeline:
    return Pipeline(dialect=dialect, models=models)


def test_orders_models_after_the_models_they_read() -> None:
    graph = build_graph(
        _pipeline(
            daily="select day, sum(amount) from stg group by day",
            stg="select amount, cast(ts as date) as day from orders",
            top="select * from daily join customers using (day)",
        )
    )
    assert graph.order() == ["stg", "daily", "top"]
    assert graph.sources() == {"orders", "customers"}
    assert graph.models_reading("orders") == ["stg"]
    assert graph.downstream("orders") == ["stg", "daily", "top"]


def test_ignores_cte_names_and_resolves_qualified_topic_names() -> None:
    graph = build_graph(
        _pipeline(
            "spark",
            m="with orders as (select * from raw.orders where x > 1) select * from orders",
        ),
        topics={"orders"},
    )
    assert graph.reads["m"] == {"orders"}


def test_reports_a_cycle_between_models() -> None:
    graph = build_graph(_pipeline(a="select * from b", b="select * from a"))
    with pytest.raises(ToolError, match="cycle"):
        graph.order()


def test_rejects_a_model_with_two_statements() -> None:
    with pytest.raises(ToolError, match="exactly one statement"):
        build_graph(_pipeline(a="select 1; select 2"))


def test_rejects_sql_that_does_not_parse() -> None:
    with pytest.raises(ToolError, match="not valid bigquery SQL"):
        build_graph(_pipeline("bigquery", a="select from where ("))


def test_a_model_named_after_its_topic_reads_the_topic_not_itself() -> None:
    graph = build_graph(_pipeline(refunds="select * from refunds", daily="select * from refunds"))
    assert graph.order() == ["refunds", "daily"]
    assert graph.sources() == {"refunds"}
    assert graph.models_reading("refunds") == ["daily", "refunds"]
