"""odcs_contract: an Open Data Contract Standard v3 document (kind: DataContract) as a Contract.

The schema object named by `dataset` (its `name` or `physicalName`, which then is the
dataset), or the only one (its `name` is the dataset), becomes the contract. How properties
map (anything else raises a ContractError naming the JSON pointer):

- logicalType string/integer/number/boolean/object/array keep their names; timestamp ->
  timestamp; date -> date, or timestamp when the physicalType says timestamp/datetime;
  time -> string. Nested `properties` become dotted fields under an `object` field, and a
  nested field is required only when every object above it is required too.
- required, unique, description (else businessName) carry over; `primaryKey: true` on one
  top-level property makes it the key (a composite key is noted, not enforced).
- logicalTypeOptions minimum/maximum -> min/max (exclusive bounds are checked as inclusive,
  as the description says); the pii flag is set by `pii: true`, a `pii` tag, or a
  classification among PII_CLASSIFICATIONS.
- A quality rule `metric: invalidValues` with `arguments.validValues` and `mustBe: 0`
  becomes the field's enum; other quality rules are not carried over.
- Array items are summarised in the description; suture contracts do not address them.
"""

from __future__ import annotations

from collections.abc import Mapping

from core.contracts import Contract, ContractField, FieldType, Scalar
from tools.contracts.formats.source import (
    SchemaSource,
    add_field,
    choose,
    join_notes,
    numeric_bounds,
    pointer,
)

PII_CLASSIFICATIONS = frozenset({"pii", "personal", "sensitive", "restricted", "confidential"})
_TYPES: dict[str, FieldType] = {
    "string": "string",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
    "object": "object",
    "array": "array",
    "timestamp": "timestamp",
    "date": "date",
    "time": "string",
}
_PROPERTY_KEYS = frozenset({
    "id", "name", "physicalName", "physicalType", "logicalType", "logicalTypeOptions",
    "description", "businessName", "required", "unique", "primaryKey", "primaryKeyPosition",
    "partitioned", "partitionKeyPosition", "classification", "criticalDataElement",
    "encryptedName", "transformSourceObjects", "transformLogic", "transformDescription",
    "examples", "tags", "customProperties", "authoritativeDefinitions", "quality",
    "properties", "items", "relationships", "pii",
})  # fmt: skip


def odcs_contract(document: object, source: str, *, dataset: str | None = None) -> Contract:
    """The Contract of one schema object of an ODCS v3 document.

    >>> c = odcs_contract({"apiVersion": "v3.0.2", "kind": "DataContract", "schema": [
    ...     {"name": "orders", "properties": [
    ...         {"name": "id", "logicalType": "string", "required": True, "primaryKey": True}]}]},
    ...     "orders.odcs.yaml")
    >>> c.dataset, c.key, c.fields[0].unique
    ('orders', 'id', True)
    """
    reader = SchemaSource(source)
    root = reader.mapping(document, "", "an ODCS document")
    objects = root.get("schema")
    if not isinstance(objects, list):
        raise reader.error("/schema", "no schema list", "declare the objects under schema:")
    entries = [
        (reader.mapping(item, pointer("/schema", i), "a schema object"), pointer("/schema", i))
        for i, item in enumerate(objects)
    ]
    named = {str(e.get("name") or e.get("physicalName")): (e, at) for e, at in entries}
    if dataset is not None:  # a physicalName (the topic) picks its object too
        named.update({str(e["physicalName"]): (e, at) for e, at in entries if "physicalName" in e})
    _, chosen = choose(reader, named, dataset, "/schema", "schema object")
    obj, where = chosen
    fields: dict[str, ContractField] = {}
    keys: list[str] = []
    _properties(reader, obj, "", where, True, fields, keys)
    return reader.contract(
        where,
        dataset=dataset or str(obj.get("name") or obj.get("physicalName")),
        owner=_owner(root.get("team")),
        fields=list(fields.values()),
        key=keys[0] if len(keys) == 1 else None,
    )


