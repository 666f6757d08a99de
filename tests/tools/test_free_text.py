"""Tests for tools.matching.free_text: what free text is, and the evidence two samples of it
(different events) give for and against being one field's values."""

from __future__ import annotations

import pytest

from tools.matching.free_text import (
    cut_length,
    free_text,
    free_text_difference,
    is_free_text,
    lost_traits,
)

_PRODUCTS = [
    "sony premium ex earbuds mdrex57lp blk",
    "pc treasures external dvd-rw drive pink",
    "sony 4gb flash memory card black",
    "storm 2306 case with foam olive drab",
    "belkin 6 firewire cable 4-pin 6-pin",
    "alera lcd crt mobile computer security cabinet 26w x 24d x 63h light gray",
]
_OTHER_PRODUCTS = [
    "draper high contrast grey ultimate access series e electric screen - ntsc 11 diagonal",
    "evga 1gb geforce gt 520 ddr3 graphics card",
    "dreamgear i.sound stand for ipad",
    "garmin gpsmap 78s 010-00864-01 marine gps navigator and world wide chartplotter",
    "verbatim 8.5 gb 2.4 x - 6x dvd r dl 10 packs double layer disc",
    "art explosion 600 000 images",
]
_BREWERIES = [
    "Ladyface Ale Companie",
    "Fat Head 's Brewery & Saloon",
    "Cervejaria Seasons",
    "Moor Beer Company",
    "Steelhead Brewing Co. .",
    "Iron Springs Pub & Brewery",
]
_OTHER_BREWERIES = [
    "Hyouko Yashiki No Mori Brewery",
    "Nail Brewing Australia Pty Ltd",
    "Escape Craft Brewery",
    "Odin Brewing Company",
    "Coalition Brewing Co. .",
]
_AUTHORS = [
    "igor tatarinov , wai tak theodora yeung , shiori betzler",
    "luis gravano , surajit chaudhuri",
    "alon y. levy , zachary g. ives",
    "jayant madhavan , rachel pottinger , alon y. levy",
    "ewa jaslikowska",
]
_OTHER_AUTHORS = [
    "stefan saroiu , qiong chen",
    "michael stonebraker",
    "joseph m. hellerstein , michael j. franklin , sailesh krishnamurthy",
    "jim gray , prakash sundaresan",
]
_NAMES = ["José Álvarez-Núñez", "Zoë O'Brien", "François d'Aubigné", "Ann Lee", "Søren Kierkegård"]


@pytest.mark.parametrize("texts", [_PRODUCTS, _OTHER_PRODUCTS, _BREWERIES, _AUTHORS, _NAMES])
def test_titles_names_and_author_lists_are_free_text(texts: list[str]) -> None:
    assert is_free_text(texts)


@pytest.mark.parametrize(
    "texts",
    [
        ["SKU-1001", "SKU-1002", "SKU-1003", "SKU-1004"],
        ["2026-01-01 10:00", "2026-01-02 11:30", "2026-01-03 12:45"],
        ["https://a.example/x y", "https://b.example/y z", "https://c.example/ w"],
        ["ada@example.com", "grace@example.org", "alan@example.net"],
        ["unknown product", "unknown product", "unknown product"],  # one outline for all
        ["Room 1 2 3 4", "Room 5 6 7 8", "Bay 9 10 11 12"],  # more numbers than words
        ["Ada Lovelace", "Grace Hopper"],  # too few to tell
    ],
)
def test_codes_dates_links_constants_and_tiny_samples_are_not_free_text(texts: list[str]) -> None:
    assert not is_free_text(texts)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (_PRODUCTS, _OTHER_PRODUCTS),
        (_BREWERIES, _OTHER_BREWERIES),  # '&' in two of six: a trait of those values
        (_AUTHORS, _OTHER_AUTHORS),
        (_NAMES, ["Ana Lúcia", "Jean-Luc Picard", "Mary-Kate O'Neil", "Łukasz Żak"]),
    ],
)
def test_free_text_of_other_events_is_the_same_field(old: list[str], new: list[str]) -> None:
    assert free_text_difference(old, new) is None


def test_free_text_cut_at_one_length_is_refused() -> None:
    assert cut_length(_OTHER_PRODUCTS, [t[:20] for t in _PRODUCTS]) == 20
    found = free_text_difference(_OTHER_PRODUCTS, [t[:20] for t in _PRODUCTS])
    assert found is not None and "cuts values at 20 characters" in found


def test_free_text_whose_longest_values_only_happen_to_be_equal_is_not_cut() -> None:
    assert cut_length(_PRODUCTS, ["usb cable", "hdmi cable", "sd card x"]) is None


def test_names_of_a_narrow_length_spread_that_happen_to_tie_are_not_cut() -> None:
    old = ["annissa HIVELY", "KATTIE Dinnin", "arlyne Mckeegan", "Andromache SELCHOW"]
    new = ["Cocos Machika", "Catherin dacal", "Mary-pat crawley", "Belvia holbrooks"]
    assert (
        cut_length([*old, "SALAH MERWIN", "CANADIAN Merrick"], [*new, "Darlleen BITTMAN"]) is None
    )


def test_free_text_of_much_shorter_values_is_another_field() -> None:
    short = ["usb hub", "sd card", "hdmi", "dvd rw", "ipad case"]
    found = free_text_difference(_OTHER_PRODUCTS, short)
    assert found is not None and "another length" in found


def test_a_separator_most_values_carry_is_lost_when_no_new_value_writes_it() -> None:
    joined = [t.replace(" , ", " and ") for t in _OTHER_AUTHORS + _AUTHORS[:2]]
    assert lost_traits(_AUTHORS, joined) == [","]


def test_upper_cased_free_text_lost_the_lower_case_the_field_wrote() -> None:
    found = free_text_difference(_BREWERIES, [t.upper() for t in _OTHER_BREWERIES])
    assert found is not None and "lower case" in found


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
