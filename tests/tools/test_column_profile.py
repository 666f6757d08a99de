"""Tests for the profile of one column."""

from __future__ import annotations

from tools.profiling.batch_profile import TOP_SIZE
from tools.profiling.column_profile import Locator, profile_column


def test_top_values_are_the_most_frequent_with_ties_in_order_of_first_sight() -> None:
    column: list[object] = [*range(200), *range(100, 150), *range(140, 145), 7]
    profile = profile_column("n", column, Locator(list(range(len(column))), None, None))

    ranked = sorted(
        ((str(v), column.count(v)) for v in dict.fromkeys(column)),
        key=lambda item: item[1],
        reverse=True,
    )
    assert profile.top_overflow and list(profile.top.items()) == ranked[:TOP_SIZE]


def test_integers_are_counted_by_their_decimal_text_even_beyond_64_bits() -> None:
    column: list[object] = [10**20, -3, 10**20, 0]
    profile = profile_column("n", column, Locator(list(range(4)), None, None))

    assert profile.top == {"100000000000000000000": 2, "-3": 1, "0": 1}
