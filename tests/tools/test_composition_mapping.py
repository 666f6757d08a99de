"""Tests for mapping split and merged fields: learned from every sample, exact on every old
value, and left to a human where the samples cannot decide (order, split point)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from core.contracts import Contract
from core.models import Detection
from tools.healing.mapping import MappingInference, evaluate, infer_mapping

Events = Sequence[Mapping[str, object]]

_OLD_NAMES = ["AVTAR DOLSON", "Mary-pat crawley", "ruud chenoweth", "Andromache SELCHOW"]
_NEW_PARTS = [
    {"first_name": "ziad", "last_name": "grooms"},
    {"first_name": "Roselle", "last_name": "De witte"},
    {"first_name": "HOR-LAM", "last_name": "conrad"},
    {"first_name": "José", "last_name": "Müller"},
]


def _split(
    before: Events, after: Events, parts: list[str], field: str = "full_name"
) -> MappingInference:
    contract = Contract(dataset="people", fields=[{"name": field, "type": "string"}])
    detections = [Detection(kind="split", field=field, to=parts)]
    return infer_mapping(detections, contract, {field}, before, after)


def _merge(before: Events, after: Events, parts: list[str], whole: str) -> MappingInference:
    fields = [{"name": p, "type": "string"} for p in parts]
    contract = Contract(dataset="people", fields=fields)
    detections = [Detection(kind="merge", field=p, to=[whole]) for p in parts]
    return infer_mapping(detections, contract, set(parts), before, after)


def _mapped(result: MappingInference, field: str, after: Events) -> list[object]:
    return evaluate(result.mapping.as_dict()[field], after)


def test_split_names_with_multi_word_and_accented_parts_rejoin_with_a_space() -> None:
    before = [{"full_name": n} for n in _OLD_NAMES]
    result = _split(before, _NEW_PARTS, ["first_name", "last_name"])
    assert _mapped(result, "full_name", _NEW_PARTS) == [
        "ziad grooms",
        "Roselle De witte",
        "HOR-LAM conrad",
        "José Müller",
    ]


def test_split_with_an_optional_middle_part_skips_it_when_absent() -> None:
    before = [
        {"full_name": "Ada King Lovelace"},
        {"full_name": "Alan Turing"},
        {"full_name": "Grace B Hopper"},
    ]
    after = [
        {"first_name": "Edsger", "middle_name": "W", "last_name": "Dijkstra"},
        {"first_name": "Barbara", "middle_name": None, "last_name": "Liskov"},
        {"first_name": "Donald", "middle_name": "", "last_name": "Knuth"},
    ]
    result = _split(before, after, ["first_name", "middle_name", "last_name"])
    assert _mapped(result, "full_name", after) == [
        "Edsger W Dijkstra",
        "Barbara Liskov",
        "Donald Knuth",
    ]


def test_split_refuses_a_layout_that_fits_only_some_old_values() -> None:
    before = [{"full_name": "Lovelace, Ada"}, {"full_name": "Alan Turing"}]
    before += [{"full_name": "Hopper, Grace"}]
    result = _split(before, _NEW_PARTS[:1], ["first_name", "last_name"])
    assert "full_name" not in result.mapping.as_dict()
    assert result.refused, result.notes
    assert any("cannot rebuild 1 of 3 old values" in r.reason for r in result.refused)


def test_split_in_an_order_the_names_contradict_is_refused() -> None:
    before = [{"full_name": n} for n in _OLD_NAMES]
    result = _split(before, _NEW_PARTS, ["first_name", "last_name"])
    reasons = [r.reason for r in result.refused]
    assert any("puts last_name before first_name" in r for r in reasons), reasons


def test_split_whose_order_nothing_decides_is_left_to_a_human() -> None:
    before = [{"route": "Lyon Paris"}, {"route": "Köln Bonn"}, {"route": "Porto Braga"}]
    after = [
        {"origin": "Gent", "destination": "Brugge"},
        {"origin": "Oslo", "destination": "Bergen"},
    ]
    result = _split(before, after, ["origin", "destination"], field="route")
    assert "route" not in result.mapping.as_dict()
    assert len(result.ambiguous["route"]) == 2


def test_split_of_numbers_decides_the_order_from_exact_rebuilds() -> None:
    before = [{"expiry": "04/27"}, {"expiry": "11/26"}, {"expiry": "01/30"}]
    after = [{"exp_month": 9, "exp_year": 2028}, {"exp_month": 12, "exp_year": 2026}]
    result = _split(before, after, ["exp_month", "exp_year"], field="expiry")
    assert _mapped(result, "expiry", after) == ["09/28", "12/26"]


def test_merge_reads_a_multi_word_last_part_as_the_rest_of_the_whole() -> None:
    before = [
        {"first_name": "Roselle", "last_name": "De witte"},
        {"first_name": "Catherin", "last_name": "dacal"},
        {"first_name": "Oue", "last_name": "Atchison"},
    ]
    after = [{"full_name": "umakanth mahendra"}, {"full_name": "Léa van der Berg"}]
    result = _merge(before, after, ["first_name", "last_name"], "full_name")
    assert _mapped(result, "first_name", after) == ["umakanth", "Léa"]
    assert _mapped(result, "last_name", after) == ["mahendra", "van der Berg"]


def test_merge_with_an_ambiguous_split_point_is_left_to_a_human() -> None:
    before = [
        {"first_name": "Mary Ann", "last_name": "Smith"},
        {"first_name": "Ada", "last_name": "De witte"},
    ]
    after = [{"full_name": "Anna Maria van Dijk"}, {"full_name": "Bo Li"}]
    result = _merge(before, after, ["first_name", "last_name"], "full_name")
    assert result.mapping.as_dict() == {}
    assert any("ambiguous" in r.reason for r in result.refused)


def test_merge_in_an_order_the_names_contradict_is_refused() -> None:
    before = [
        {"first_name": "Ada", "last_name": "Lovelace"},
        {"first_name": "Alan", "last_name": "Turing"},
    ]
    after = [{"full_name": "Grace Hopper"}, {"full_name": "Edsger Dijkstra"}]
    result = _merge(before, after, ["first_name", "last_name"], "full_name")
    assert _mapped(result, "first_name", after) == ["Grace", "Edsger"]
    assert any("puts last_name before first_name" in r.reason for r in result.refused)


def test_merge_rebuilds_every_old_value_from_the_whole_its_parts_make() -> None:
    before = [
        {"day": "2026-02-01", "clock": "08:00:00"},
        {"day": "2026-02-02", "clock": "17:45:10"},
    ]
    after = [{"at": "2026-02-03T09:30:00"}, {"at": "2026-02-03T11:00:05"}]
    result = _merge(before, after, ["day", "clock"], "at")
    assert _mapped(result, "day", after) == ["2026-02-03", "2026-02-03"]
    assert _mapped(result, "clock", after) == ["09:30:00", "11:00:05"]


def test_a_mark_only_some_old_parts_held_does_not_refuse_an_exact_rebuild() -> None:
    before = [
        {"full_name": "Mary-pat crawley"},
        {"full_name": "Jean-Luc Picard"},
        {"full_name": "Ada Lovelace"},
    ]
    after = [{"first_name": "ziad", "last_name": "grooms"}, {"first_name": "Bo", "last_name": "Li"}]
    result = _split(before, after, ["first_name", "last_name"])
    assert _mapped(result, "full_name", after) == ["ziad grooms", "Bo Li"]


# a part that holds one value in every new event reads as that value in the old wholes

_CODES_BEFORE = [{"sku": s} for s in ["EU-4411", "EU-0932", "EU-7710", "EU-1205"]]


def test_a_constant_part_reads_as_its_value_in_the_old_wholes() -> None:
    after = [{"region": "EU", "number": n} for n in ["5120", "0077", "3391"]]
    result = _split(_CODES_BEFORE, after, ["region", "number"], field="sku")
    assert _mapped(result, "sku", after) == ["EU-5120", "EU-0077", "EU-3391"]


def test_a_constant_part_the_old_wholes_do_not_hold_refuses_the_split() -> None:
    after = [{"region": "US", "number": n} for n in ["5120", "0077", "3391"]]
    result = _split(_CODES_BEFORE, after, ["region", "number"], field="sku")
    assert "sku" not in result.mapping.as_dict()
    assert any("cannot rebuild" in r.reason for r in result.refused)


def test_a_constant_part_is_not_cut_out_of_an_old_identifier() -> None:
    before = [{"user_id": f"usr_2003{i}"} for i in range(4)]
    after = [{"role": "user", "external_id": f"usr_2004{i}"} for i in range(4)]
    result = _split(before, after, ["role", "external_id"], field="user_id")
    assert "user_id" not in result.mapping.as_dict()


# A part of several words ("van Gogh", "New York") in an old whole, where the few new events
# sampled happen to hold single words only: the layout still rebuilds every old value, and a
# sample that small shows no multi-word part by luck often.


def test_split_rebuilds_an_old_name_whose_surname_no_new_surname_resembles() -> None:
    before = [
        {"author": "Ada Lovelace"},
        {"author": "Grace Hopper"},
        {"author": "Vincent van Gogh"},
        {"author": "Alan Turing"},
        {"author": "Edsger Dijkstra"},
        {"author": "Barbara Liskov"},
    ]
    after = [
        {"given_name": "Frances", "family_name": "Allen"},
        {"given_name": "Donald", "family_name": "Knuth"},
        {"given_name": "Leslie", "family_name": "Lamport"},
        {"given_name": "Tony", "family_name": "Hoare"},
        {"given_name": "Niklaus", "family_name": "Wirth"},
    ]
    result = _split(before, after, ["given_name", "family_name"], field="author")
    assert _mapped(result, "author", after) == [
        "Frances Allen",
        "Donald Knuth",
        "Leslie Lamport",
        "Tony Hoare",
        "Niklaus Wirth",
    ], result.refused


def test_split_rebuilds_an_address_whose_city_held_two_words() -> None:
    before = [
        {"address": "12 Main St, Boston"},
        {"address": "4 Elm Rd, Denver"},
        {"address": "9 Oak Ave, New York"},
        {"address": "77 Pine Ln, Seattle"},
        {"address": "3 Birch Ct, Chicago"},
    ]
    after = [
        {"street": "8 Cedar Dr", "city": "Austin"},
        {"street": "51 Maple St", "city": "Miami"},
        {"street": "2 Ash Way", "city": "Portland"},
        {"street": "19 Spruce Rd", "city": "Tucson"},
        {"street": "6 Willow Ave", "city": "Omaha"},
    ]
    result = _split(before, after, ["street", "city"], field="address")
    assert _mapped(result, "address", after)[:2] == ["8 Cedar Dr, Austin", "51 Maple St, Miami"]


def test_split_rebuilds_a_route_whose_first_stop_held_two_words() -> None:
    before = [
        {"route": "Lyon - Paris"},
        {"route": "Den Haag - Utrecht"},
        {"route": "Porto - Braga"},
        {"route": "Gent - Brugge"},
        {"route": "Oslo - Bergen"},
        {"route": "Köln - Bonn"},
    ]
    after = [
        {"from_stop": "Graz", "to_stop": "Linz"},
        {"from_stop": "Turku", "to_stop": "Espoo"},
        {"from_stop": "Malmö", "to_stop": "Lund"},
        {"from_stop": "Bern", "to_stop": "Basel"},
        {"from_stop": "Pisa", "to_stop": "Siena"},
    ]
    result = _split(before, after, ["from_stop", "to_stop"], field="route")
    assert _mapped(result, "route", after)[:2] == ["Graz - Linz", "Turku - Espoo"]


def test_split_where_every_old_whole_holds_a_word_no_part_shows_is_refused() -> None:
    # three words in every old name, one in every new part: a part is missing, not a surname
    # of several words met by chance
    before = [
        {"full_name": "Ada King Lovelace"},
        {"full_name": "Grace Brewster Hopper"},
        {"full_name": "Alan Mathison Turing"},
        {"full_name": "Edsger Wybe Dijkstra"},
        {"full_name": "John Louis Neumann"},
    ]
    after = [
        {"first_name": "Frances", "last_name": "Allen"},
        {"first_name": "Donald", "last_name": "Knuth"},
        {"first_name": "Leslie", "last_name": "Lamport"},
        {"first_name": "Tony", "last_name": "Hoare"},
        {"first_name": "Niklaus", "last_name": "Wirth"},
    ]
    result = _split(before, after, ["first_name", "last_name"])
    assert "full_name" not in result.mapping.as_dict()


def test_split_with_a_new_word_field_beside_the_parts_does_not_read_words_into_them() -> None:
    # a middle name now has a field of its own: an old whole of three words is no surname of
    # two, so joining first and last names would drop it
    before = [
        {"full_name": "Ada Lovelace"},
        {"full_name": "Grace Brewster Hopper"},
        {"full_name": "Alan Turing"},
        {"full_name": "Edsger Dijkstra"},
        {"full_name": "Barbara Liskov"},
    ]
    after = [
        {"first_name": "Frances", "middle_name": "Elizabeth", "last_name": "Allen"},
        {"first_name": "Donald", "middle_name": None, "last_name": "Knuth"},
        {"first_name": "Leslie", "middle_name": None, "last_name": "Lamport"},
        {"first_name": "Tony", "middle_name": None, "last_name": "Hoare"},
    ]
    result = _split(before, after, ["first_name", "last_name"])
    assert "full_name" not in result.mapping.as_dict()
