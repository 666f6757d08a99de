"""Tests for rebuilding the old representation: nothing lost, no zone invented, kinds a lattice."""

from __future__ import annotations

import pytest

from core.contracts import Contract
from core.models import Detection
from tools.healing.lossless import time_loss
from tools.healing.mapping import evaluate, infer_mapping

Rows = list[dict[str, object]]


def _rename(old_type: str, before: Rows, after: Rows) -> tuple[str | None, list[str]]:
    """The mapping of `v` renamed to `w`, or None and the fields left unresolved."""
    contract = Contract(dataset="t", fields=[{"name": "v", "type": old_type}])
    detections = [Detection(kind="rename", field="v", to="w")]
    result = infer_mapping(detections, contract, {"v"}, before, after)
    return result.mapping.as_dict().get("v"), result.unresolved


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (["2026-03-01T08:00:00Z", "2026-03-01T09:30:00Z"], ["2026-03-01 10:00:00.250+00:00"]),
        (["2026-03-01T08:00:00Z"], ["2026-03-01T10:00:00.123456+00:00"]),
        (["2026-03-01 08:00:00"], ["2026-03-01T10:00:00.5"]),
    ],
)
def test_never_drops_the_fraction_of_a_second(old: list[str], new: list[str]) -> None:
    target, _ = _rename("timestamp", [{"v": x} for x in old], [{"w": x} for x in new])
    assert target is not None
    computed = evaluate(target, [{"w": x} for x in new])
    assert time_loss(new, computed, old) is None, computed


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (["2026-03-01T08:00:00Z", "2026-03-01T09:00:00Z"], ["2026-03-01T10:00:00"]),
        (["2026-03-01T08:00:00+01:00"], ["2026-03-01 10:00:00", "2026-03-01 11:00:00"]),
        (["2026-03-01T08:00:00.000Z"], ["2026-03-01T10:00:00.250"]),
    ],
)
def test_never_invents_a_zone_for_a_naive_timestamp(old: list[str], new: list[str]) -> None:
    target, unresolved = _rename("timestamp", [{"v": x} for x in old], [{"w": x} for x in new])
    assert target is None and unresolved == ["v"]


@pytest.mark.parametrize("new", [["2026-03-01T10:00:00"], ["2026-03-01 10:00:00.250"]])
def test_never_reads_a_naive_timestamp_as_an_epoch(new: list[str]) -> None:
    before: Rows = [{"v": 1772352000}, {"v": 1772355600}]
    target, _ = _rename("integer", before, [{"w": x} for x in new])
    assert target is None


def test_keeps_sub_second_precision_when_iso_text_goes_back_to_epoch_seconds() -> None:
    before: Rows = [{"v": 1772352000}, {"v": 1772355600}]
    after: Rows = [{"w": "2026-03-01T10:00:00.250Z"}, {"w": "2026-03-01T11:00:00Z"}]
    target, _ = _rename("integer", before, after)
    assert target is not None
    assert evaluate(target, after) == [1772359200.25, 1772362800.0]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            ["1,299.00", "7.50", "12,000.25"],
            [1299.5, 12.0, 3100.75],
            ["1,299.50", "12.00", "3,100.75"],
        ),
        (["1,299", "75", "12,000"], [2450, 18, 1000000], ["2,450", "18", "1,000,000"]),
        (["-1,200.5", "3.0"], [-2200.5, 4.5], ["-2,200.5", "4.5"]),
    ],
)
def test_writes_numbers_with_thousands_separators_as_before(
    old: list[str], new: list[float], expected: list[str]
) -> None:
    after: Rows = [{"w": x} for x in new]
    target, _ = _rename("string", [{"v": x} for x in old], after)
    assert target is not None and evaluate(target, after) == expected


def test_refuses_to_round_numbers_the_old_text_cannot_hold() -> None:
    target, unresolved = _rename("string", [{"v": "1,299.00"}], [{"w": 1299.125}])
    assert target != "format('{:,.2f}', CAST(w AS DOUBLE))" and unresolved == ["v"]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ([1299, 2075], ["1,299", "2,000"], [1299, 2000]),
        ([1212.5, 3.25], ["1,299.50", "7.25"], [1299.5, 7.25]),
    ],
)
def test_reads_numbers_with_thousands_separators_back(
    old: list[float], new: list[str], expected: list[float]
) -> None:
    after: Rows = [{"w": x} for x in new]
    kind = "integer" if all(isinstance(x, int) for x in old) else "number"
    target, _ = _rename(kind, [{"v": x} for x in old], after)
    assert target is not None and evaluate(target, after) == expected


def _split(before: Rows, after: Rows, parts: list[str]) -> str | None:
    contract = Contract(dataset="t", fields=[{"name": "whole", "type": "string"}])
    detections = [Detection(kind="split", field="whole", to=parts)]
    result = infer_mapping(detections, contract, {"whole"}, before, after)
    return result.mapping.as_dict().get("whole")


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (  # letters the parts never showed
            [{"whole": "Zoë Brontë"}, {"whole": "José Ñúñez"}],
            [{"first": "Ada", "last": "Lovelace"}, {"first": "Alan", "last": "Turing"}],
            ["Ada Lovelace", "Alan Turing"],
        ),
        (
            [{"whole": "Lyon-69001"}, {"whole": "Paris-75002"}],
            [{"first": "Besançon", "last": "25000"}, {"first": "Orléans", "last": "45000"}],
            ["Besançon-25000", "Orléans-45000"],
        ),
        (
            [{"whole": "Straße 5"}, {"whole": "Weg 12"}],
            [{"first": "Chaussée", "last": "7"}, {"first": "Gärten", "last": "31"}],
            ["Chaussée 7", "Gärten 31"],
        ),
    ],
)
def test_split_parts_match_by_unicode_category(
    before: Rows, after: Rows, expected: list[str]
) -> None:
    target = _split(before, after, ["first", "last"])
    assert target is not None and evaluate(target, after) == expected


@pytest.mark.parametrize(
    ("middle", "expected"),
    [
        ([None, "Q"], ["Grace Hopper", "John Q Public"]),
        (["", "Q"], ["Grace Hopper", "John Q Public"]),
        (["M", None], ["Grace M Hopper", "John Public"]),
    ],
)
def test_split_joins_skip_null_and_empty_optional_parts(
    middle: list[str | None], expected: list[str]
) -> None:
    before: Rows = [
        {"whole": "Ada B Lovelace"},
        {"whole": "Alan M Turing"},
        {"whole": "Kurt Gödel"},
    ]
    after: Rows = [
        {"first": "Grace", "middle": middle[0], "last": "Hopper"},
        {"first": "John", "middle": middle[1], "last": "Public"},
    ]
    target = _split(before, after, ["first", "middle", "last"])
    assert target is not None and evaluate(target, after) == expected


def test_merge_parts_are_read_back_by_unicode_category() -> None:
    contract = Contract(
        dataset="t",
        fields=[{"name": "first", "type": "string"}, {"name": "last", "type": "string"}],
    )
    before: Rows = [{"first": "Ada", "last": "Lovelace"}, {"first": "Alan", "last": "Turing"}]
    after: Rows = [{"name": "Søren Kierkegaard"}, {"name": "Émile Zola"}]
    detections = [
        Detection(kind="merge", field="first", to=["name"]),
        Detection(kind="merge", field="last", to=["name"]),
    ]
    result = infer_mapping(detections, contract, {"first", "last"}, before, after)
    mapping = result.mapping.as_dict()
    assert evaluate(mapping["first"], after) == ["Søren", "Émile"]
    assert evaluate(mapping["last"], after) == ["Kierkegaard", "Zola"]
