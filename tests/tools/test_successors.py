"""Choosing a vanished field's successor: decisive only when strong and clear."""

from __future__ import annotations

from tools.matching.successors import choose_successor


def test_a_sole_candidate_with_strong_evidence_is_decisive() -> None:
    choice = choose_successor("amt", [120, 250, 310], {"amount": [120, 250, 310]})
    assert choice.decisive == "amount" and choice.margin is None


def test_a_sole_candidate_on_a_single_sample_is_not_decisive_without_a_strong_name() -> None:
    choice = choose_successor("ts", ["2026-01-01T10:00:00Z"], {"event_time": ["2026-01-02"]})
    assert choice.decisive is None


def test_two_close_candidates_are_never_picked() -> None:
    values = [5, 6, 7, 8]
    choice = choose_successor("price", values, {"net_price": values, "gross_price": values})
    assert choice.decisive is None and choice.margin == 0.0
    assert "margin 0.00" in choice.describe("net_price")


def test_values_of_another_kind_veto_a_good_name() -> None:
    choice = choose_successor("qty", [1, 2, 3, 4], {"quantity": ["low", "high", "mid", "low"]})
    assert choice.decisive is None
