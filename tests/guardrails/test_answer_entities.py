"""The guardrail that keeps lineage answers to entities the graph holds."""

from __future__ import annotations

from guardrails.answer_entities import (
    RULE,
    answer_names_known_entities,
    mentioned_entities,
    unknown_entities,
)

KNOWN = {"orders", "orders.cust_id", "stg_orders", "stg_orders.customer_id", "churn_features"}


def test_allows_an_answer_naming_only_known_entities() -> None:
    text = "stg_orders.customer_id comes from orders.cust_id and feeds `churn_features`."
    verdict = answer_names_known_entities(text, KNOWN)
    assert verdict.allowed
    assert verdict.rule == RULE


def test_blocks_an_invented_column_and_names_it() -> None:
    verdict = answer_names_known_entities("It comes from orders.customer_uuid.", KNOWN)
    assert not verdict.allowed
    assert "'orders.customer_uuid'" in verdict.reason


def test_blocks_an_invented_quoted_name_and_listed_entities() -> None:
    assert unknown_entities("Read by `fraud_model`.", KNOWN) == ["fraud_model"]
    assert unknown_entities("Nothing dotted here.", KNOWN, named=["ghost"]) == ["ghost"]


def test_matches_names_regardless_of_case() -> None:
    assert answer_names_known_entities("ORDERS.CUST_ID is the key", KNOWN).allowed


def test_ignores_numbers_abbreviations_and_sentence_ends() -> None:
    text = "It is amount_cents / 100.0, i.e. dollars, e.g. 9.5; see orders.cust_id."
    assert mentioned_entities(text) == ["orders.cust_id"]
