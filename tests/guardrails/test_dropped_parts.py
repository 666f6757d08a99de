"""Tests for guardrails.compositions on substitutes that carry only some of what the old
representation held, where no composition rebuilds every old value: one part of a split read
as the whole, the whole of a merge read as one part, parts joined with one left out. The other
checks judge such a substitute by the shape of its values, which a dropped part does not
change enough on a few samples, so the composition's partial evidence must refuse it."""

from __future__ import annotations

import pytest

from core.contracts import Pipeline
from core.models import ModelPatch
from guardrails.compositions import composition_checks

Rows = list[dict[str, object]]


def _check(model: str, patched: str, before: Rows, after: Rows) -> tuple[bool, str]:
    pipeline = Pipeline(models={"stg": model})
    patch = ModelPatch(model="stg", before_sql=model, after_sql=patched)
    [result] = composition_checks(pipeline, [patch], "t", before, after)
    return result.passed, result.detail


# full_name split into first_name + last_name while state is renamed to region; one old name
# has three words, which no layout of single-word parts rebuilds (gen-73205-00401 in small).
_NAMES_BEFORE: Rows = [
    {"k": "a1", "full_name": "SALAH MERWIN", "state": "MS"},
    {"k": "a2", "full_name": "Roselle De witte", "state": "ON"},
    {"k": "a3", "full_name": "Donny Posthumus", "state": "VA"},
    {"k": "a4", "full_name": "arlyne Mckeegan", "state": "KY"},
    {"k": "a5", "full_name": "ireland latif", "state": "AB"},
]
_NAMES_AFTER: Rows = [
    {"k": "b1", "first_name": "kishore", "last_name": "laferriere", "region": "SK"},
    {"k": "b2", "first_name": "Andromache", "last_name": "SELCHOW", "region": "NY"},
    {"k": "b3", "first_name": "Claude", "last_name": "dilkie", "region": "RI"},
    {"k": "b4", "first_name": "HOR-LAM", "last_name": "conrad", "region": "UT"},
]


@pytest.mark.parametrize(
    "part",
    [
        "first_name",
        "last_name",
        "trim(first_name)",
        "concat_ws(' ', first_name, region)",
        "coalesce(last_name, first_name)",
    ],
)
def test_refuses_one_part_of_a_split_for_the_whole_beside_a_rename(part: str) -> None:
    model = "select k, full_name, state from t"
    patched = f"select k, {part} as full_name, region as state from t"
    passed, detail = _check(model, patched, _NAMES_BEFORE, _NAMES_AFTER)
    assert not passed, detail
    assert "full_name" in detail, detail


def test_refuses_one_part_of_a_split_for_the_whole_without_a_rename() -> None:
    before = [{k: v for k, v in row.items() if k != "state"} for row in _NAMES_BEFORE]
    after = [{k: v for k, v in row.items() if k != "region"} for row in _NAMES_AFTER]
    passed, detail = _check(
        "select k, full_name from t", "select k, first_name as full_name from t", before, after
    )
    assert not passed, detail


# other names, accented values, an old value of four words among three-word ones
_CUSTOMER_BEFORE: Rows = [
    {"id": "c1", "customer": "José Luis Álvarez"},
    {"id": "c2", "customer": "Zoë Anne Brontë"},
    {"id": "c3", "customer": "Øyvind Kåre Ødegård"},
    {"id": "c4", "customer": "María de la Cruz"},
]
_CUSTOMER_AFTER: Rows = [
    {"id": "d1", "given": "Renée", "middle": "Claire", "family": "Müller"},
    {"id": "d2", "given": "Jürgen", "middle": "Karl", "family": "Straße"},
    {"id": "d3", "given": "Ana", "middle": "Sofía", "family": "Peña"},
]


@pytest.mark.parametrize(
    "part",
    [
        "given",
        "family",
        "middle",
        "concat_ws(' ', given, family)",
        "given || ' ' || family",
        "given || middle || family",
    ],
)
def test_refuses_a_split_of_three_parts_read_without_all_of_them(part: str) -> None:
    model = "select id, customer from t"
    patched = f"select id, {part} as customer from t"
    passed, detail = _check(model, patched, _CUSTOMER_BEFORE, _CUSTOMER_AFTER)
    assert not passed, detail
    assert "customer" in detail, detail


