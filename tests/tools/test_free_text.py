"""Tests for tools.matching.free_text: titles and names are free text, codes are not."""

from __future__ import annotations

import pytest

from tools.matching.free_text import free_text


@pytest.mark.parametrize(
    "found",
    [
        # a model number among product titles
        [
            "verbatim 95003 3x dvd-ram double-sided media",
            "da-lite da-glas standard rear projection screen 81 x 108 video format",
            "xerox 101r00421 transfer unit",
            "case logic trend compact camera case",
        ],
        # a slash in one title
        [
            "monopoly 3",
            "the sims 2 : nightlife ! ( mac ) 2004-2005 win/mac",
            "comic book library",
            "instant home cooking ( jewel case )",
        ],
        ["Ada Lovelace", "Grace Hopper", "Edsger W. Dijkstra", "Alan Turing"],
    ],
)
def test_words_are_free_text_though_one_value_holds_numbers_or_a_slash(found: list[str]) -> None:
    assert free_text(found)


@pytest.mark.parametrize(
    "found",
    [
        ["SKU-1001", "SKU-1002", "SKU-1003", "SKU-1004"],
        ["https://a.example/x", "https://b.example/y", "https://c.example/z"],
        ["OH", "PA", "KY", "NV"],
        ["2026-01-01", "2026-01-02", "2026-01-03"],
        ["red shoes", 3, "blue hat"],
        ["a 1 2 3 4", "b 5 6 7 8", "c 9 1 2 3", "d 4 5 6 7"],
    ],
)
def test_codes_dates_and_numbers_are_not_free_text(found: list[object]) -> None:
    assert not free_text(found)  # type: ignore[arg-type]
