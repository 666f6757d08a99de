"""Tests for tools.matching.text_difference: text judged only by what the samples support."""

from __future__ import annotations

import pytest

from tools.matching.text_difference import text_difference, unseen_share

_TITLES = [
    "efficient view maintenance at data warehouses",
    "query optimization by simulated annealing",
    "the case for shared nothing",
    "access path selection in a relational database",
]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (["Ada Lovelace"], ["Grace Brewster Hopper"]),  # one value each: no distribution
        (["Ada Lovelace", "Grace Hopper"], ["Alan Mathison Turing"]),  # two alike: no format
        (_TITLES, ["r-trees: a dynamic index structure"]),  # every old title its own outline
        (["Café Zürich", "12 rue du Bac"], ["Ünter den Linden 4"]),
    ],
)
def test_a_sample_too_small_for_a_distribution_is_not_refused(
    old: list[str], new: list[str]
) -> None:
    assert text_difference(old, new) is None


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (["o-1001", "o-1002", "o-1003"], ["1004"]),  # a format the old values all kept
        (["2026-01-01", "2026-01-02", "2026-02-11"], ["2026/01/03"]),
        (["Ada Lovelace"], ["2026-01-01"]),  # other characters altogether
        (["4111-1111"], ["visa"]),
        (["placed", "shipped"], ["o2", "o4"]),  # letters only, then letters and digits
        (["2026-03-01T08:00:00Z"], ["2026-03-01T10:00:00"]),  # one instant shows its format
        (["12.50", "7.00"], ["12,50"]),
    ],
)
def test_a_small_sample_is_refused_when_the_evidence_is_there(
    old: list[str], new: list[str]
) -> None:
    assert text_difference(old, new) is not None


def test_a_sample_of_several_values_in_another_outline_is_refused() -> None:
    found = text_difference(_TITLES, ["n/a", "n/a", "n/a", "n/a"])
    assert found is not None and "shaped like 'n/a'" in found


def test_free_text_is_judged_as_free_text_not_by_outlines() -> None:
    other = [
        "mining association rules between sets of items",
        "r-trees: a dynamic index structure for spatial searching",
        "the design of postgres",
    ]
    assert text_difference(_TITLES, other) is None
    assert text_difference(_TITLES, [t[:12] for t in other + _TITLES]) is not None


def test_good_turing_counts_outlines_seen_once() -> None:
    assert unseen_share(["a-9", "a-9", "a-9"]) == 0.0
    assert unseen_share(["a a", "a a a", "a 9 a", "a a"]) == 0.5
    assert unseen_share([]) == 1.0
