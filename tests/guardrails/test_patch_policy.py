"""Tests for guardrails.patch_policy."""

from __future__ import annotations

from core.contracts import Pipeline
from core.models import FieldMapping, ModelPatch, SchemaMapping
from guardrails.patch_policy import (
    mapped_fields_not_constant,
    output_columns_preserved,
    outputs_not_replaced_by_constants,
    reads_only_original_tables,
    touches_only_affected_models,
)
from guardrails.registry import PatchReview

PIPELINE = Pipeline(
    dialect="spark",
    models={
        "stg": "select o.order_id, o.cust_id as customer_id, count(*) as n from orders o "
        "group by 1, 2",
        "daily": "select customer_id, sum(n) as n from stg group by customer_id",
        "refunds": "select refund_id from refunds",
    },
)


def _review(model: str, after_sql: str, **mapping: str) -> PatchReview:
    patch = ModelPatch(
        model=model, dialect="spark", before_sql=PIPELINE.models.get(model, ""), after_sql=after_sql
    )
    entries = [FieldMapping(source=s, target=t) for s, t in mapping.items()]
    return PatchReview(
        pipeline=PIPELINE, dataset="orders", patches=[patch], mapping=SchemaMapping(entries=entries)
    )


GOOD = "select o.order_id, o.customer_id as customer_id, count(*) as n from orders o group by 1, 2"


def test_allows_a_rename_that_keeps_every_output() -> None:
    review = _review("stg", GOOD, cust_id="customer_id")
    for rule in (
        output_columns_preserved,
        touches_only_affected_models,
        reads_only_original_tables,
        mapped_fields_not_constant,
        outputs_not_replaced_by_constants,
    ):
        assert rule(review).allowed, rule.__name__


def test_blocks_a_patch_that_renames_an_output() -> None:
    sql = "select o.order_id, o.customer_id, count(*) as cnt from orders o group by 1, 2"
    verdict = output_columns_preserved(_review("stg", sql))
    assert not verdict.allowed and "'cnt'" in verdict.reason


def test_blocks_a_patch_to_a_model_that_does_not_read_the_topic() -> None:
    verdict = touches_only_affected_models(_review("refunds", "select refund_id from refunds"))
    assert not verdict.allowed and "refunds" in verdict.reason


def test_allows_a_patch_to_a_model_downstream_of_the_topic() -> None:
    sql = "select customer_id, sum(n) as n from stg group by 1"
    assert touches_only_affected_models(_review("daily", sql)).allowed


def test_blocks_a_patch_to_a_model_the_pipeline_lacks() -> None:
    assert not touches_only_affected_models(_review("new_model", "select 1 as x")).allowed


def test_blocks_a_patch_that_reads_a_new_table() -> None:
    sql = (
        "select o.order_id, c.id as customer_id, count(*) as n from orders o "
        "join crm.customers c on c.email = o.email group by 1, 2"
    )
    verdict = reads_only_original_tables(_review("stg", sql))
    assert not verdict.allowed and "crm.customers" in verdict.reason


def test_blocks_a_mapping_to_a_constant() -> None:
    for target in ("NULL", "0", "CAST(NULL AS BIGINT)", "'unknown'", "current_timestamp"):
        verdict = mapped_fields_not_constant(_review("stg", GOOD, cust_id=target))
        assert not verdict.allowed, target


def test_allows_a_mapping_to_an_expression_over_fields() -> None:
    review = _review("stg", GOOD, amount_cents="CAST(round(amount * 100) AS BIGINT)")
    assert mapped_fields_not_constant(review).allowed


def test_blocks_an_output_replaced_by_null_or_a_literal() -> None:
    for projection in ("null as customer_id", "-1 as customer_id", "cast(null as int) customer_id"):
        sql = f"select o.order_id, {projection}, count(*) as n from orders o group by 1, 2"
        verdict = outputs_not_replaced_by_constants(_review("stg", sql))
        assert not verdict.allowed and "customer_id" in verdict.reason, projection
