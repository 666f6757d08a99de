"""Tests for tools.sql.replay and tools.sql.event_table: typed tables, models in order."""

from __future__ import annotations

import pytest

from core.contracts import Contract, Invariant, Pipeline
from core.errors import ReplayError
from tools.sql.event_table import event_table
from tools.sql.replay import evaluate_checks, replay, run_models

CONTRACT = Contract(
    dataset="orders",
    fields=[
        {"name": "order_id", "type": "string"},
        {"name": "cust_id", "type": "integer"},
        {"name": "created_at", "type": "timestamp"},
        {"name": "address.city", "type": "string"},
    ],
)


def test_keeps_timestamp_strings_as_strings() -> None:
    rows = run_models(
        Pipeline(models={"m": "select created_at, typeof(created_at) as t from orders"}),
        {"orders": [{"created_at": "2026-01-01T10:00:00Z"}]},
    )
    assert rows["m"] == [{"created_at": "2026-01-01T10:00:00Z", "t": "VARCHAR"}]


def test_types_columns_from_json_values() -> None:
    table = event_table(
        [
            {"a": 1, "b": 1, "c": "x", "d": {"k": 1}, "e": [1]},
            {"a": 2.5, "b": "two", "c": None, "d": {"j": True}, "e": []},
        ]
    )
    assert [str(t) for t in table.schema.types] == [
        "double",
        "string",
        "string",
        "struct<k: int64, j: bool>",
        "list<item: int64>",
    ]
    assert table.column("b").to_pylist() == ["1", "two"]


def test_adds_contract_fields_no_event_carries_as_null_columns() -> None:
    rows = run_models(
        Pipeline(models={"m": "select cust_id, address.city as city, order_id from orders"}),
        {"orders": [{"order_id": "o1", "customer_id": 7}]},
        {"orders": CONTRACT},
    )
    assert rows["m"] == [{"cust_id": None, "city": None, "order_id": "o1"}]


def test_runs_models_in_dependency_order_and_reports_types() -> None:
    pipeline = Pipeline(
        models={
            "daily": "select cast(ts as date) as day, sum(amount) as revenue from stg group by 1",
            "stg": "select cast(created_at as timestamp) as ts, cents / 100.0 as amount "
            "from orders",
        }
    )
    events = [
        {"created_at": "2026-01-01T10:00:00Z", "cents": 1250},
        {"created_at": "2026-01-01T11:00:00Z", "cents": 50},
    ]
    result = replay(pipeline, {"orders": events})
    assert result.outputs["daily"].rows == [{"day": "2026-01-01", "revenue": 13.0}]
    assert [(c.name, c.type) for c in result.outputs["stg"].columns] == [
        ("ts", "TIMESTAMP"),
        ("amount", "DOUBLE"),
    ]


@pytest.mark.parametrize(
    ("dialect", "sql"),
    [
        ("spark", "select to_date(created_at) as day, nvl(cust_id, 0) as c from orders"),
        ("snowflake", "select to_date(created_at) as day, ifnull(cust_id, 0) as c from orders"),
        ("bigquery", "select date(created_at) as day, ifnull(cust_id, 0) as c from orders"),
        ("postgres", "select created_at::date as day, coalesce(cust_id, 0) as c from orders"),
    ],
)
def test_transpiles_models_from_their_dialect(dialect: str, sql: str) -> None:
    rows = run_models(
        Pipeline(dialect=dialect, models={"m": sql}),
        {"orders": [{"created_at": "2026-03-04T05:06:07", "cust_id": None}]},
        {"orders": CONTRACT},
    )
    assert rows["m"] == [{"day": "2026-03-04", "c": 0}]


def test_converts_output_values_to_json_friendly_ones() -> None:
    sql = (
        "select 1.50::decimal(5,2) as d, 12::hugeint as h, "
        "'2026-01-01 10:00:00+02'::timestamptz as tz, 'nan'::double as n, interval 1 day as i, "
        "map {'a': 1} as m"
    )
    [row] = run_models(Pipeline(models={"m": sql + " from orders"}), {"orders": [{"x": 1}]})["m"]
    assert row == {
        "d": 1.5,
        "h": 12,
        "tz": "2026-01-01T08:00:00Z",
        "n": None,
        "i": "P0M1DT0S",
        "m": [["a", 1]],
    }


def test_passes_hostile_strings_as_data() -> None:
    hostile = "x'); drop table orders; --"
    rows = run_models(
        Pipeline(models={"m": "select name from orders"}), {"orders": [{"name": hostile}]}
    )
    assert rows["m"] == [{"name": hostile}]


def test_names_the_failing_model_in_a_replay_error() -> None:
    pipeline = Pipeline(models={"stg": "select missing_column from orders"})
    with pytest.raises(ReplayError, match=r"model 'stg' failed in DuckDB.*missing_column"):
        run_models(pipeline, {"orders": [{"order_id": "o1"}]})


def test_refuses_a_topic_with_neither_events_nor_contract() -> None:
    with pytest.raises(ReplayError, match="no events and no contract"):
        run_models(Pipeline(models={"m": "select 1 from orders"}), {"orders": []})


def test_counts_violating_rows_with_examples_and_lets_null_pass() -> None:
    pipeline = Pipeline(models={"stg": "select amount from orders"})
    events: list[dict[str, object]] = [
        {"amount": 5},
        {"amount": -1},
        {"amount": -2},
        {"amount": None},
    ]
    checks = evaluate_checks(
        pipeline,
        {"orders": events},
        [
            Invariant(name="non_negative", model="stg", check="amount >= 0"),
            Invariant(name="broken", model="stg", check="nope > 0"),
            Invariant(name="elsewhere", model="gone", check="true"),
        ],
    )
    assert (checks[0].violations, checks[0].rows, checks[0].passed) == (2, 4, False)
    assert checks[0].examples == [{"amount": -1}, {"amount": -2}]
    assert checks[1].error is not None and "nope" in checks[1].error
    assert checks[2].error == "model 'gone' is not in the pipeline"


def test_keeps_instants_beyond_year_9999_as_text() -> None:
    sql = "select to_timestamp(ms)::timestamp as t from orders"
    rows = run_models(Pipeline(models={"m": sql}), {"orders": [{"ms": 1767261600000}]})
    assert rows["m"] == [{"t": "<value out of range: 1767261600000000000>"}]