def _properties(
    reader: SchemaSource,
    node: Mapping[str, object],
    prefix: str,
    where: str,
    required: bool,
    fields: dict[str, ContractField],
    keys: list[str],
) -> None:
    items = node.get("properties", [])
    if not isinstance(items, list):
        raise reader.error(pointer(where, "properties"), "properties is not a list", "fix it")
    for index, item in enumerate(items):
        at = pointer(where, "properties", index)
        spec = reader.mapping(item, at, "a property")
        name = prefix + reader.field_name(spec.get("name"), pointer(at, "name"))
        unknown = sorted(set(spec) - _PROPERTY_KEYS)
        if unknown:
            raise reader.error(
                pointer(at, unknown[0]),
                f"property key {unknown[0]!r} is not part of ODCS v3",
                "move it under customProperties",
            )
        _property(reader, spec, name, at, required, fields, keys)


def _property(
    reader: SchemaSource,
    spec: Mapping[str, object],
    name: str,
    where: str,
    parent_required: bool,
    fields: dict[str, ContractField],
    keys: list[str],
) -> None:
    kind = _kind(reader, spec, where)
    required = parent_required and spec.get("required") is True
    options = reader.mapping(spec.get("logicalTypeOptions") or {}, where, "logicalTypeOptions")
    low, high, bound_note = numeric_bounds(options, integer=kind == "integer")
    is_key = spec.get("primaryKey") is True
    if is_key and "." not in name:
        keys.append(name)
    notes = [
        _text(spec.get("description")) or _text(spec.get("businessName")),
        bound_note,
        _items_note(reader, spec, where) if kind == "array" else None,
    ]
    field = ContractField(
        name=name,
        type=kind,
        required=required,
        unique=spec.get("unique") is True or is_key,
        description=join_notes(*notes),
        min=low,
        max=high,
        enum=_valid_values(reader, spec, where),
        pii=_is_pii(spec),
    )
    add_field(reader, fields, field, where)
    if kind == "object":
        _properties(reader, spec, name + ".", where, required, fields, keys)


def _kind(reader: SchemaSource, spec: Mapping[str, object], where: str) -> FieldType:
    logical = spec.get("logicalType")
    if logical is None and "properties" in spec:
        logical = "object"
    if not isinstance(logical, str) or logical.lower() not in _TYPES:
        raise reader.error(
            pointer(where, "logicalType"),
            f"logicalType {logical!r} is not one of {sorted(_TYPES)}",
            "set a logicalType suture knows",
        )
    kind = _TYPES[logical.lower()]
    physical = str(spec.get("physicalType") or "").lower()
    if kind == "date" and ("timestamp" in physical or "datetime" in physical):
        return "timestamp"
    return kind


def _valid_values(
    reader: SchemaSource, spec: Mapping[str, object], where: str
) -> list[Scalar] | None:
    rules = spec.get("quality") or []
    if not isinstance(rules, list):
        raise reader.error(pointer(where, "quality"), "quality is not a list", "fix it")
    for index, rule in enumerate(rules):
        if not isinstance(rule, Mapping) or rule.get("metric") != "invalidValues":
            continue
        arguments = rule.get("arguments")
        if rule.get("mustBe") == 0 and isinstance(arguments, Mapping):
            values = arguments.get("validValues")
            at = pointer(where, "quality", index, "arguments", "validValues")
            return reader.scalars(values, at) or None
    return None


def _items_note(reader: SchemaSource, spec: Mapping[str, object], where: str) -> str:
    items = spec.get("items")
    if not isinstance(items, Mapping):
        return "items: any values"
    kind = _kind(reader, items, pointer(where, "items"))
    inner = items.get("properties")
    if kind == "object" and isinstance(inner, list):
        names = [str(p.get("name")) for p in inner if isinstance(p, Mapping)]
        return "items: objects with fields " + ", ".join(names)
    return f"items: {kind} values"


def _is_pii(spec: Mapping[str, object]) -> bool:
    tags = spec.get("tags")
    tagged = isinstance(tags, list) and any(str(t).lower() == "pii" for t in tags)
    classified = str(spec.get("classification") or "").lower() in PII_CLASSIFICATIONS
    return spec.get("pii") is True or tagged or classified


def _owner(team: object) -> str | None:
    if isinstance(team, Mapping) and isinstance(team.get("name"), str):
        return str(team["name"])
    return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
