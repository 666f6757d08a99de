"""Tests for reading a whole value as parts: languages learned from every value of a part."""

from __future__ import annotations

from tools.matching.decompositions import decompositions
from tools.matching.templates import Template, learn, templates

_SPACE = Template("", (" ",), "")


def test_a_part_language_admits_accents_the_sample_lacked() -> None:
    first = learn(["Ada", "Grace", "HOR-LAM"])
    assert first.admits("José")
    assert first.admits("Zoë")
    assert first.admits("Łukasz")
    assert not first.admits("Jo3")


def test_a_part_never_starts_or_ends_with_a_character_none_of_its_values_does() -> None:
    last = learn(["Lovelace", "De witte", "van der Berg"])
    assert last.admits("De la Cruz")
    assert not last.admits(" Dolson")
    assert not last.admits("Dolson ")


def test_a_multi_word_part_is_read_where_only_it_can_hold_the_separator() -> None:
    first, last = learn(["Ada", "Grace"]), learn(["Lovelace", "De witte"])
    assert list(decompositions("Roselle De witte", _SPACE, [first, last])) == [
        ("Roselle", "De witte")
    ]
    assert list(decompositions("Ana María", _SPACE, [first, last])) == [("Ana", "María")]


def test_a_whole_both_parts_may_hold_the_separator_reads_several_ways() -> None:
    either = learn(["Mary Ann", "De witte"])
    found = list(decompositions("Mary Ann De witte", _SPACE, [either, either]))
    assert len(found) >= 2


def test_an_optional_part_may_be_absent_with_its_separator() -> None:
    first, middle, last = learn(["Ada"]), learn(["Q"]), learn(["Public"])
    layout = Template("", (" ", " "), "")
    found = list(decompositions("John Public", layout, [first, middle, last], [False, True, False]))
    assert found == [("John", None, "Public")]
    assert list(decompositions("John Public", layout, [first, middle, last])) == []


def test_templates_find_the_separator_between_parts_that_hold_spaces() -> None:
    wholes = ["AVTAR DOLSON", "Mary-pat crawley", "ruud chenoweth"]
    parts = [["ziad", "HOR-LAM", "Roselle"], ["grooms", "De witte", "conrad"]]
    assert {t.separators for t in templates(wholes, parts)} == {(" ",)}


def test_templates_need_one_layout_for_every_whole() -> None:
    wholes = ["Lovelace Ada", "Turing, Alan"]
    assert list(templates(wholes, [["Hopper"], ["Grace"]])) == []
