"""A fix of a rendered dbt model is written back into its Jinja, or refused when not exact."""

from __future__ import annotations

from typing import Any

import pytest

from core.models import FieldMapping, SchemaMapping
from tools.dbt.project import dbt_pipeline
from tools.dbt.writeback import WritebackError, tags, templated_patches, write_back
from tools.lineage.dbt import render_model
from tools.sql.patch import apply_mapping

_SOURCES: dict[str, Any] = {
    "sources": [
        {
            "name": "raw",
            "tables": [
                {
                    "name": "events",
                    "meta": {"kafka_topic": "clicks"},
                    "columns": [
                        {"name": "user_id", "data_type": "bigint"},
                        {"name": "page", "data_type": "varchar"},
                        {"name": "ts", "data_type": "timestamp"},
                    ],
                }
            ],
        }
    ]
}

_SHAPES = {
    "cte_with_refs": {
        "stg": "select user_id, page from {{ source('raw', 'events') }}",
        "pages": (
            "with base as (\n  select user_id as uid, page\n"
            "  from {{ source('raw', 'events') }}\n),\nlatest as (select * from {{ ref('stg') }})\n"
            "select base.uid, latest.page from base join latest using (page)\n"
        ),
    },
    "source_in_from_with_alias": {
        "per_user": (
            "select e.user_id, count(*) as views\nfrom {{ source('raw', 'events') }} as e\n"
            "group by e.user_id\n"
        ),
    },
    "config_header_and_comments": {
        "daily": (
            "{{ config(materialized='incremental', unique_key='user_id') }}\n\n"
            "-- one row per user and day\nselect\n    user_id,  -- who\n"
            "    cast(ts as date) as day\nfrom {{ source('raw', 'events') }}\n"
        ),
    },
    "vars_macros_and_control_flow": {
        "recent": (
            "{% set window_days = var('window_days', 7) %}\n"
            "select user_id, page\nfrom {{ source('raw', 'events') }}\n"
            "where ts > now() - interval {{ window_days }} day\n"
            "{%- if is_incremental() %}\n  and ts > (select max(ts) from {{ this }})\n"
            '{%- endif %}\n  and page <> \'{{ var("skip_page", "/health") }}\'\n'
        ),
    },
    "project_macro_called_with_a_column": {
        "money": (
            "select user_id, {{ cents('ts_ms') }} as seconds\nfrom {{ source('raw', 'events') }}\n"
        ),
    },
    "star_over_source": {
        "everything": "select *\nfrom {{ source('raw', 'events') }}\nwhere page is not null\n",
    },
}


@pytest.mark.parametrize("models", _SHAPES.values(), ids=list(_SHAPES))
def test_a_renamed_field_is_written_back_into_every_model_shape(models: dict[str, str]) -> None:
    files = {name: (f"models/{name}.sql", text) for name, text in models.items()}
    macros = ["{% macro cents(c) %}{{ c }} / 1000{% endmacro %}{% test t(model) %}x{% endtest %}"]
    built = dbt_pipeline(files, {"name": "p"}, [("models/sources.yml", _SOURCES)], macros=macros)
    pipeline, contract = built.pipeline, built.contracts["clicks"]
    mapping = SchemaMapping(entries=[FieldMapping(source="user_id", target="account_id")])

    patches = templated_patches(pipeline, apply_mapping(pipeline, "clicks", mapping, contract))

    assert patches, "the rename reaches a model"
    for patch in patches:
        assert patch.template_before == models[patch.model]
        assert patch.path == f"models/{patch.model}.sql"
        assert patch.template_after is not None and "account_id" in patch.template_after
        assert tags(patch.template_after) == tags(models[patch.model]), "every Jinja tag kept"
        rendered = render_model(patch.template_after, {}, pipeline.context.sources, macros)
        assert rendered == patch.after_sql


def test_only_the_changed_text_moves_in_the_template() -> None:
    source = (
        "{{ config(materialized='view') }}\nselect\n  cust_id,\n  n\nfrom {{ ref('orders') }}\n"
    )
    after = render_model(source).replace("  cust_id,", "  customer_id AS cust_id,")

    written = write_back(source, after)

    assert written == source.replace("  cust_id,", "  customer_id AS cust_id,")


def test_a_change_to_text_a_jinja_tag_produced_is_refused() -> None:
    source = "select a from {{ source('raw', 'events') }}"
    after = render_model(source, sources={"raw.events": "clicks"}).replace("clicks", "views")

    with pytest.raises(WritebackError, match="Jinja tag produced"):
        write_back(source, after, sources={"raw.events": "clicks"})


def test_a_change_inside_a_loop_body_is_refused() -> None:
    source = (
        "select {% for i in [1, 2] %}cust_id + {{ i }} as c{{ i }}, {% endfor %}1 as one from t"
    )
    rendered = render_model(source)
    after = rendered.replace("cust_id + 1", "customer_id + 1", 1)

    with pytest.raises(WritebackError, match="more than once"):
        write_back(source, after)


def test_a_change_to_what_a_macro_produced_is_refused() -> None:
    macros = ["{% macro cents(c) %}{{ c }} / 100.0{% endmacro %}"]
    source = "select {{ cents('amount_cents') }} as amount from t"
    after = render_model(source, macros=macros).replace("amount_cents", "price_cents")

    with pytest.raises(WritebackError, match="Jinja tag produced"):
        write_back(source, after, macros=macros)


def test_whitespace_control_is_kept() -> None:
    source = "select\n  a,\n  {%- if true %}\n  b\n  {%- endif %}\nfrom t"
    after = render_model(source).replace("  b", "  b2 as b")

    written = write_back(source, after)

    assert "{%- if true %}" in written and "b2 as b" in written
    assert render_model(written) == after


def test_windows_line_endings_are_kept() -> None:
    source = "{{ config(x=1) }}\r\nselect\r\n  cust_id,\r\n  n\r\nfrom {{ ref('o') }}\r\n"
    after = render_model(source).replace("cust_id", "customer_id AS cust_id")

    written = write_back(source, after)

    assert written == source.replace("cust_id", "customer_id AS cust_id")
