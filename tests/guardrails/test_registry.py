"""Tests for the guardrail registry and enforce()."""

from __future__ import annotations

import pytest

import guardrails
from core.contracts import Pipeline
from core.errors import GuardrailViolation, ToolError
from core.models import ModelPatch, Verdict
from guardrails.registry import PatchReview, guardrail

BEFORE = "select cust_id from orders"


def _review(after_sql: str) -> PatchReview:
    pipeline = Pipeline(models={"stg": BEFORE})
    patch = ModelPatch(model="stg", before_sql=BEFORE, after_sql=after_sql)
    return PatchReview(pipeline=pipeline, dataset="orders", patches=[patch])


def test_lists_every_rule_with_its_docstring_summary() -> None:
    summaries = guardrails.rules()
    assert {
        "no_destructive_statements",
        "output_columns_preserved",
        "mapped_fields_not_constant",
        "touches_only_affected_models",
    } <= set(summaries)
    assert summaries["no_destructive_statements"].startswith("A proposed model only reads")


def test_fills_the_rule_id_of_every_verdict() -> None:
    verdicts = guardrails.check(_review("select customer_id as cust_id from orders"))
    assert all(v.allowed for v in verdicts)
    assert sorted(v.rule for v in verdicts) == sorted(guardrails.rules())


def test_enforce_raises_with_the_blocking_verdict() -> None:
    with pytest.raises(GuardrailViolation, match="'no_destructive_statements' blocked") as caught:
        guardrails.enforce(_review("drop table orders"), ["no_destructive_statements"])
    assert caught.value.verdict.rule == "no_destructive_statements"


def test_refuses_unknown_rule_names() -> None:
    with pytest.raises(ToolError, match="unknown guardrails"):
        guardrails.check(_review(BEFORE), ["no_such_rule"])


def test_refuses_to_register_a_rule_name_twice() -> None:
    def no_destructive_statements(review: PatchReview) -> Verdict:
        return Verdict.allow()

    with pytest.raises(ToolError, match="registered twice"):
        guardrail(no_destructive_statements)


def test_patched_pipeline_applies_every_patch() -> None:
    review = _review("select customer_id as cust_id from orders")
    assert review.patched().models == {"stg": "select customer_id as cust_id from orders"}
