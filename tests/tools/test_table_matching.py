"""Table matching: strong names win, values help, ambiguity is reported, wide tables are fast."""

from __future__ import annotations

import random
import time

from tools.matching.table_matching import match_tables
from tools.matching.value_evidence import ColumnValues, summarize


def _table(**columns: list[object]) -> list[ColumnValues]:
    return [summarize(name, found) for name, found in columns.items()]


def test_value_overlap_alone_never_beats_a_strong_name() -> None:
    ids = list(range(100, 130))
    source = _table(cust_id=ids)
    target = _table(customer_id=[None] * 30, order_no=ids)
    [found] = match_tables(source, target).correspondences
    assert found.targets == ["customer_id"] and found.value_score is None


def test_empty_columns_are_matched_on_their_names_alone() -> None:
    found = match_tables(_table(quantity=[None]), _table(qty=[], note=["a", "b"]))
    assert found.pairs() == {("quantity", "qty")}


def test_two_targets_that_fit_equally_are_reported_together_with_the_margin() -> None:
    values = [10 * i for i in range(1, 20)]
    found = match_tables(_table(amount=values), _table(total=values, value=values))
    [item] = found.correspondences
    assert item.status == "ambiguous" and sorted(item.targets) == ["total", "value"]
    assert item.margin == 0.0 and item.rivals


def test_a_candidate_taken_by_a_better_column_leaves_the_sole_remaining_one() -> None:
    source = _table(first_name=["ann", "bob", "cy"], last_name=["ash", "birch", "cole"])
    target = _table(name=["ann", "bob", "cy"], surname=["ash", "birch", "cole"])
    assert match_tables(source, target).pairs() == {
        ("first_name", "name"),
        ("last_name", "surname"),
    }


def test_a_wide_target_is_matched_in_seconds() -> None:
    rng = random.Random(7)
    words = ["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "theta"]
    target = [
        summarize(
            f"{rng.choice(words)}_{rng.choice(words)}_{i}", [rng.random() for _ in range(200)]
        )
        for i in range(800)
    ]
    target.append(summarize("customer_identifier", [f"c{i}" for i in range(200)]))
    source = [summarize("cust_id", [f"c{i}" for i in range(0, 200, 2)])]
    started = time.process_time()
    found = match_tables(source, target)
    assert time.process_time() - started < 5
    assert found.pairs() == {("cust_id", "customer_identifier")}
