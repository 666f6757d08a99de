"""Tests for tools.sql.event_table: JSON events to typed Arrow tables."""

from __future__ import annotations

import pytest

from core.contracts import Contract
from core.errors import ReplayError
from tools.sql.event_table import event_table


def test_folds_ints_and_floats_into_doubles() -> None:
    table = event_table([{"x": 1}, {"x": 2.5}])
    assert str(table.schema.field("x").type) == "double"
    assert table.column("x").to_pylist() == [1.0, 2.5]


def test_keeps_conflicting_values_as_json_text() -> None:
    table = event_table([{"x": 1}, {"x": "one"}, {"x": {"a": [1]}}, {"x": True}])
    assert table.column("x").to_pylist() == ["1", "one", '{"a":[1]}', "true"]


def test_merges_struct_fields_across_events() -> None:
    table = event_table([{"a": {"b": 1}}, {"a": {"c": "x"}}, {}])
    assert table.column("a").to_pylist() == [{"b": 1, "c": None}, {"b": None, "c": "x"}, None]


def test_completes_structs_and_all_null_columns_from_the_contract() -> None:
    contract = Contract(
        dataset="t",
        fields=[
            {"name": "a.b", "type": "integer"},
            {"name": "n", "type": "boolean"},
            {"name": "when", "type": "timestamp"},
        ],
    )
    table = event_table([{"a": {"z": "x"}, "n": None}], contract)
    assert {f.name: str(f.type) for f in table.schema} == {
        "a": "struct<z: string, b: int64>",
        "n": "bool",
        "when": "string",
    }


def test_refuses_events_that_are_not_objects() -> None:
    with pytest.raises(ReplayError, match="not a JSON object"):
        event_table([["not", "an", "object"]])  # type: ignore[list-item]
