"""Anchors: kept fields that pair one to one with an old field tell whether a substitute gives
each entity the value it had."""

from __future__ import annotations

from guardrails.successors import same_value
from tools.matching.entity_anchors import anchor_conflict, anchors

Rows = list[dict[str, object]]

PUSHERS_BEFORE: Rows = [
    {"id": "p1", "actor": {"username": "jdoe", "display_name": "Jane Doe"}, "repo": "a/api"},
    {"id": "p2", "actor": {"username": "rsmith", "display_name": "Raj Smith"}, "repo": "a/web"},
    {"id": "p3", "actor": {"username": "jdoe", "display_name": "Jane Doe"}, "repo": "a/web"},
    {"id": "p4", "actor": {"username": "mlopez", "display_name": "Mia Lopez"}, "repo": "a/ops"},
]


def _pushers_after(nicknames: list[str]) -> Rows:
    names = ["Jane Doe", "Raj Smith", "Mia Lopez", "Jane Doe"]
    return [
        {"id": f"q{i}", "actor": {"nickname": nick, "display_name": name}, "repo": "a/api"}
        for i, (nick, name) in enumerate(zip(nicknames, names, strict=True))
    ]


def test_a_kept_field_paired_one_to_one_and_seen_on_a_repeat_is_an_anchor() -> None:
    found = anchors("actor.username", PUSHERS_BEFORE, _pushers_after(["a", "b", "c", "d"]))
    assert list(found) == ["actor.display_name"]
    assert found["actor.display_name"]["Jane Doe"] == "jdoe"


def test_a_look_alike_that_gives_most_entities_other_values_conflicts() -> None:
    nicknames = ["Jane Doe", "rsmith", "Mia", "Jane Doe"]
    after = _pushers_after(nicknames)
    found = anchor_conflict("actor.username", nicknames, PUSHERS_BEFORE, after, same_value)
    assert found is not None and found.anchor == "actor.display_name"
    assert len(found.conflicts) == 2 and found.agreements == 1
    assert "'Jane Doe' came with 'jdoe'" in found.describe("actor.username", "actor.nickname")


def test_a_successor_that_keeps_each_entitys_value_does_not_conflict() -> None:
    kept = ["jdoe", "rsmith", "mlopez", "jdoe"]
    after = _pushers_after(kept)
    assert anchor_conflict("actor.username", kept, PUSHERS_BEFORE, after, same_value) is None


def test_one_entity_whose_value_changed_meanwhile_is_no_conflict() -> None:
    renamed_once = ["jane.doe", "rsmith", "mlopez", "jane.doe"]
    after = _pushers_after(renamed_once)
    assert (
        anchor_conflict("actor.username", renamed_once, PUSHERS_BEFORE, after, same_value) is None
    )


def test_numbers_equal_by_value_agree() -> None:
    before: Rows = [
        {"sku": s, "title": t, "price": p}
        for s, t, p in [("a", "Mug", 12), ("b", "Cap", 9), ("a", "Mug", 12), ("c", "Pen", 3)]
    ]
    after: Rows = [{"title": t, "cost": p} for t, p in [("Mug", 12.0), ("Cap", 9.0), ("Pen", 3.0)]]
    assert anchor_conflict("price", [12.0, 9.0, 3.0], before, after, same_value) is None
    assert anchor_conflict("price", [1.2, 0.9, 0.3], before, after, same_value) is not None


def test_fields_without_a_repeat_or_not_one_to_one_are_no_anchors() -> None:
    unique: Rows = [{"k": f"k{i}", "user": f"u{i}"} for i in range(5)]
    assert anchors("user", unique, unique) == {}
    shared: Rows = [
        {"team": "red", "user": "ann"},
        {"team": "red", "user": "bob"},
        {"team": "blue", "user": "cy"},
        {"team": "blue", "user": "cy"},
        {"team": "green", "user": "dee"},
    ]
    assert anchors("user", shared, shared) == {}


def test_too_few_entities_make_no_anchor() -> None:
    two: Rows = [{"name": n, "user": u} for n, u in [("A", "a"), ("B", "b"), ("A", "a")]]
    assert anchors("user", two, two) == {}
