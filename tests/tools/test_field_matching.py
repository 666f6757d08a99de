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


def test_two_successors_within_the_margin_are_not_matched_by_a_tie_break() -> None:
    before = profile_batch([{"amount": 10 * i} for i in range(1, 9)])
    after = profile_batch([{"total": 10 * i, "value": 10 * i} for i in range(1, 9)])
    assert match_successors(before, after, ["amount"], ["total", "value"]) == []


def test_a_timestamp_that_gained_milliseconds_under_an_abbreviated_name_is_a_rename() -> None:
    before = profile_batch([{"ts": f"2026-01-01T10:0{i}:00Z"} for i in range(8)])
    after = profile_batch([{"timestamp": f"2026-01-02T10:0{i}:00.250Z"} for i in range(8)])
    [match] = match_successors(before, after, ["ts"], ["timestamp"])
    assert (match.kind, match.new) == ("rename", ["timestamp"])
