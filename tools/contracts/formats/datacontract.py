"""datacontract_contract: a datacontract.com specification document as a suture Contract.

The model named by `dataset`, or the only one, becomes the contract (its name is the dataset;
`info.owner` is the owner). How fields map (anything else raises a ContractError naming the
JSON pointer):

- string/text/varchar -> string; int/integer/long/bigint -> integer; number/decimal/numeric/
  float/double -> number; timestamp/timestamp_tz/timestamp_ntz -> timestamp; date -> date;
  boolean; bytes -> string; object/record/struct/map -> object (nested `fields` become dotted
  fields, required only when every object above is required); array -> array, with its items
  summarised in the description.
- required, unique, pii, enum, minimum/maximum (exclusive bounds checked as inclusive, as the
  description says), description (else title) carry over; `primaryKey`/`primary: true` on one
  top-level field (or the model's `primaryKey: [name]`) makes the key.
- `$ref: '#/definitions/NAME'` is resolved against the document's definitions (the field's
  own keys win); other references are refused.
"""

from __future__ import annotations

from collections.abc import Mapping

from core.contracts import Contract, ContractField, FieldType
from tools.contracts.formats.source import (
    SchemaSource,
    add_field,
    choose,
    join_notes,
    numeric_bounds,
    pointer,
)

_TYPES: dict[str, FieldType] = {
    **dict.fromkeys(("string", "text", "varchar", "bytes", "uuid"), "string"),
    **dict.fromkeys(("int", "integer", "long", "bigint"), "integer"),
    **dict.fromkeys(("number", "decimal", "numeric", "float", "double"), "number"),
    **dict.fromkeys(("timestamp", "timestamp_tz", "timestamp_ntz"), "timestamp"),
    "date": "date",
    "boolean": "boolean",
    **dict.fromkeys(("object", "record", "struct", "map"), "object"),
    "array": "array",
}
_FIELD_KEYS = frozenset({
    "type", "required", "unique", "primaryKey", "primary", "pii", "classification", "enum",
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "format", "pattern",
    "minLength", "maxLength", "description", "title", "fields", "items", "keys", "values",
    "config", "tags", "example", "examples", "references", "quality", "lineage", "links",
    "precision", "scale", "physicalType", "$ref", "name", "default", "customProperties",
})  # fmt: skip


def datacontract_contract(document: object, source: str, *, dataset: str | None = None) -> Contract:
    """The Contract of one model of a datacontract.com specification document.

    >>> c = datacontract_contract({"dataContractSpecification": "1.1.0", "models": {"orders": {
    ...     "fields": {"id": {"type": "string", "required": True, "primaryKey": True},
    ...                "total": {"type": "decimal", "minimum": 0}}}}}, "dc.yaml")
    >>> c.dataset, c.key, [(f.name, f.type, f.min) for f in c.fields]
    ('orders', 'id', [('id', 'string', None), ('total', 'number', 0.0)])
    """
    reader = SchemaSource(source)
    root = reader.mapping(document, "", "a datacontract.com document")
    models = reader.mapping(root.get("models"), "/models", "models")
    name, chosen = choose(reader, models, dataset, "/models", "model")
    where = pointer("/models", name)
    model = reader.mapping(chosen, where, "a model")
    definitions = reader.mapping(root.get("definitions") or {}, "/definitions", "definitions")
    walker = _Walker(reader, definitions)
    walker.fields_of(model, "", where, True)
    declared = model.get("primaryKey")
    keys = [str(k) for k in declared] if isinstance(declared, list) else walker.keys
    info = root.get("info")
    owner = info.get("owner") if isinstance(info, Mapping) else None
    return reader.contract(
        where,
        dataset=name,
        owner=owner if isinstance(owner, str) else None,
        fields=list(walker.fields.values()),
        key=keys[0] if len(keys) == 1 else None,
    )


class _Walker:
    def __init__(self, reader: SchemaSource, definitions: Mapping[str, object]) -> None:
        self.reader, self.definitions = reader, definitions
        self.fields: dict[str, ContractField] = {}
        self.keys: list[str] = []

    def fields_of(
        self, node: Mapping[str, object], prefix: str, where: str, required: bool
    ) -> None:
        """Add every field of a model or object field (recursively)."""
        members = self.reader.mapping(node.get("fields") or {}, where, "fields")
        for key, spec in members.items():
            at = pointer(where, "fields", key)
            name = prefix + self.reader.field_name(key, at)
            self.field(
                self._resolve(self.reader.mapping(spec, at, "a field"), at), name, at, required
            )

    def _resolve(self, spec: Mapping[str, object], where: str) -> Mapping[str, object]:
        ref = spec.get("$ref")
        if ref is None:
            return spec
        prefix = "#/definitions/"
        if not isinstance(ref, str) or not ref.startswith(prefix) or ref[len(prefix) :] not in (
            self.definitions
        ):  # fmt: skip
            raise self.reader.error(
                pointer(where, "$ref"),
                f"reference {ref!r} is not one of this document's definitions",
                "inline the field or add it under definitions:",
            )
        target = self.reader.mapping(self.definitions[ref[len(prefix) :]], ref[1:], "a definition")
        return {**target, **{k: v for k, v in spec.items() if k != "$ref"}}

    def field(
        self, spec: Mapping[str, object], name: str, where: str, parent_required: bool
    ) -> None:
        """Add the field `name` (and its nested fields)."""
        unknown = sorted(set(spec) - _FIELD_KEYS)
        if unknown:
            raise self.reader.error(
                pointer(where, unknown[0]),
                f"field key {unknown[0]!r} is not part of the datacontract specification",
                "remove it or move it under config:",
            )
        kind = self._kind(spec, where)
        required = parent_required and spec.get("required") is True
        low, high, bound_note = numeric_bounds(spec, integer=kind == "integer")
        is_key = spec.get("primaryKey") is True or spec.get("primary") is True
        if is_key and "." not in name:
            self.keys.append(name)
        enum = spec.get("enum")
        items_note = self._items_note(spec, where) if kind == "array" else None
        description = spec.get("description") or spec.get("title")
        field = ContractField(
            name=name,
            type=kind,
            required=required,
            unique=spec.get("unique") is True or is_key,
            description=join_notes(
                str(description) if description else None, bound_note, items_note
            ),
            min=low,
            max=high,
            enum=self.reader.scalars(enum, pointer(where, "enum")) or None if enum else None,
            pii=spec.get("pii") is True,
        )
        add_field(self.reader, self.fields, field, where)
        if kind == "object":
            self.fields_of(spec, name + ".", where, required)

    def _kind(self, spec: Mapping[str, object], where: str) -> FieldType:
        declared = spec.get("type")
        if declared is None and "fields" in spec:
            declared = "object"
        if not isinstance(declared, str) or declared.lower() not in _TYPES:
            raise self.reader.error(
                pointer(where, "type"),
                f"type {declared!r} is not one suture can hold",
                f"use one of {sorted(_TYPES)}",
            )
        return _TYPES[declared.lower()]

    def _items_note(self, spec: Mapping[str, object], where: str) -> str:
        items = spec.get("items")
        if not isinstance(items, Mapping):
            return "items: any values"
        at = pointer(where, "items")
        resolved = self._resolve(items, at)
        kind = self._kind(resolved, at)
        inner = resolved.get("fields")
        if kind == "object" and isinstance(inner, Mapping):
            return "items: objects with fields " + ", ".join(str(k) for k in inner)
        return f"items: {kind} values"
