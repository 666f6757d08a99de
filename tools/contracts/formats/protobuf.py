"""protobuf_contract: a Protobuf message (from a FileDescriptorProto) as a suture Contract.

How constructs map: each field of the message becomes a field; a nested message becomes a
field of type `object` plus one dotted field per member; `google.protobuf.Timestamp` is a
timestamp (decoded as ISO text). Integers (all widths) -> integer, float/double -> number,
bool -> boolean, string -> string, bytes -> string (base64 on decoding), enum -> string with
the value names as enum, repeated -> array, map -> object. A proto3 scalar is always present
(its default when unset), so it is required unless declared `optional`; message fields may be
unset, so they are not. `protobuf_field_numbers` gives each field's number: a field keeping its
number under a new name is a declared rename.
"""

from __future__ import annotations

from google.protobuf import descriptor_pb2

from core.contracts import Contract, ContractField, FieldType
from tools.contracts.formats.source import SchemaSource, add_field

_Field = descriptor_pb2.FieldDescriptorProto
_SCALARS: dict[int, FieldType] = {
    _Field.TYPE_DOUBLE: "number",
    _Field.TYPE_FLOAT: "number",
    _Field.TYPE_INT64: "integer",
    _Field.TYPE_UINT64: "integer",
    _Field.TYPE_INT32: "integer",
    _Field.TYPE_FIXED64: "integer",
    _Field.TYPE_FIXED32: "integer",
    _Field.TYPE_BOOL: "boolean",
    _Field.TYPE_STRING: "string",
    _Field.TYPE_BYTES: "string",
    _Field.TYPE_UINT32: "integer",
    _Field.TYPE_SFIXED32: "integer",
    _Field.TYPE_SFIXED64: "integer",
    _Field.TYPE_SINT32: "integer",
    _Field.TYPE_SINT64: "integer",
}
_TIMESTAMP = ".google.protobuf.Timestamp"


class _Index:
    """The messages and enums of one file, by their fully qualified names (`.pkg.Name`)."""

    def __init__(self, file: descriptor_pb2.FileDescriptorProto) -> None:
        self.messages: dict[str, descriptor_pb2.DescriptorProto] = {}
        self.enums: dict[str, descriptor_pb2.EnumDescriptorProto] = {}
        prefix = f".{file.package}" if file.package else ""
        for enum in file.enum_type:
            self.enums[f"{prefix}.{enum.name}"] = enum
        for message in file.message_type:
            self._add(prefix, message)

    def _add(self, prefix: str, message: descriptor_pb2.DescriptorProto) -> None:
        name = f"{prefix}.{message.name}"
        self.messages[name] = message
        for enum in message.enum_type:
            self.enums[f"{name}.{enum.name}"] = enum
        for nested in message.nested_type:
            self._add(name, nested)


def _root(
    file: descriptor_pb2.FileDescriptorProto, source: SchemaSource, message: str | None
) -> descriptor_pb2.DescriptorProto:
    if not file.message_type:
        raise source.error("", "the Protobuf file declares no message", "register a message type")
    if message is None:
        return file.message_type[0]
    for candidate in file.message_type:
        if message in (candidate.name, f"{file.package}.{candidate.name}"):
            return candidate
    names = [m.name for m in file.message_type]
    raise source.error("", f"no top-level message {message!r}", f"pick one of {names}")


def protobuf_contract(
    file: descriptor_pb2.FileDescriptorProto,
    source: str,
    *,
    dataset: str,
    message: str | None = None,
) -> Contract:
    """The Contract of `message` (default: the file's first message) in `file`.

    >>> f = descriptor_pb2.FileDescriptorProto(name="p.proto", package="shop", syntax="proto3")
    >>> m = f.message_type.add(name="Payment")
    >>> _ = m.field.add(name="id", number=1, type=_Field.TYPE_INT64, label=_Field.LABEL_OPTIONAL)
    >>> c = protobuf_contract(f, "payments-value", dataset="payments")
    >>> [(x.name, x.type, x.required) for x in c.fields]
    [('id', 'integer', True)]
    """
    reader = SchemaSource(source)
    index = _Index(file)
    fields: dict[str, ContractField] = {}
    _members(reader, index, _root(file, reader, message), "", True, fields, ())
    return reader.contract("", dataset=dataset, fields=list(fields.values()))


def protobuf_field_numbers(
    file: descriptor_pb2.FileDescriptorProto, message: str | None = None
) -> dict[str, int]:
    """The field number of every top-level field of `message`, by name."""
    root = _root(file, SchemaSource(file.name or "protobuf"), message)
    return {f.name: f.number for f in root.field}


def _members(
    reader: SchemaSource,
    index: _Index,
    message: descriptor_pb2.DescriptorProto,
    prefix: str,
    required: bool,
    fields: dict[str, ContractField],
    seen: tuple[str, ...],
) -> None:
    if message.name in seen:
        raise reader.error(
            prefix or "/", f"message {message.name!r} contains itself", "cut the recursion"
        )
    maps = {n.name for n in message.nested_type if n.options.map_entry}
    for member in message.field:
        name = prefix + reader.field_name(member.name, f"/{prefix}{member.name}")
        repeated = member.label == _Field.LABEL_REPEATED
        kind, enum, nested = _kind(index, member, maps)
        if repeated:
            kind, enum, nested = ("object" if kind == "map" else "array"), None, None
        optional = member.proto3_optional or nested is not None or kind == "timestamp"
        present = required and not optional and not repeated
        field = ContractField(name=name, type=kind, required=present, enum=enum)
        add_field(reader, fields, field, f"/{name}")
        if nested is not None:
            _members(reader, index, nested, name + ".", present, fields, (*seen, message.name))


def _kind(
    index: _Index, member: descriptor_pb2.FieldDescriptorProto, maps: set[str]
) -> tuple[str, list[str | int | float | bool] | None, descriptor_pb2.DescriptorProto | None]:
    if member.type in _SCALARS:
        return _SCALARS[member.type], None, None
    if member.type == _Field.TYPE_ENUM:
        enum = index.enums.get(member.type_name)
        return "string", None if enum is None else [v.name for v in enum.value], None
    if member.type_name == _TIMESTAMP:
        return "timestamp", None, None
    if member.type_name.rsplit(".", 1)[-1] in maps:
        return "map", None, None
    return "object", None, index.messages.get(member.type_name)
