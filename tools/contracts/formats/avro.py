"""avro_contract: an Avro record schema (.avsc) as a suture Contract.

How constructs map (anything else raises a ContractError naming the JSON pointer):

- Each record field becomes a field; a nested record becomes a field of type `object` plus one
  dotted field per member (`address.city`). Avro fields are always present, so a field is
  required unless it is a union with null (`["null", T]`) or sits under an optional record.
- boolean -> boolean, int/long -> integer, float/double -> number, string -> string,
  bytes/fixed -> string (noted in the description). Other unions are refused.
- Logical types: timestamp-millis/micros/nanos and local-timestamp-* -> timestamp, date ->
  date; on the wire these are epoch numbers (milliseconds, days, ...), which the description
  says. decimal -> number, uuid -> string, time-* -> integer (noted). As the Avro
  specification asks, an unknown logical type falls back to its underlying type (noted).
- enum -> string with the symbols as enum; array -> array and map -> object, with what they
  hold written into the description (suture contracts do not address items or map values).
- `doc` -> description; a field attribute `pii: true` (or `x-pii`) -> pii. Named types
  declared earlier in the schema may be referenced by name; recursive records are refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePath

from core.contracts import Contract, ContractField, FieldType, Scalar
from tools.contracts.formats.source import SchemaSource, add_field, join_notes, pointer

_PRIMITIVES: dict[str, tuple[FieldType, str | None]] = {
    "boolean": ("boolean", None),
    "int": ("integer", None),
    "long": ("integer", None),
    "float": ("number", None),
    "double": ("number", None),
    "string": ("string", None),
    "bytes": ("string", "Avro bytes"),
}
_LOGICAL: dict[str, tuple[FieldType, str]] = {
    "timestamp-millis": ("timestamp", "epoch milliseconds (Avro timestamp-millis)"),
    "timestamp-micros": ("timestamp", "epoch microseconds (Avro timestamp-micros)"),
    "timestamp-nanos": ("timestamp", "epoch nanoseconds (Avro timestamp-nanos)"),
    "local-timestamp-millis": ("timestamp", "local epoch milliseconds, no time zone"),
    "local-timestamp-micros": ("timestamp", "local epoch microseconds, no time zone"),
    "local-timestamp-nanos": ("timestamp", "local epoch nanoseconds, no time zone"),
    "date": ("date", "days since 1970-01-01 (Avro date)"),
    "decimal": ("number", "Avro decimal"),
    "uuid": ("string", "a UUID"),
    "time-millis": ("integer", "milliseconds after midnight (Avro time-millis)"),
    "time-micros": ("integer", "microseconds after midnight (Avro time-micros)"),
}
_PII_KEYS = ("pii", "x-pii")


@dataclass
class _Reader:
    source: SchemaSource
    named: dict[str, Mapping[str, object]] = field(default_factory=dict)
    fields: dict[str, ContractField] = field(default_factory=dict)


def avro_contract(schema: object, source: str, *, dataset: str | None = None) -> Contract:
    """The Contract of an Avro record schema; dataset defaults to the file's stem.

    >>> c = avro_contract({"type": "record", "name": "Order", "fields": [
    ...     {"name": "id", "type": "string"}, {"name": "note", "type": ["null", "string"]}]},
    ...     "orders.avsc")
    >>> [(f.name, f.type, f.required) for f in c.fields], c.dataset
    ([('id', 'string', True), ('note', 'string', False)], 'orders')
    """
    reader = _Reader(SchemaSource(source))
    root = reader.source.mapping(schema, "", "an Avro schema")
    if root.get("type") != "record":
        raise reader.source.error(
            "/type",
            f"the top-level schema is {root.get('type')!r}, not a record",
            "import the record schema of the topic's events",
        )
    _register(reader, root, "", None)
    _record_fields(reader, root, "", "", True, ())
    return reader.source.contract(
        "", dataset=dataset or PurePath(source).stem, fields=list(reader.fields.values())
    )


def _register(
    reader: _Reader, node: Mapping[str, object], where: str, namespace: str | None
) -> str:
    """Remember a named type under its full and short names; return the full name."""
    name = node.get("name")
    if not isinstance(name, str) or not name:
        raise reader.source.error(pointer(where, "name"), "a named type has no name", "name it")
    space = node.get("namespace", namespace)
    full = name if "." in name or not space else f"{space}.{name}"
    reader.named[full] = node
    reader.named.setdefault(full.rsplit(".", 1)[-1], node)
    return full


def _record_fields(
    reader: _Reader,
    record: Mapping[str, object],
    prefix: str,
    where: str,
    required: bool,
    records: tuple[str, ...],
) -> None:
    members = record.get("fields")
    if not isinstance(members, list):
        raise reader.source.error(pointer(where, "fields"), "a record without a fields list", "add")
    namespace = str(record.get("namespace") or "") or None
    full = _register(reader, record, where, namespace)
    if full in records:
        raise reader.source.error(
            where,
            f"record {full!r} contains itself (a recursive schema)",
            "suture contracts are finite: cut the recursion",
        )
    for index, member in enumerate(members):
        at = pointer(where, "fields", index)
        spec = reader.source.mapping(member, at, "a record field")
        name = prefix + reader.source.field_name(spec.get("name"), pointer(at, "name"))
        if "type" not in spec:
            raise reader.source.error(at, f"field {name!r} has no type", "add its Avro type")
        doc = _text(spec.get("doc"))
        pii = any(spec.get(k) is True for k in _PII_KEYS)
        _add(reader, spec["type"], name, pointer(at, "type"), required, doc, pii, namespace, (
            *records, full))  # fmt: skip


def _add(
    reader: _Reader,
    avro_type: object,
    name: str,
    where: str,
    required: bool,
    doc: str | None,
    pii: bool,
    namespace: str | None,
    records: tuple[str, ...],
) -> None:
    avro_type, nullable, where = _strip_null(reader, avro_type, where)
    required = required and not nullable
    node = _named_or_inline(reader, avro_type, where)
    kind, note, enum = _kind(reader, node, where, namespace)
    container = node.get("type") in ("array", "map")
    item_note = _contents_note(reader, node, where, namespace) if container else None
    description = join_notes(doc, _text(node.get("doc")) if doc is None else None, note, item_note)
    field = ContractField(
        name=name, type=kind, required=required, description=description, enum=enum, pii=pii
    )
    add_field(reader.source, reader.fields, field, where)
    if node.get("type") == "record":
        _record_fields(reader, node, name + ".", where, required, records)


def _strip_null(reader: _Reader, avro_type: object, where: str) -> tuple[object, bool, str]:
    if not isinstance(avro_type, list):
        return avro_type, False, where
    kept = [(i, t) for i, t in enumerate(avro_type) if t != "null"]
    if len(kept) != 1:
        raise reader.source.error(
            where,
            f"a union of {len(kept)} non-null types",
            'a suture field has one type: use ["null", T] or split the field',
        )
    index, only = kept[0]
    return only, len(avro_type) > 1, pointer(where, index)


def _named_or_inline(reader: _Reader, avro_type: object, where: str) -> Mapping[str, object]:
    if isinstance(avro_type, str):
        if avro_type in _PRIMITIVES or avro_type == "null":
            return {"type": avro_type}
        if avro_type in reader.named:
            return reader.named[avro_type]
        raise reader.source.error(
            where, f"unknown type {avro_type!r}", "declare the named type before its first use"
        )
    return reader.source.mapping(avro_type, where, "an Avro type")


def _kind(
    reader: _Reader, node: Mapping[str, object], where: str, namespace: str | None
) -> tuple[FieldType, str | None, list[Scalar] | None]:
    """The suture type of an Avro type, a note for the description, and enum symbols."""
    base = node.get("type")
    logical = node.get("logicalType")
    if isinstance(logical, str):
        if logical in _LOGICAL:
            return _LOGICAL[logical][0], _LOGICAL[logical][1], None
        underlying, _, _ = _kind(reader, {"type": base}, where, namespace)
        return underlying, f"Avro logical type {logical!r}, read as its {base} values", None
    if isinstance(base, dict | list):
        return _kind(reader, _named_or_inline(reader, base, where), where, namespace)
    if base in _PRIMITIVES:
        return _PRIMITIVES[str(base)][0], _PRIMITIVES[str(base)][1], None
    if base == "null":
        raise reader.source.error(where, "a field that is always null", "remove it or type it")
    if base == "enum":
        _register(reader, node, where, namespace)
        return "string", None, reader.source.scalars(node.get("symbols"), pointer(where, "symbols"))
    if base == "fixed":
        _register(reader, node, where, namespace)
        return "string", f"Avro fixed, {node.get('size')} bytes", None
    if base in ("record", "map"):
        return "object", None, None
    if base == "array":
        return "array", None, None
    if isinstance(base, str) and base in reader.named:
        return _kind(reader, reader.named[base], where, namespace)
    raise reader.source.error(pointer(where, "type"), f"unknown Avro type {base!r}", "fix it")


def _contents_note(
    reader: _Reader, node: Mapping[str, object], where: str, namespace: str | None
) -> str:
    """What an array's items or a map's values hold, for the description."""
    key = "items" if node.get("type") == "array" else "values"
    inner, nullable, at = _strip_null(reader, node.get(key), pointer(where, key))
    inner_node = _named_or_inline(reader, inner, at)
    if inner_node.get("type") == "record":
        _register(reader, inner_node, at, namespace)
        members = inner_node.get("fields")
        names = [str(m.get("name")) for m in members if isinstance(m, Mapping)] if isinstance(
            members, list) else []  # fmt: skip
        what = "records with fields " + ", ".join(names)
    else:
        what = f"{_kind(reader, inner_node, at, namespace)[0]} values"
    what += " or null" if nullable else ""
    return f"{'items' if key == 'items' else 'map of string keys to'}: {what}"


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
