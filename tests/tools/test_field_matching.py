"""Tests for successor evidence: names, shapes, values and the nesting rule."""

from __future__ import annotations

import pytest

from tools.matching.field_matching import is_nesting, match_successors, name_similarity, tokens
from tools.profiling.profile_batch import profile_batch


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("cust_id", "customer_id"),
        ("qty", "quantity"),
        ("ts", "timestamp"),
        ("booking_date", "booked_at"),
        ("createdAt", "created_at"),
    ],
)
def test_related_names(first: str, second: str) -> None:
    assert name_similarity(first, second) > 0


@pytest.mark.parametrize(
    ("first", "second"), [("coupon", "channel"), ("email", "phone"), ("a", "b")]
)
def test_unrelated_names(first: str, second: str) -> None:
    assert name_similarity(first, second) == 0


def test_tokens_split_every_naming_style() -> None:
    assert tokens("order.shipTo-address_line2") == ["order", "ship", "to", "address", "line", "2"]


def test_nesting_needs_a_new_parent() -> None:
    assert is_nesting("address.city", "city")
    assert not is_nesting("a.city", "a.town")


def test_best_evidence_wins_when_two_fields_could_succeed() -> None:
    before = profile_batch([{"cust": i} for i in range(1, 9)])
    after = profile_batch([{"customer": i, "score": 100 + i} for i in range(1, 9)])
    [match] = match_successors(before, after, ["cust"], ["score", "customer"])
    assert (match.kind, match.new) == ("rename", ["customer"])
