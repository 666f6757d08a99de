"""Tests for guardrails.invariants."""

from __future__ import annotations

from core.contracts import Contract, Pipeline
from guardrails.invariants import check_invariants

CONTRACT = Contract(
    dataset="orders",
    fields=[{"name": "email", "type": "string", "pii": True}, {"name": "amount", "type": "number"}],
    invariants=[
        {"name": "amount_non_negative", "model": "stg", "check": "amount >= 0"},
        {"name": "has_email", "model": "stg", "check": "email like '%@%'"},
    ],
)
PIPELINE = Pipeline(models={"stg": "select email, amount from orders"})


def test_passes_when_every_row_satisfies_every_invariant() -> None:
    results = check_invariants(
        PIPELINE, {"orders": [{"email": "a@b.c", "amount": 3}]}, {"orders": CONTRACT}
    )
    assert [(r.name, r.passed) for r in results] == [
        ("invariant:amount_non_negative", True),
        ("invariant:has_email", True),
    ]


def test_names_the_violations_and_redacts_pii_in_examples() -> None:
    events = [{"email": "ada@example.com", "amount": -3}, {"email": "b@c.d", "amount": 1}]
    [amount, email] = check_invariants(PIPELINE, {"orders": events}, {"orders": CONTRACT})
    assert not amount.passed and email.passed
    assert "1 of 2 rows of stg violate `amount >= 0`" in amount.detail
    assert "ada@example.com" not in amount.detail and "<redacted>" in amount.detail
