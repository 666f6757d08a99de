"""Tests for tools.matching.templates: layouts of whole strings built from parts."""

from __future__ import annotations

from tools.matching.templates import Template, templates


def test_finds_a_constant_prefix_and_an_empty_separator() -> None:
    wholes = ["https://a.example.com/x/y", "https://b.example.org/z"]
    found = list(templates(wholes, [["c.example.net"], ["/p/q"]]))
    assert Template("https://", ("",), "") in found


def test_prefers_the_shortest_layout_that_fits() -> None:
    wholes = ["2026-08-20T00:10:00", "2026-08-20T01:45:12"]
    first = next(templates(wholes, [["2026-08-19"], ["21:14:05"]]))
    assert first == Template("", ("T",), "")


def test_finds_nothing_when_parts_cannot_spell_the_wholes() -> None:
    assert list(templates(["abc"], [["123"], ["456"]])) == []
    assert list(templates([], [["x"]])) == []