# a code split into country and number, the separator a dash; one old code has a suffix the
# new parts never show
_CODES_BEFORE: Rows = [
    {"k": "a1", "ref": "FR-0042"},
    {"k": "a2", "ref": "DE-1187"},
    {"k": "a3", "ref": "US-0007"},
    {"k": "a4", "ref": "NL-5521-B"},
]
_CODES_AFTER: Rows = [
    {"k": "b1", "country": "IT", "number": "0315"},
    {"k": "b2", "country": "ES", "number": "9920"},
    {"k": "b3", "country": "BE", "number": "0101"},
]


@pytest.mark.parametrize("part", ["country", "number", "country || number"])
def test_refuses_one_part_of_a_dashed_code_for_the_whole(part: str) -> None:
    passed, detail = _check(
        "select k, ref from t", f"select k, {part} as ref from t", _CODES_BEFORE, _CODES_AFTER
    )
    assert not passed, detail


# first_name + last_name merged into full_name, city renamed to town; one new whole has three
# words, so its split point is ambiguous and no layout reads every whole
_MERGE_BEFORE: Rows = [
    {"k": "a1", "first_name": "THOR", "last_name": "shane", "city": "Lyon"},
    {"k": "a2", "first_name": "TRUDY", "last_name": "LEDUC", "city": "Gent"},
    {"k": "a3", "first_name": "Radoslav", "last_name": "luzarraga", "city": "Oslo"},
    {"k": "a4", "first_name": "Émilie", "last_name": "Noël", "city": "Nice"},
]
_MERGE_AFTER: Rows = [
    {"k": "b1", "full_name": "AMALITA Kanno", "town": "Bonn"},
    {"k": "b2", "full_name": "Niel van Summerlin", "town": "Kiel"},
    {"k": "b3", "full_name": "Anica Gargul", "town": "Gent"},
    {"k": "b4", "full_name": "Zoë Brontë", "town": "Metz"},
]


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("full_name", "split_part(full_name, ' ', 2)"),
        ("split_part(full_name, ' ', 1)", "full_name"),
        ("full_name", "full_name"),
    ],
)
def test_refuses_the_whole_of_a_merge_for_a_part_beside_a_rename(first: str, last: str) -> None:
    model = "select k, first_name, last_name, city from t"
    patched = f"select k, {first} as first_name, {last} as last_name, town as city from t"
    passed, detail = _check(model, patched, _MERGE_BEFORE, _MERGE_AFTER)
    assert not passed, detail


def test_refuses_pieces_of_a_merged_whole_whose_split_point_is_ambiguous() -> None:
    model = "select k, first_name, last_name, city from t"
    patched = (
        "select k, split_part(full_name, ' ', 1) as first_name,"
        " split_part(full_name, ' ', 2) as last_name, town as city from t"
    )
    passed, detail = _check(model, patched, _MERGE_BEFORE, _MERGE_AFTER)
    assert not passed, detail


# what must keep passing


def test_accepts_the_parts_joined_beside_a_rename_when_every_old_value_is_rebuilt() -> None:
    before = [row for row in _NAMES_BEFORE if row["k"] != "a2"]
    model = "select k, full_name, state from t"
    patched = "select k, concat_ws(' ', first_name, last_name) as full_name, region as state from t"
    passed, detail = _check(model, patched, before, _NAMES_AFTER)
    assert passed, detail


def test_accepts_a_rename_of_many_word_values_beside_a_new_field() -> None:
    before: Rows = [
        {"k": "a1", "city": "New York"},
        {"k": "a2", "city": "San Jose"},
        {"k": "a3", "city": "Los Angeles"},
        {"k": "a4", "city": "Paris"},
    ]
    after: Rows = [
        {"k": "b1", "town": "Rio de Janeiro", "country": "BR"},
        {"k": "b2", "town": "Lyon", "country": "FR"},
        {"k": "b3", "town": "Santa Fe", "country": "US"},
    ]
    passed, detail = _check("select k, city from t", "select k, town as city from t", before, after)
    assert passed, detail
