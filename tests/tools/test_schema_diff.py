"""schema_diff and the Protobuf contract format: suture's own verdict on a new schema version."""

from __future__ import annotations

from google.protobuf import descriptor_pb2

from core.contracts import Contract
from core.models import DeclaredRename
from tools.contracts.formats.protobuf import protobuf_contract, protobuf_field_numbers
from tools.contracts.schema_diff import (
    avro_declared_renames,
    diff_contracts,
    protobuf_declared_renames,
)

F = descriptor_pb2.FieldDescriptorProto


def _contract(*fields: tuple[str, str, bool]) -> Contract:
    return Contract.model_validate(
        {"dataset": "t", "fields": [{"name": n, "type": t, "required": r} for n, t, r in fields]}
    )


def test_type_changes_and_new_required_fields_break_readers() -> None:
    old = _contract(("id", "string", True), ("amount", "integer", True))
    new = _contract(("id", "string", True), ("amount", "number", True), ("region", "string", True))
    diff = diff_contracts(old, new)
    assert [(d.kind, d.field, d.to) for d in diff.detections] == [
        ("type_change", "amount", "number"),
        ("add", "region", None),
    ]
    assert diff.verdict == "breaking" and len(diff.reasons) == 2


def test_looser_requirements_and_optional_additions_are_compatible() -> None:
    old = _contract(("id", "string", True), ("note", "string", True))
    new = _contract(("id", "string", True), ("note", "string", False), ("tag", "string", False))
    diff = diff_contracts(old, new)
    assert diff.verdict == "compatible" and diff.reasons == ()
    assert [(d.kind, d.field) for d in diff.detections] == [("nullability", "note"), ("add", "tag")]


def test_a_declared_rename_with_a_type_change_reports_both() -> None:
    old = _contract(("cents", "integer", True))
    new = _contract(("amount", "number", True))
    renames = [DeclaredRename(old="cents", new="amount", declared_by="protobuf_field_number")]
    diff = diff_contracts(old, new, renames)
    assert [(d.kind, d.field, d.to) for d in diff.detections] == [
        ("rename", "cents", "amount"),
        ("type_change", "amount", "number"),
    ]


def test_an_alias_of_a_field_still_present_is_no_rename() -> None:
    old = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}
    new = {
        "type": "record",
        "name": "R",
        "fields": [{"name": "a", "type": "int"}, {"name": "b", "type": "int", "aliases": ["a"]}],
    }
    assert avro_declared_renames(old, new) == []


def test_a_reused_number_with_the_old_name_kept_is_no_rename() -> None:
    assert protobuf_declared_renames({"a": 1, "b": 2}, {"a": 1, "b": 2, "c": 3}) == []


def test_protobuf_nested_messages_repeated_and_optional_fields() -> None:
    file = descriptor_pb2.FileDescriptorProto(name="o.proto", package="shop", syntax="proto3")
    address = file.message_type.add(name="Address")
    address.field.add(name="city", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    order = file.message_type.add(name="Order")
    order.field.add(name="id", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    order.field.add(name="tags", number=2, type=F.TYPE_STRING, label=F.LABEL_REPEATED)
    order.field.add(
        name="ship_to",
        number=3,
        type=F.TYPE_MESSAGE,
        type_name=".shop.Address",
        label=F.LABEL_OPTIONAL,
    )
    order.field.add(
        name="coupon", number=4, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL, proto3_optional=True
    )
    contract = protobuf_contract(file, "orders-value", dataset="orders", message="Order")
    assert [(f.name, f.type, f.required) for f in contract.fields] == [
        ("id", "string", True),
        ("tags", "array", False),
        ("ship_to", "object", False),
        ("ship_to.city", "string", False),
        ("coupon", "string", False),
    ]
    assert protobuf_field_numbers(file, "shop.Order") == {
        "id": 1,
        "tags": 2,
        "ship_to": 3,
        "coupon": 4,
    }


def test_a_declared_rename_decides_what_the_values_leave_open() -> None:
    """Two new integer fields carry the old values equally well; only the schema says which
    one is the renamed field, and the healer's mapping follows it."""
    from core.models import Detection
    from tools.healing.mapping import infer_mapping

    before = [{"order_id": f"o{n}", "cust_id": n % 5} for n in range(20)]
    after = [{"order_id": f"o{n}", "customer_id": n % 5, "store_id": n % 5} for n in range(20)]
    old = _contract(("order_id", "string", True), ("cust_id", "integer", True))
    new = _contract(
        ("order_id", "string", True),
        ("customer_id", "integer", True),
        ("store_id", "integer", True),
    )
    undeclared = [
        Detection(kind="remove", field="cust_id"),
        Detection(kind="add", field="customer_id"),
        Detection(kind="add", field="store_id"),
    ]
    guessed = infer_mapping(undeclared, old, {"cust_id"}, before, after)
    assert guessed.ambiguous == {"cust_id": ["customer_id", "store_id"]}  # the data cannot tell

    renames = [DeclaredRename(old="cust_id", new="customer_id", declared_by="avro_alias")]
    declared = diff_contracts(old, new, renames).detections
    decided = infer_mapping(declared, old, {"cust_id"}, before, after)
    assert decided.mapping.as_dict() == {"cust_id": "customer_id"}
