"""json_schema_contract: a JSON Schema (draft 7 or 2020-12) object schema as a suture Contract.

How constructs map (anything else raises a ContractError naming the JSON pointer):

- `properties` become fields; a nested object becomes a field of type `object` plus one dotted
  field per property (`address.city`). A nested field is required only when it and every
  object above it are required.
- `required` marks a field required unless its schema also allows null (`["string", "null"]`,
  `anyOf: [T, {type: null}]`, OpenAPI's `nullable: true`): suture's `required` means "present
  and not null". `["integer", "number"]` is a number; other multi-type unions are refused.
- `format: date-time` -> timestamp, `format: date` -> date; other formats stay strings.
- `enum` / `const` -> enum (a null member means nullable); `minimum` / `maximum` -> min / max.
  `exclusiveMinimum` / `exclusiveMaximum` (numbers in 2020-12, booleans in draft 4) are
  approximated as inclusive bounds, and the field's description says so.
- `description` (else `title`) -> description; `x-pii`, `x-sensitive` or `pii: true` -> pii;
  `x-unit` -> unit.
- `$ref` to local `#/$defs/...` or `#/definitions/...` is resolved (siblings override it);
  recursive references and remote references are refused. `allOf` is merged.
- Arrays are fields of type `array`; what their items hold is written into the description,
  because suture contracts do not address array items.
- Validation-only keywords (pattern, lengths, additionalProperties, ...) and `x-*`
  extensions are accepted and not carried over; any other keyword is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath

from core.contracts import Contract, ContractField, FieldType, Scalar
from tools.contracts.formats.source import (
    SchemaSource,
    add_field,
    join_notes,
    numeric_bounds,
    pointer,
)

Schema = Mapping[str, object]

_IGNORED = frozenset({
    "$schema", "$id", "$comment", "$anchor", "$defs", "definitions", "$vocabulary",
    "$dynamicAnchor", "title", "examples", "default", "deprecated", "readOnly",
    "writeOnly", "pattern", "minLength", "maxLength", "multipleOf", "minItems", "maxItems",
    "uniqueItems", "contains", "minContains", "maxContains", "additionalProperties",
    "unevaluatedProperties", "unevaluatedItems", "propertyNames", "minProperties",
    "maxProperties", "contentEncoding", "contentMediaType", "contentSchema", "additionalItems",
})  # fmt: skip
_HANDLED = frozenset({
    "type", "properties", "required", "items", "prefixItems", "enum", "const", "minimum",
    "maximum", "exclusiveMinimum", "exclusiveMaximum", "$ref", "anyOf", "oneOf", "allOf",
    "patternProperties", "format", "description", "nullable", "pii",
})  # fmt: skip
_PII_KEYS = ("x-pii", "x-sensitive", "pii")
_SIMPLE: dict[str, FieldType] = {
    "string": "string",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
    "object": "object",
    "array": "array",
}
_FORMATS: dict[str, FieldType] = {"date-time": "timestamp", "date": "date"}


def json_schema_contract(schema: object, source: str, *, dataset: str | None = None) -> Contract:
    """The Contract described by a JSON Schema of an event object; dataset defaults to the stem.

    >>> c = json_schema_contract({"type": "object", "required": ["id"], "properties": {
    ...     "id": {"type": "string"}, "at": {"type": ["string", "null"], "format": "date-time"}}},
    ...     "orders.json")
    >>> [(f.name, f.type, f.required) for f in c.fields], c.dataset
    ([('id', 'string', True), ('at', 'timestamp', False)], 'orders')
    """
    reader = _Reader(SchemaSource(source), source_root(schema, source))
    root, _, refs = reader.resolve(reader.root, "", ())
    if reader.type_of(root, "")[0] != "object" or not isinstance(root.get("properties"), dict):
        raise reader.source.error(
            "", "the top level is not an object schema with properties",
            "import a schema of the event object (type: object, properties: {...})",
        )  # fmt: skip
    fields: dict[str, ContractField] = {}
    reader.children(root, "", "", True, fields, refs)
    return reader.source.contract(
        "", dataset=dataset or PurePath(source).stem, fields=list(fields.values())
    )


def source_root(schema: object, source: str) -> Schema:
    """The top-level schema as a mapping, or an error naming the file."""
    return SchemaSource(source).mapping(schema, "", "a JSON Schema")


class _Reader:
    def __init__(self, source: SchemaSource, root: Schema) -> None:
        self.source, self.root = source, root

    def resolve(
        self, node: Schema, where: str, refs: tuple[str, ...]
    ) -> tuple[Schema, bool, tuple[str, ...]]:
        """`node` with $ref and allOf resolved, whether anyOf/oneOf allowed null, refs followed."""
        node, refs = self._dereference(node, where, refs)
        if "allOf" in node:
            node = self._merge_all_of(node, where, refs)
        for keyword in ("anyOf", "oneOf"):
            if keyword in node:
                return self._union(node, keyword, where, refs)
        return node, False, refs

    def _dereference(
        self, node: Schema, where: str, refs: tuple[str, ...]
    ) -> tuple[Schema, tuple[str, ...]]:
        ref = node.get("$ref")
        if ref is None:
            return node, refs
        if not isinstance(ref, str) or not ref.startswith(("#/$defs/", "#/definitions/")):
            raise self.source.error(
                pointer(where, "$ref"), f"reference {ref!r} is not local",
                "inline the schema or move it under #/$defs/",
            )  # fmt: skip
        if ref in refs:
            raise self.source.error(
                pointer(where, "$ref"), f"{ref!r} refers to itself (a recursive schema)",
                "suture contracts are finite: cut the recursion, e.g. with type: object",
            )  # fmt: skip
        target: object = self.root
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, Mapping) or part not in target:
                raise self.source.error(
                    pointer(where, "$ref"), f"{ref!r} points at nothing", "fix the reference"
                )
            target = target[part]
        resolved = self.source.mapping(target, ref[1:], "a referenced schema")
        merged = {**resolved, **{k: v for k, v in node.items() if k != "$ref"}}
        return self._dereference(merged, where, (*refs, ref))

    def _merge_all_of(self, node: Schema, where: str, refs: tuple[str, ...]) -> Schema:
        parts = node["allOf"]
        if not isinstance(parts, list):
            raise self.source.error(pointer(where, "allOf"), "allOf is not a list", "fix it")
        merged: dict[str, object] = {k: v for k, v in node.items() if k != "allOf"}
        for index, part in enumerate(parts):
            at = pointer(where, "allOf", index)
            sub, _, _ = self.resolve(self.source.mapping(part, at, "an allOf member"), at, refs)
            for key, value in sub.items():
                if key == "properties" and isinstance(value, dict):
                    before = merged.get("properties")
                    merged["properties"] = {**(before if isinstance(before, dict) else {}), **value}
                elif key == "required" and isinstance(value, list):
                    before = merged.get("required")
                    merged["required"] = [*(before if isinstance(before, list) else []), *value]
                elif key in merged and merged[key] != value:
                    raise self.source.error(
                        at, f"allOf members disagree on {key!r}", "make them agree or merge them"
                    )
                else:
                    merged[key] = value
        return merged

    def _union(
        self, node: Schema, keyword: str, where: str, refs: tuple[str, ...]
    ) -> tuple[Schema, bool, tuple[str, ...]]:
        options = node[keyword]
        if not isinstance(options, list):
            raise self.source.error(pointer(where, keyword), f"{keyword} is not a list", "fix it")
        kept: list[tuple[Schema, str, tuple[str, ...]]] = []
        nullable = False
        for index, option in enumerate(options):
            at = pointer(where, keyword, index)
            member = self.source.mapping(option, at, "a union member")
            sub, followed = self._dereference(member, at, refs)
            if sub.get("type") == "null":
                nullable = True
            else:
                kept.append((sub, at, followed))
        if len(kept) != 1:
            raise self.source.error(
                pointer(where, keyword), f"a union of {len(kept)} non-null schemas",
                "a suture field has one type: keep one schema (plus null) or split the field",
            )  # fmt: skip
        rest = {k: v for k, v in node.items() if k != keyword}
        chosen, at, followed = kept[0]
        sub, inner_null, followed = self.resolve({**chosen, **rest}, at, followed)
        return sub, nullable or inner_null, followed

    def type_of(self, node: Schema, where: str) -> tuple[FieldType, bool]:
        """The suture type of a resolved schema and whether its `type` allows null."""
        declared = node.get("type")
        names = declared if isinstance(declared, list) else [declared]
        nullable = "null" in names or node.get("nullable") is True
        kinds = {n for n in names if n not in (None, "null")}
        if kinds == {"integer", "number"}:
            kinds = {"number"}
        if not kinds and declared is None:
            kinds = {self._implied_type(node, where)}
        if len(kinds) != 1 or not kinds <= _SIMPLE.keys():
            problem = "only null" if not kinds else f"type {declared!r}"
            raise self.source.error(
                pointer(where, "type"), f"{problem} cannot be one suture field",
                "declare one of string, integer, number, boolean, object, array (plus null)",
            )  # fmt: skip
        kind = _SIMPLE[str(kinds.pop())]
        if kind == "string" and node.get("format") in _FORMATS:
            kind = _FORMATS[str(node["format"])]
        return kind, nullable

    def _implied_type(self, node: Schema, where: str) -> str:
        if "properties" in node or "patternProperties" in node:
            return "object"
        if "items" in node or "prefixItems" in node:
            return "array"
        values = node.get("enum", [node["const"]] if "const" in node else None)
        if isinstance(values, list):
            implied = {_value_type(v) for v in values if v is not None}
            implied = {"number"} if implied == {"integer", "number"} else implied
            if len(implied) == 1:
                return implied.pop()
        raise self.source.error(
            where, "the schema declares no type", 'add "type" (string, integer, number, ...)'
        )

    def children(
        self,
        node: Schema,
        prefix: str,
        where: str,
        required: bool,
        fields: dict[str, ContractField],
        refs: tuple[str, ...],
    ) -> None:
        """Add a field for every property of an object schema (recursively)."""
        properties = self.source.mapping(node.get("properties", {}), where, "properties")
        if properties and "patternProperties" in node:
            raise self.source.error(
                pointer(where, "patternProperties"), "fields named by pattern beside named ones",
                "list every field under properties, or drop patternProperties",
            )  # fmt: skip
        needed = node.get("required", [])
        if not isinstance(needed, list):
            raise self.source.error(pointer(where, "required"), "required is not a list", "fix it")
        for key, child in properties.items():
            at = pointer(where, "properties", key)
            name = prefix + self.source.field_name(key, at)
            schema = self.source.mapping(child, at, "a property schema")
            self.field(schema, name, at, required and key in needed, fields, refs)

    def field(
        self,
        node: Schema,
        name: str,
        where: str,
        required: bool,
        fields: dict[str, ContractField],
        refs: tuple[str, ...],
    ) -> None:
        """Add the field `name` described by `node` (and its nested fields)."""
        node, union_null, refs = self.resolve(node, where, refs)
        unknown = [k for k in node if k not in _IGNORED | _HANDLED and not k.startswith("x-")]
        if unknown:
            raise self.source.error(
                pointer(where, unknown[0]), f"keyword {unknown[0]!r} is not supported",
                "remove it, or prefix it with x- to keep it as an annotation",
            )  # fmt: skip
        kind, type_null = self.type_of(node, where)
        required = required and not (union_null or type_null or _enum_allows_null(node))
        low, high, bound_note = (
            numeric_bounds(node, integer=kind == "integer")
            if kind in ("integer", "number")
            else (None,) * 3
        )
        description = join_notes(
            _text(node.get("description")) or _text(node.get("title")),
            bound_note,
            self._items_note(node, where, refs) if kind == "array" else None,
        )
        enum = self._enum(node, where)
        unit = node.get("x-unit")
        field = ContractField(
            name=name,
            type=kind,
            required=required,
            description=description,
            unit=unit if isinstance(unit, str) else None,
            min=low,
            max=high,
            enum=enum,
            pii=any(node.get(k) is True for k in _PII_KEYS),
        )
        add_field(self.source, fields, field, where)
        if kind == "object":
            self.children(node, name + ".", where, required, fields, refs)

    def _enum(self, node: Schema, where: str) -> list[Scalar] | None:
        if "const" in node:
            return self.source.scalars([node["const"]], pointer(where, "const")) or None
        if "enum" in node:
            return self.source.scalars(node["enum"], pointer(where, "enum")) or None
        return None

    def _items_note(self, node: Schema, where: str, refs: tuple[str, ...]) -> str:
        if "prefixItems" in node:
            return "items: a fixed-length tuple"
        items = node.get("items")
        if not isinstance(items, Mapping):
            return "items: any values"
        at = pointer(where, "items")
        sub, _, _ = self.resolve(items, at, refs)
        kind, _ = self.type_of(sub, at)
        if kind == "object" and isinstance(sub.get("properties"), Mapping):
            return "items: objects with fields " + ", ".join(sub["properties"])  # type: ignore[arg-type]
        return f"items: {kind} values"


def _enum_allows_null(node: Schema) -> bool:
    values = node.get("enum")
    return isinstance(values, list) and None in values


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _value_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return "number" if isinstance(value, float) else "string"
