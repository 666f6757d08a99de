"""Turn JSON events into an Arrow table whose column types come from the values, never guessed.

Rules (the scenario format's "how models see events"): each event is a row; top-level fields are
columns, nested objects STRUCT columns, arrays LISTs; a field missing from an event is NULL. Types
come from the JSON values: integers BIGINT, mixed integers and floats DOUBLE, any other conflict
VARCHAR holding the value's JSON text (strings are kept as they are). Strings stay VARCHAR: nothing
is parsed into a timestamp or date. Contract fields no event carries still become NULL columns,
typed by the contract (timestamps and dates as VARCHAR, since that is how JSON carries them).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pyarrow as pa

from core.contracts import Contract, FieldType
from core.errors import ReplayError

_INT64_MAX = 2**63 - 1


@dataclass(frozen=True)
class Scalar:
    """A scalar JSON type: null, bool, int, float, str, or json (conflicting values, as text)."""

    kind: str


@dataclass(frozen=True)
class Struct:
    """A JSON object type: field name -> type."""

    fields: dict[str, JsonType] = field(default_factory=dict)


@dataclass(frozen=True)
class ListOf:
    """A JSON array type."""

    item: JsonType


JsonType = Scalar | Struct | ListOf
NULL, JSON_TEXT = Scalar("null"), Scalar("json")
_CONTRACT_SCALARS: dict[FieldType, JsonType] = {
    "string": Scalar("str"),
    "integer": Scalar("int"),
    "number": Scalar("float"),
    "boolean": Scalar("bool"),
    "timestamp": Scalar("str"),
    "date": Scalar("str"),
    "object": Struct(),
    "array": ListOf(Scalar("str")),
}
_ARROW: dict[str, pa.DataType] = {
    "null": pa.string(),
    "bool": pa.bool_(),
    "int": pa.int64(),
    "float": pa.float64(),
    "str": pa.string(),
    "json": pa.string(),
}


def type_of(value: object) -> JsonType:
    """The JSON type of one value.

    >>> type_of({"a": [1, 2.5]})
    Struct(fields={'a': ListOf(item=Scalar(kind='float'))})
    """
    if value is None:
        return NULL
    if isinstance(value, bool):
        return Scalar("bool")
    if isinstance(value, int):
        return Scalar("int") if abs(value) <= _INT64_MAX else Scalar("float")
    if isinstance(value, float):
        return Scalar("float")
    if isinstance(value, str):
        return Scalar("str")
    if isinstance(value, Mapping):
        return Struct({str(k): type_of(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        item: JsonType = NULL
        for element in value:
            item = merge(item, type_of(element))
        return ListOf(item)
    raise ReplayError(f"value {value!r} is not JSON; events must hold JSON values only")


def merge(a: JsonType, b: JsonType) -> JsonType:
    """The type that holds values of both types (int+float: float; other conflicts: json)."""
    if a == NULL:
        return b
    if b == NULL or a == b:
        return a
    if isinstance(a, Scalar) and isinstance(b, Scalar) and {a.kind, b.kind} == {"int", "float"}:
        return Scalar("float")
    if isinstance(a, Struct) and isinstance(b, Struct):
        names = list(a.fields) + [n for n in b.fields if n not in a.fields]
        return Struct({n: merge(a.fields.get(n, NULL), b.fields.get(n, NULL)) for n in names})
    if isinstance(a, ListOf) and isinstance(b, ListOf):
        return ListOf(merge(a.item, b.item))
    return JSON_TEXT


def contract_type(contract: Contract) -> Struct:
    """The event type a contract declares (dotted names become nested structs)."""
    root: dict[str, JsonType] = {}
    for declared in contract.fields:
        *parents, leaf = declared.name.split(".")
        level = root
        for parent in parents:
            node = level.get(parent)
            if not isinstance(node, Struct):
                node = Struct()
                level[parent] = node
            level = node.fields
        existing = level.get(leaf)
        if not (isinstance(existing, Struct) and declared.type == "object"):
            level[leaf] = _CONTRACT_SCALARS[declared.type]
    return Struct(root)


def fill(inferred: JsonType, declared: JsonType) -> JsonType:
    """`inferred`, completed from `declared` where values said nothing (all-null, absent)."""
    if inferred == NULL:
        return declared
    if isinstance(inferred, Struct) and isinstance(declared, Struct):
        merged = {n: fill(t, declared.fields.get(n, NULL)) for n, t in inferred.fields.items()}
        merged.update({n: t for n, t in declared.fields.items() if n not in merged})
        return Struct(merged)
    return inferred


def arrow_type(json_type: JsonType) -> pa.DataType:
    """The Arrow type that carries values of `json_type` (objects with no known field: text)."""
    if isinstance(json_type, Scalar):
        return _ARROW[json_type.kind]
    if isinstance(json_type, ListOf):
        return pa.list_(arrow_type(json_type.item))
    if not json_type.fields:
        return pa.string()
    return pa.struct([(n, arrow_type(t)) for n, t in json_type.fields.items()])


def coerce(value: object, json_type: JsonType) -> object:
    """`value` shaped to fit `json_type` (conflicts become JSON text, ints in floats floats)."""
    if value is None:
        return None
    if isinstance(json_type, Struct) and json_type.fields and isinstance(value, Mapping):
        return {n: coerce(value.get(n), t) for n, t in json_type.fields.items()}
    if isinstance(json_type, ListOf) and isinstance(value, list | tuple):
        return [coerce(v, json_type.item) for v in value]
    if isinstance(json_type, Scalar) and json_type.kind == "float":
        return float(value)  # type: ignore[arg-type]
    if isinstance(json_type, Scalar) and json_type.kind in ("bool", "int", "str"):
        return value
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def event_type(events: Sequence[Mapping[str, object]], contract: Contract | None = None) -> Struct:
    """The table type of `events`: inferred from values, completed by the contract."""
    inferred: JsonType = Struct()
    for index, event in enumerate(events):
        if not isinstance(event, Mapping):
            raise ReplayError(f"event #{index} is {type(event).__name__}, not a JSON object")
        inferred = merge(inferred, type_of(event))
    if contract is not None:
        inferred = fill(inferred, contract_type(contract))
    assert isinstance(inferred, Struct)
    return inferred


def event_table(
    events: Sequence[Mapping[str, object]], contract: Contract | None = None
) -> pa.Table:
    """An Arrow table with one row per event, typed by the module's rules."""
    table_type = event_type(events, contract)
    if not table_type.fields:
        raise ReplayError("no events and no contract: cannot tell which columns the table has")
    columns = {
        name: pa.array([coerce(e.get(name), t) for e in events], type=arrow_type(t))
        for name, t in table_type.fields.items()
    }
    return pa.table(columns)
