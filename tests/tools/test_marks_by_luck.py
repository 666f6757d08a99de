"""Tests for tools.healing.mapping on marks (a space, an apostrophe, a backslash, a hyphen) that
some old values wrote and a small new sample does not: lost only when missing them all by luck
is unlikely (tools.matching.luck.absent_by_luck), so a rename or a nesting of the same field is
mapped, and a field stripped of its marks, cut or re-cased is still refused."""

from __future__ import annotations

import pytest

from core.contracts import Contract
from core.models import Detection
from tools.healing.mapping import fits, infer_mapping, lost_marks
from tools.matching.free_text import lost_traits

# free text: three names of six write `\ 's`, seven new names happen to write none
_DINERS = [
    "joe \\ 's crab shack on the pier",
    "mama lucia italian kitchen",
    "the blue door bistro",
    "patsy \\ 's",
    "harbor view grill",
    "lin \\ 's golden dragon noodle house",
]
_OTHER_DINERS = [
    "corner bakery cafe",
    "sunset taqueria",
    "grand central oyster bar",
    "the copper kettle",
    "river city smokehouse",
    "green leaf vegan kitchen",
    "main street deli",
]
# not free text: two cities of six written in two words, five new ones in one word
_CITIES = ["boston", "new york", "austin", "san jose", "denver", "miami"]
_OTHER_CITIES = ["chicago", "seattle", "portland", "dallas", "phoenix"]
# not free text: three surnames of six with an apostrophe
_SURNAMES = ["o'brien", "smith", "d'angelo", "jones", "o'neil", "lee"]
_OTHER_SURNAMES = ["garcia", "brown", "wilson", "taylor", "moore", "clark"]
# not free text: three colours of six with a hyphen
_COLOURS = ["navy-blue", "red", "off-white", "black", "sea-green", "grey"]
_OTHER_COLOURS = ["white", "olive", "tan", "pink", "teal"]

_SAME_FIELD = [
    (_DINERS, _OTHER_DINERS),
    (_CITIES, _OTHER_CITIES),
    (_SURNAMES, _OTHER_SURNAMES),
    (_COLOURS, _OTHER_COLOURS),
]


def _contract() -> Contract:
    return Contract(
        dataset="things",
        fields=[{"name": "id", "type": "string"}, {"name": "name", "type": "string"}],
    )


@pytest.mark.parametrize(("old", "new"), _SAME_FIELD)
def test_a_mark_a_small_new_sample_misses_by_luck_is_not_lost(
    old: list[str], new: list[str]
) -> None:
    assert fits(old, new, "spread") is None


@pytest.mark.parametrize(("old", "new"), _SAME_FIELD)
def test_a_renamed_field_whose_new_sample_misses_a_mark_by_luck_is_mapped(
    old: list[str], new: list[str]
) -> None:
    before = [{"id": f"a{i}", "name": t} for i, t in enumerate(old)]
    after = [{"id": f"b{i}", "name_value": t} for i, t in enumerate(new)]
    detections = [Detection(kind="rename", field="name", to="name_value")]
    result = infer_mapping(detections, _contract(), {"name"}, before, after)
    assert result.mapping.as_dict() == {"name": "name_value"}, result.refused


@pytest.mark.parametrize(("old", "new"), _SAME_FIELD)
def test_a_nested_field_whose_new_sample_misses_a_mark_by_luck_is_mapped(
    old: list[str], new: list[str]
) -> None:
    before = [{"id": f"a{i}", "name": t} for i, t in enumerate(old)]
    after = [{"id": f"b{i}", "info": {"name": t}} for i, t in enumerate(new)]
    detections = [Detection(kind="nesting", field="name", to="info.name")]
    result = infer_mapping(detections, _contract(), {"name"}, before, after)
    assert result.mapping.as_dict() == {"name": "info.name"}, result.refused


_APOSTROPHE_NAMES = ["o'brien", "d'angelo", "o'neil", "d'souza", "o'hara", "l'amour"]
_STRIPPED_NAMES = ["omalley", "dartagnan", "oconnor", "doliveira", "oreilly", "lestrange"]
_URLS = ["/search?q=a", "/cart?id=1", "/s?q=b&p=2", "/x?id=3", "/y?q=c", "/z?a=1", "/w?b=2"]
_DINERS_OWNED = [
    "joe \\ 's crab shack",
    "mama lucia \\ 's kitchen",
    "patsy \\ 's grill",
    "lin \\ 's golden dragon",
    "rosa \\ 's cantina",
    "sal \\ 's pizza palace",
    "mike \\ 's smokehouse",
]
_TITLED = [
    "Ladyface Ale Companie",
    "Cervejaria Seasons",
    "Moor Beer Company",
    "Iron Springs Pub",
    "Odin Brewing Company",
    "Escape Craft Brewery",
]


@pytest.mark.parametrize(
    ("old", "new", "shown"),
    [
        # every old value held an apostrophe, no new one does: stripped
        (_APOSTROPHE_NAMES, _STRIPPED_NAMES, "'"),
        # every old path held a query, no new one does: cut
        (_URLS, [u.split("?")[0] for u in _URLS], "?"),
        # every old name held `\ 's`, the new ones lost it
        (_DINERS_OWNED, [t.replace(" \\ 's", "s") for t in _DINERS_OWNED], "'"),
        # every old name wrote lower-case letters, the new ones are lower-cased no more
        (_TITLED, [t.upper() for t in _TITLED], "lower case"),
    ],
)
def test_values_stripped_of_a_mark_every_old_value_wrote_still_do_not_fit(
    old: list[str], new: list[str], shown: str
) -> None:
    found = fits(old, new, "spread")
    assert found is not None and shown in found


def test_a_renamed_field_stripped_of_its_marks_is_not_mapped() -> None:
    before = [{"id": f"a{i}", "name": t} for i, t in enumerate(_APOSTROPHE_NAMES)]
    after = [{"id": f"b{i}", "name_value": t} for i, t in enumerate(_STRIPPED_NAMES)]
    detections = [Detection(kind="rename", field="name", to="name_value")]
    result = infer_mapping(detections, _contract(), {"name"}, before, after)
    assert result.mapping.as_dict() == {}, result.notes
    assert any("never writes" in r.reason for r in result.refused), result.refused


def test_a_mark_most_old_values_wrote_is_lost_only_on_enough_new_values() -> None:
    # three of six names write `\ 's`: seven new names without it can be luck, 30 cannot
    assert lost_traits(_DINERS, _OTHER_DINERS) == []
    many = [f"{t} {n}" for t in _OTHER_DINERS for n in ("north", "south", "east", "west")]
    assert "'" in lost_traits(_DINERS, many[:30])


def test_a_space_two_of_six_values_wrote_is_lost_only_on_enough_new_values() -> None:
    assert lost_marks(_CITIES, _OTHER_CITIES) == ""
    assert lost_marks(_CITIES * 5, [c for c in _OTHER_CITIES * 6]) == " "
