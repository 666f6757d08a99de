"""`suture lineage` and `suture ask` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from suture.cli import main
from tests.fixtures.fake_openai import FakeOpenAI

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"


def test_lineage_of_an_insert_script_as_json_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "load.sql"
    script.write_text(
        "insert into facts (k, total) select cust_id, sum(amount) from raw group by cust_id;",
        encoding="utf-8",
    )
    assert main(["lineage", str(script), "--dialect", "snowflake", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines == [
        {"source": "raw.cust_id", "target": "facts.k", "kind": "direct"},
        {"source": "raw.cust_id", "target": "facts.k", "kind": "group_by"},
        {"source": "raw.amount", "target": "facts.total", "kind": "aggregate"},
        {"source": "raw.cust_id", "target": "facts.total", "kind": "group_by"},
    ]


def test_schema_file_expands_stars_and_a_bare_query_writes_to_the_file_stem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "schema.yaml").write_text("events: {id: BIGINT, kind: VARCHAR}\n", "utf-8")
    (tmp_path / "copy.sql").write_text("select * from events", encoding="utf-8")
    args = ["lineage", str(tmp_path / "copy.sql"), "--schema", str(tmp_path / "schema.yaml")]
    assert main(args) == 0
    assert capsys.readouterr().out.splitlines() == [
        "events.id -> copy.id (direct)",
        "events.kind -> copy.kind (direct)",
    ]


def test_a_contract_works_as_a_schema_file(capsys: pytest.CaptureFixture[str]) -> None:
    model = str(SHOP / "models" / "stg_orders.sql")
    assert main(["lineage", model, "--schema", str(SHOP / "contracts" / "orders.yaml")]) == 0
    assert "orders.cust_id -> stg_orders.customer_id (direct)" in capsys.readouterr().out


def test_lineage_of_a_pipeline_directory_and_its_openlineage_events(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["lineage", str(SHOP)]) == 0
    assert "daily_revenue.revenue -> revenue_dashboard (exposure)" in capsys.readouterr().out
    assert main(["lineage", str(SHOP), "--openlineage", "--namespace", "shop"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {e["job"]["name"] for e in events} == {"stg_orders", "daily_revenue", "customer_orders"}
    assert all("columnLineage" in e["outputs"][0]["facets"] for e in events)


def test_bad_sql_is_one_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "bad.sql"
    script.write_text("select from where (", encoding="utf-8")
    assert main(["lineage", str(script)]) == 2
    assert capsys.readouterr().err.startswith("suture: error: cannot parse the SQL as 'duckdb'")


def test_ask_without_a_model_cites_graph_paths(capsys: pytest.CaptureFixture[str]) -> None:
    question = "who reads stg_orders.customer_id?"
    assert main(["ask", question, "--repo", str(SHOP), "--no-llm"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("stg_orders.customer_id is read by daily_revenue.customers (aggregate)")
    assert "stg_orders.customer_id -[aggregate]-> daily_revenue.customers" in out


def test_ask_about_a_missing_column_exits_non_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "who owns orders.coupon?", "--repo", str(SHOP), "--json"]) == 1
    answer = json.loads(capsys.readouterr().out)
    assert answer["missing"] == ["orders.coupon"]


def test_ask_with_a_configured_model_uses_its_tool_calls(
    tmp_path: Path, fake_openai: FakeOpenAI, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "suture.yaml"
    config.write_text(
        json.dumps({"repo": str(SHOP), "llm": {"base_url": fake_openai.base_url}}), "utf-8"
    )
    fake_openai.enqueue_tool_calls([{"name": "topics", "arguments": {"entity": "churn_features"}}])
    fake_openai.enqueue_content("churn_features is fed by the orders topic.")
    assert main(["ask", "which topics feed the churn features?", "--config", str(config)]) == 0
    fake_openai.assert_complete()
    out = capsys.readouterr().out
    assert out.startswith("churn_features is fed by the orders topic.")
    assert "orders.cust_id -[group_by]-> customer_orders.orders -[exposure]-> churn_features" in out
