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


_SHOP = "name: shop\nconfig-version: 2\nvars: {shop: {floor: 1}}\n"
_SHOP_SOURCES = """
sources:
  - name: shop
    tables:
      - name: orders
        columns:
          - {name: order_id, data_type: varchar}
          - {name: status, data_type: varchar}
          - {name: amount_cents, data_type: bigint}
"""
_UTILS = {
    "dbt_packages/shop_utils/dbt_project.yml": (
        "name: shop_utils\nconfig-version: 2\nvars: {currency: usd, divisor: 1}\n"
    ),
    "dbt_packages/shop_utils/macros/money.sql": (
        "{% macro to_amount(column) %}{{ column }} / 100{% endmacro %}"
    ),
    "dbt_packages/shop_utils/models/currencies.sql": (
        "select '{{ var('currency') }}' as currency, {{ to_amount(var('divisor')) }} as unit"
    ),
}


def test_a_packages_models_are_read_for_refs_and_never_patched(tmp_path: Path) -> None:
    model = (
        "select o.order_id, {{ shop_utils.to_amount('o.amount_cents') }} as amount, c.currency\n"
        "from {{ source('shop', 'orders') }} as o cross join {{ ref('shop_utils', 'currencies') }}"
        " as c\n"
    )
    root = _write(
        tmp_path,
        {
            # The root project's vars scoped to the package override the package's own.
            "dbt_project.yml": "name: shop\nconfig-version: 2\nvars: {shop_utils: {divisor: 7}}\n",
            "models/sources.yml": _SHOP_SOURCES,
            "models/priced.sql": model,
            **_UTILS,
        },
    )

    pipeline = read_pipeline_dir(root).pipeline

    assert "o.amount_cents / 100 as amount" in pipeline.models["priced"]
    assert "cross join currencies as c" in pipeline.models["priced"]
    assert pipeline.models["currencies"] == "select 'usd' as currency, 7 / 100 as unit"
    assert set(pipeline.templates) == {"priced"}  # only the project's own models are written
    assert pipeline.read_only == {
        "currencies": "a model of dbt package 'shop_utils' "
        "(dbt_packages/shop_utils/models/currencies.sql)"
    }


def test_seeds_are_relations_a_model_can_ref(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "dbt_project.yml": _SHOP,
            "models/sources.yml": _SHOP_SOURCES,
            "models/labelled.sql": (
                "select o.order_id, s.label from {{ source('shop', 'orders') }} as o\n"
                "join {{ ref('statuses') }} as s on s.status = o.status\n"
            ),
            "seeds/lookups/statuses.csv": "status,label,rank\nplaced,Placed,1\nshipped,Shipped,2\n",
        },
    )

    pipeline = read_pipeline_dir(root).pipeline

    assert "join statuses as s" in pipeline.models["labelled"]
    assert "('placed', 'Placed', 1)" in pipeline.models["statuses"]
    assert pipeline.read_only == {"statuses": "dbt seed 'seeds/lookups/statuses.csv'"}


def test_a_seed_with_a_models_name_is_a_clear_error(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "dbt_project.yml": _SHOP,
            "models/statuses.sql": "select 1 as a",
            "seeds/statuses.csv": "a\n1\n",
        },
    )
    with pytest.raises(RepoError, match=r"seeds/statuses\.csv' has the name of model 'statuses'"):
        read_pipeline_dir(root)


def test_env_var_renders_its_default_and_without_one_names_the_model(tmp_path: Path) -> None:
    model = "select '{{ env_var('SHOP_REGION', 'eu') }}' as region, {{ var('floor', 0) }} as f"
    root = _write(tmp_path, {"dbt_project.yml": _SHOP, "models/region.sql": model})
    assert read_pipeline_dir(root).pipeline.models["region"] == "select 'eu' as region, 1 as f"

    (root / "models" / "region.sql").write_text("select '{{ env_var('SHOP_REGION') }}' as r")
    with pytest.raises(RepoError, match=r"models/region.sql.*env_var\('SHOP_REGION'\) without"):
        read_pipeline_dir(root)


def test_a_package_that_is_not_installed_is_named_with_what_to_do(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "dbt_project.yml": _SHOP,
            "packages.yml": "packages:\n  - local: ../shop_utils\n",
            "models/priced.sql": "select {{ shop_utils.to_amount('a') }} as amount",
        },
    )
    with pytest.raises(RepoError, match=r"packages\.yml declares packages .* run 'dbt deps'"):
        read_pipeline_dir(root)
