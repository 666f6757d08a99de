"""A dbt project's schema YAML -> topics, data contracts and invariants.

A source table stands for one Kafka topic: `meta: {kafka_topic: ...}` on the table names it,
else the table's `identifier`, else the table's `name`. Its `columns:` (with `data_type`) make
the topic's contract; the column tests `not_null`, `unique` and `accepted_values` (under `tests:`
or the newer `data_tests:`) become `required`, `unique` and `enum`. Tests on a model's columns
become invariants checked on the model's replayed output.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from core.contracts import Contract, FieldType, Invariant
from tools.dbt.column_tests import ColumnTests, column_tests, model_invariants

_TYPES: tuple[tuple[tuple[str, ...], FieldType], ...] = (
    (("timestamp", "datetime"), "timestamp"),
    (("date",), "date"),
    (("bool",), "boolean"),
    (("long", "serial", "bigserial"), "integer"),
    (("double", "float", "real", "decimal", "numeric", "number"), "number"),
    (("struct", "json", "map", "object", "record", "variant"), "object"),
    (("array", "list"), "array"),
    (("char", "text", "string", "uuid", "varchar"), "string"),
)


@dataclass(frozen=True)
class DbtSchema:
    """What a project's schema files declare."""

    sources: dict[str, str] = field(default_factory=dict)  # 'source.table' -> topic
    contracts: dict[str, Contract] = field(default_factory=dict)  # topic -> contract
    origins: dict[str, str] = field(default_factory=dict)  # topic -> the file declaring it
    invariants: list[Invariant] = field(default_factory=list)
    broken: dict[str, str] = field(default_factory=dict)  # 'file: where' -> why


def field_type(data_type: str) -> FieldType | None:
    """suture's field type for a warehouse `data_type`, or None when it is not known.

    >>> field_type("BIGINT"), field_type("timestamp with time zone"), field_type("varchar(20)")
    ('integer', 'timestamp', 'string')
    >>> field_type("interval") is None, field_type("int[]"), field_type("decimal(10, 2)")
    (True, 'array', 'number')
    """
    lowered = data_type.strip().lower()
    if lowered.endswith("[]"):
        return "array"
    base = re.split(r"[\s(<\[]", lowered)[0]
    if base.endswith("int") or re.fullmatch(r"u?int(eger)?\d*", base):
        return "integer"
    for words, kind in _TYPES:
        if base.startswith(words):
            return kind
    return None


def topic_of(table: Mapping[str, Any]) -> str:
    """The Kafka topic a source table stands for: meta.kafka_topic, identifier, or its name."""
    meta = table.get("meta") or {}
    topic = meta.get("kafka_topic") if isinstance(meta, Mapping) else None
    return str(topic or table.get("identifier") or table["name"])


def _entries(document: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    found = document.get(key) or []
    return [e for e in found if isinstance(e, Mapping) and e.get("name")]


def _contract_data(table: Mapping[str, Any], topic: str, owner: object) -> dict[str, Any]:
    fields: list[dict[str, Any]] = []
    for column in _entries(table, "columns"):
        name, data_type = str(column["name"]), column.get("data_type")
        kind = field_type(str(data_type)) if data_type else None
        if kind is None:
            raise ValueError(
                f"column {name!r} needs a data_type suture knows (string, integer, number, "
                f"boolean, timestamp, date, struct, array); got {data_type!r}"
            )
        tests: ColumnTests = column_tests(column)
        meta = column.get("meta") or {}
        fields.append(
            {
                "name": name,
                "type": kind,
                "required": tests.not_null,
                "unique": tests.unique,
                "enum": tests.accepted_values,
                "min": tests.minimum,
                "max": tests.maximum,
                "description": column.get("description"),
                "pii": bool(meta.get("pii", False)) if isinstance(meta, Mapping) else False,
            }
        )
    data: dict[str, Any] = {"dataset": topic, "fields": fields}
    if owner:
        data["owner"] = str(owner)
    event_time = table.get("loaded_at_field")
    if event_time and any(f["name"] == event_time for f in fields):
        data["event_time"] = event_time
    suture = (table.get("meta") or {}).get("suture") or {}
    return data | (dict(suture) if isinstance(suture, Mapping) else {})


def read_schema(documents: Sequence[tuple[str, Mapping[str, Any]]]) -> DbtSchema:
    """Topics and contracts from `sources:`, invariants from `models:` of every schema file."""
    schema = DbtSchema()
    for path, document in documents:
        for source in _entries(document, "sources"):
            owner = (source.get("meta") or {}).get("owner")
            for table in _entries(source, "tables"):
                name = f"{source['name']}.{table['name']}"
                topic = schema.sources[name] = topic_of(table)
                if not table.get("columns"):
                    continue  # a topic without declared columns has no contract here
                try:
                    contract = Contract.model_validate(_contract_data(table, topic, owner))
                except (ValueError, ValidationError) as error:
                    schema.broken[f"{path}: source {name}"] = f"{path}: source {name}: {error}"
                    continue
                schema.contracts[topic] = contract
                schema.origins[topic] = path
        for model in _entries(document, "models"):
            schema.invariants.extend(model_invariants(model))
    return schema
