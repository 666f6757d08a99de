"""Tests for guardrails.sql_safety."""

from __future__ import annotations

import pytest

from core.contracts import Pipeline
from core.models import ModelPatch
from guardrails.registry import PatchReview
from guardrails.sql_safety import no_destructive_statements, patch_is_single_query


def _review(after_sql: str, dialect: str = "duckdb") -> PatchReview:
    pipeline = Pipeline(dialect=dialect, models={"stg": "select a from orders"})
    patch = ModelPatch(
        model="stg", dialect=dialect, before_sql="select a from orders", after_sql=after_sql
    )
    return PatchReview(pipeline=pipeline, dataset="orders", patches=[patch])


@pytest.mark.parametrize(
    ("dialect", "sql", "word"),
    [
        ("duckdb", "drop table orders", "DROP"),
        ("postgres", "with d as (delete from orders returning *) select * from d", "DELETE"),
        ("snowflake", "truncate table orders", "TRUNCATE"),
        ("spark", "alter table orders add column x int", "ALTER"),
        ("bigquery", "insert into orders select * from orders", "INSERT"),
        ("postgres", "update orders set a = 1", "UPDATE"),
        ("snowflake", "merge into t using s on t.id = s.id when matched then delete", "MERGE"),
        ("duckdb", "select a from orders; drop table orders", "DROP"),
        ("postgres", "grant all on orders to public", "GRANT"),
        ("duckdb", "vacuum orders", "COMMAND"),
    ],
)
def test_blocks_statements_that_change_data(dialect: str, sql: str, word: str) -> None:
    verdict = no_destructive_statements(_review(sql, dialect))
    assert not verdict.allowed and word in verdict.reason
    assert verdict.rule == "no_destructive_statements"


def test_allows_a_plain_query_that_mentions_delete_in_a_string() -> None:
    verdict = no_destructive_statements(_review("select 'drop table x; delete' as a from orders"))
    assert verdict.allowed


def test_requires_exactly_one_query_per_model() -> None:
    assert patch_is_single_query(_review("select a from orders")).allowed
    assert not patch_is_single_query(_review("select a from orders; select 1")).allowed
    assert not patch_is_single_query(_review("create table x as select 1")).allowed
    assert not patch_is_single_query(_review("select from where (")).allowed


def test_requires_the_pipeline_dialect() -> None:
    review = _review("select a from orders", "spark")
    review = review.model_copy(
        update={"pipeline": Pipeline(models={"stg": "select a from orders"})}
    )
    assert "written in 'spark'" in patch_is_single_query(review).reason
