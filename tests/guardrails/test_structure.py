"""Tests for guardrails.structure: a schema fix only substitutes column references."""

from __future__ import annotations

import pytest

from core.contracts import Pipeline
from core.models import FieldMapping, ModelPatch, Recipe, SchemaMapping
from guardrails.registry import PatchReview
from guardrails.structure import compare, structure_preserved
from tools.healing.recipes import apply_recipe
from tools.sql.patch import apply_mapping

MODEL = """
select o.id, lower(o.email) as email,
       case when o.ref is null then 'direct' when o.ref like '%google%' then 'search'
            else 'referral' end as channel
from orders o
where o.op <> 'd'
qualify row_number() over (partition by o.id order by o.ts desc) = 1
"""


@pytest.mark.parametrize(
    ("change", "by"),
    [
        ("where o.op <> 'd'", ""),
        ("<> 'd'", "= 'd'"),
        ("when o.ref is null then 'direct' ", ""),
        ("order by o.ts desc", "order by o.id desc"),
        ("order by o.ts desc", "order by o.ts"),
        ("lower(o.email)", "upper(o.email)"),
        ("= 1", "= 2"),
    ],
)
def test_blocks_changes_beyond_column_substitution(change: str, by: str) -> None:
    assert change in MODEL
    assert compare(MODEL, MODEL.replace(change, by), "duckdb") is not None


def test_blocks_one_column_replaced_in_two_ways() -> None:
    patched = MODEL.replace("o.ts desc", "o.id desc").replace("o.id, lower", "o.key as id, lower")
    assert "different expressions" in (compare(MODEL, patched, "duckdb") or "")


@pytest.mark.parametrize("dialect", ["duckdb", "spark", "snowflake", "bigquery", "postgres"])
def test_allows_what_apply_mapping_produces(dialect: str) -> None:
    sql = MODEL if dialect in ("duckdb", "snowflake", "bigquery") else MODEL.split("qualify")[0]
    pipeline = Pipeline(dialect=dialect, models={"stg": sql})
    mapping = SchemaMapping(
        entries=[
            FieldMapping(source="id", target="after.id"),
            FieldMapping(
                source="ts", target="CAST(round(epoch(CAST(ts AS TIMESTAMPTZ)) * 1000) AS BIGINT)"
            ),
            FieldMapping(source="ref", target="a + b"),
        ]
    )
    patches = apply_mapping(pipeline, "orders", mapping)
    review = PatchReview(pipeline=pipeline, dataset="orders", patches=patches, mapping=mapping)
    verdict = structure_preserved(review)
    assert verdict.allowed, verdict.reason


def test_names_the_model_and_what_changed() -> None:
    pipeline = Pipeline(models={"stg": MODEL})
    patch = ModelPatch(model="stg", before_sql=MODEL, after_sql=MODEL.replace("<> 'd'", "= 'd'"))
    verdict = structure_preserved(PatchReview(pipeline=pipeline, dataset="orders", patches=[patch]))
    assert not verdict.allowed and verdict.reason.startswith("model 'stg':")


def test_allows_a_patch_that_keeps_the_models_own_spelling() -> None:
    spark = "select id, to_timestamp(concat(d, ' ', t)) as at from bookings"
    pipeline = Pipeline(dialect="spark", models={"stg": spark})
    mapping = SchemaMapping(entries=[FieldMapping(source="d", target="substring(at_text, 1, 10)")])
    [patch] = apply_mapping(pipeline, "bookings", mapping)
    assert "to_timestamp(concat(" in patch.after_sql  # the model's own text, not regenerated
    review = PatchReview(pipeline=pipeline, dataset="bookings", patches=[patch], mapping=mapping)
    verdict = structure_preserved(review)
    assert verdict.allowed, verdict.reason


_DEDUP = Recipe(kind="dedup_on_key", dataset="orders", key="id", columns=["id", "email", "ts"])


@pytest.mark.parametrize("dialect", ["duckdb", "snowflake", "bigquery"])
def test_allows_a_recipe_on_top_of_column_substitutions(dialect: str) -> None:
    pipeline = Pipeline(dialect=dialect, models={"stg": MODEL})
    mapping = SchemaMapping(entries=[FieldMapping(source="email", target="mail")])
    [mapped] = apply_mapping(pipeline, "orders", mapping)
    after = apply_recipe(mapped.after_sql, dialect, _DEDUP)
    patch = mapped.model_copy(update={"after_sql": after, "recipe": _DEDUP})
    verdict = structure_preserved(PatchReview(pipeline=pipeline, dataset="orders", patches=[patch]))
    assert verdict.allowed, verdict.reason


@pytest.mark.parametrize(
    ("change", "by"), [("<> 'd'", "= 'd'"), ("lower(o.email)", "upper(o.email)"), ("= 1", "= 2")]
)
def test_blocks_a_recipe_on_top_of_a_logic_change(change: str, by: str) -> None:
    pipeline = Pipeline(models={"stg": MODEL})
    after = apply_recipe(MODEL.replace(change, by), "duckdb", _DEDUP)
    patch = ModelPatch(model="stg", before_sql=MODEL, after_sql=after, recipe=_DEDUP)
    verdict = structure_preserved(PatchReview(pipeline=pipeline, dataset="orders", patches=[patch]))
    assert not verdict.allowed and verdict.reason.startswith("model 'stg':")
