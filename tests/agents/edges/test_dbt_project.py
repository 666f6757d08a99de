"""A dbt project is read as suture's pipeline: topics, contracts, invariants, rendered models."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agents.edges.pipeline_files import read_pipeline_dir
from core.errors import ContractError, RepoError

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "dbt_shop"

_PROJECT = "name: web\nconfig-version: 2\nmodel-paths: [transform]\nvars: {site: shop}\n"
_SOURCES = """
sources:
  - name: tracking
    tables:
      - name: page_views
        identifier: page_views_v2
        columns:
          - {name: view_id, data_type: uuid, tests: [unique, not_null]}
          - {name: user_id, data_type: bigint}
          - name: device
            data_type: varchar
            data_tests:
              - accepted_values: {arguments: {values: [mobile, desktop]}}
          - {name: seen_at, data_type: timestamptz}
      - name: sessions
models:
  - name: views_per_user
    config: {contract: {enforced: true}}
    constraints: [{type: check, expression: "views < 1000000"}]
    columns:
      - name: views
        data_tests:
          - dbt_utils.accepted_range: {min_value: 1}
      - name: user_id
        data_type: bigint
        constraints: [{type: not_null}, {type: check, expression: "user_id > 0"}]
"""
_MODEL = (
    "{{ config(materialized='table') }}\n"
    "select user_id, count(*) as views\n"
    "from {{ source('tracking', 'page_views') }}\n"
    "where site = '{{ var(\"site\") }}'\ngroup by user_id\n"
)


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_the_example_project_is_read_with_its_topic_contract_and_tests() -> None:
    files = read_pipeline_dir(EXAMPLE)

    assert set(files.pipeline.models) == {"stg_orders", "customer_orders", "daily_revenue"}
    assert "from shop_orders" in files.pipeline.models["stg_orders"]
    assert "from stg_orders" in files.pipeline.models["daily_revenue"]
    assert "{{" not in "".join(files.pipeline.models.values())
    assert files.model_paths["stg_orders"] == Path("models/staging/stg_orders.sql")
    contract = files.contracts["shop_orders"]
    order_id, status = contract.field("order_id"), contract.field("status")
    assert order_id is not None and order_id.required and order_id.unique
    assert status is not None and status.enum == ["placed", "shipped", "cancelled"]
    assert contract.event_time == "created_at" and contract.on_violation == "quarantine"
    checks = {i.name: (i.model, i.check) for i in contract.invariants}
    assert checks["daily_revenue.expression_is_true_0"] == ("daily_revenue", "revenue >= 0")
    assert checks["stg_orders.customer_id.not_null"] == ("stg_orders", "customer_id is not null")


def test_a_project_in_a_configured_subfolder_with_other_model_paths(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "pipeline.yaml": "name: web\ndbt_project: analytics\n",
            "analytics/dbt_project.yml": _PROJECT,
            "analytics/transform/sources.yml": _SOURCES,
            "analytics/transform/views_per_user.sql": _MODEL,
        },
    )

    files = read_pipeline_dir(root)

    sql = files.pipeline.models["views_per_user"]
    assert "from page_views_v2" in sql and "site = 'shop'" in sql
    assert files.pipeline.templates["views_per_user"].path == (
        "analytics/transform/views_per_user.sql"
    )
    contract = files.contracts["page_views_v2"]
    assert [f.type for f in contract.fields] == ["string", "integer", "string", "timestamp"]
    device = contract.field("device")
    assert device is not None and device.enum == ["mobile", "desktop"]
    checks = {i.name: i.check for i in contract.invariants}
    assert checks == {
        "views_per_user.views.accepted_range_min": "views >= 1",
        "views_per_user.user_id.not_null": "user_id is not null",
        "views_per_user.user_id.check_0": "user_id > 0",
        "views_per_user.check_0": "views < 1000000",
    }
    assert files.pipeline.context.sources["tracking.sessions"] == "sessions"


def test_a_source_column_without_a_known_type_is_reported_not_guessed(tmp_path: Path) -> None:
    broken = _SOURCES.replace("data_type: bigint", "data_type: geography")
    _write(
        tmp_path,
        {
            "dbt_project.yml": _PROJECT,
            "transform/sources.yml": broken,
            "transform/views_per_user.sql": _MODEL,
        },
    )

    with pytest.raises(ContractError, match="'user_id' needs a data_type"):
        read_pipeline_dir(tmp_path)
    lenient = read_pipeline_dir(tmp_path, lenient=True)
    [reason] = lenient.broken_contracts.values()
    assert lenient.contracts == {} and "geography" in reason


def test_a_configured_folder_without_a_dbt_project_is_a_clear_error(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "dbt")
    (tmp_path / "pipeline.yaml").write_text("dbt_project: elsewhere\n")

    with pytest.raises(RepoError, match=r"no dbt_project\.yml"):
        read_pipeline_dir(tmp_path)
