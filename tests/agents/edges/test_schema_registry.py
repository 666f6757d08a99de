"""RegistryDecoder: messages written by Confluent's own serializers (Avro, Protobuf, JSON Schema)
decode into the JSON events the monitors read; unreadable ones say why; two schema ids compare
into a SchemaChange with declared renames and both verdicts."""

from __future__ import annotations

import datetime
import struct

import orjson
import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient

from agents.edges.schema_registry import RegistryDecoder, open_registry, subject_for
from core.config import RegistrySettings
from core.models import DeclaredRename
from tests.fixtures.registry import Field, avro_writer, json_writer, proto_class, proto_writer

ORDER_V1 = {
    "type": "record",
    "name": "Order",
    "namespace": "shop",
    "fields": [
        {"name": "order_id", "type": "string"},
        {"name": "cust_id", "type": "long"},
        {
            "name": "amount",
            "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2},
        },
        {"name": "placed_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "note", "type": ["null", "string"], "default": None},
    ],
}
ORDER_V2 = {
    **ORDER_V1,
    "fields": [
        ORDER_V1["fields"][0],  # type: ignore[index]
        {"name": "customer_id", "type": "long", "aliases": ["cust_id"]},
        *ORDER_V1["fields"][2:],  # type: ignore[index]
    ],
}
USER_V1 = {
    "type": "object",
    "properties": {"user_id": {"type": "integer"}, "email": {"type": "string"}},
    "required": ["user_id"],
}
USER_V2 = {
    "type": "object",
    "properties": {**USER_V1["properties"], "plan": {"type": "string"}},  # type: ignore[dict-item]
    "required": ["user_id"],
}
PLACED = datetime.datetime(2026, 3, 1, 12, 30, tzinfo=datetime.UTC)


def _payment(amount_field: str = "cents") -> type:
    return proto_class(
        "shop",
        "Payment",
        [
            ("id", 1, Field.TYPE_INT64, ""),
            (amount_field, 2, Field.TYPE_INT32, ""),
            ("status", 3, Field.TYPE_ENUM, ".shop.Status"),
            ("paid_at", 4, Field.TYPE_MESSAGE, ".google.protobuf.Timestamp"),
        ],
    )


def _event(decoder: RegistryDecoder, topic: str, value: bytes) -> tuple[dict[str, object], int]:
    result = decoder.decode_one(topic, value)
    assert result.error is None and result.value is not None and result.schema_id is not None
    return orjson.loads(result.value), result.schema_id


def test_decodes_avro_written_by_confluents_serializer(registry: SchemaRegistryClient) -> None:
    import decimal

    write = avro_writer(registry, "orders", ORDER_V1)
    value = write(
        {
            "order_id": "o-1",
            "cust_id": 7,
            "amount": decimal.Decimal("12.50"),
            "placed_at": PLACED,
            "note": None,
        }
    )
    assert value[0] == 0  # the wire format: magic byte, then the schema id
    event, schema_id = _event(RegistryDecoder(registry), "orders", value)
    assert event == {
        "order_id": "o-1",
        "cust_id": 7,
        "amount": 12.5,
        "placed_at": "2026-03-01T12:30:00+00:00",
        "note": None,
    }
    assert schema_id == struct.unpack(">I", value[1:5])[0]


def test_decodes_protobuf_by_the_writers_schema(registry: SchemaRegistryClient) -> None:
    write = proto_writer(registry, "payments", _payment())
    value = write({"id": 2**40, "cents": 1999, "status": 1, "paid_at": PLACED})
    event, _ = _event(RegistryDecoder(registry), "payments", value)
    assert event == {
        "id": 2**40,  # an int64 stays a number (protobuf's JSON mapping would make it a string)
        "cents": 1999,
        "status": "PAID",
        "paid_at": "2026-03-01T12:30:00Z",
    }
    unpaid, _ = _event(RegistryDecoder(registry), "payments", write({"id": 1}))
    assert unpaid == {"id": 1, "cents": 0, "status": "NEW", "paid_at": None}


def test_decodes_json_schema_messages(registry: SchemaRegistryClient) -> None:
    write = json_writer(registry, "users", USER_V1)
    event, _ = _event(RegistryDecoder(registry), "users", write({"user_id": 3, "email": "a@b"}))
    assert event == {"user_id": 3, "email": "a@b"}


def test_plain_json_passes_unless_the_topic_must_be_framed(
    registry: SchemaRegistryClient,
) -> None:
    plain = b'{"user_id": 1}'
    assert RegistryDecoder(registry).decode_one("users", plain).value == plain
    strict = RegistryDecoder(registry, framed_topics=["users"]).decode_one("users", plain)
    assert strict.value is None
    assert strict.error is not None
    assert "not in the Schema Registry wire format" in strict.error
    assert "starts with 0x7b" in strict.error and "registry.topics" in strict.error


def test_an_unknown_schema_id_is_named(registry: SchemaRegistryClient) -> None:
    result = RegistryDecoder(registry).decode_one(
        "orders", b"\x00" + struct.pack(">I", 4242) + b"x"
    )
    assert result.value is None and result.error is not None
    assert "schema 4242 is unknown to the registry" in result.error


def test_a_corrupt_payload_names_its_schema(registry: SchemaRegistryClient) -> None:
    write = avro_writer(registry, "orders", ORDER_V1)
    import decimal

    good = write(
        {
            "order_id": "o",
            "cust_id": 1,
            "amount": decimal.Decimal("1.00"),
            "placed_at": PLACED,
            "note": "x",
        }
    )
    result = RegistryDecoder(registry).decode_one("orders", good[:7])
    assert result.value is None and result.error is not None
    assert "a AVRO message of schema" in result.error and "cannot be decoded" in result.error


async def test_an_avro_alias_is_a_declared_rename(registry: SchemaRegistryClient) -> None:
    import decimal

    base = {"order_id": "o", "amount": decimal.Decimal("1.00"), "placed_at": PLACED, "note": None}
    old = avro_writer(registry, "orders", ORDER_V1)({**base, "cust_id": 1})
    new = avro_writer(registry, "orders", ORDER_V2)({**base, "customer_id": 1})
    decoder = RegistryDecoder(registry)
    (_, old_id), (_, new_id) = _event(decoder, "orders", old), _event(decoder, "orders", new)
    report = await decoder.schema_change("orders", old_id, new_id)
    change = report.change
    assert change.subject == subject_for("orders") == "orders-value"
    assert (change.old_version, change.new_version, change.schema_type) == (1, 2, "AVRO")
    assert change.declared_renames == [
        DeclaredRename(old="cust_id", new="customer_id", declared_by="avro_alias")
    ]
    assert change.verdict == "breaking"  # Avro readers resolve aliases; SQL does not
    assert change.registry_verdict == "unknown"  # mock:// has no compatibility endpoint
    assert "could not be asked" in change.registry_detail
    assert [(d.kind, d.field, d.to) for d in report.detections] == [
        ("rename", "cust_id", "customer_id")
    ]


async def test_a_protobuf_field_keeping_its_number_is_a_declared_rename(
    registry: SchemaRegistryClient,
) -> None:
    old = proto_writer(registry, "payments", _payment("cents"))({"id": 1, "cents": 5})
    new = proto_writer(registry, "payments", _payment("amount_cents"))({"id": 1, "amount_cents": 5})
    decoder = RegistryDecoder(registry)
    (_, old_id), (_, new_id) = _event(decoder, "payments", old), _event(decoder, "payments", new)
    change = (await decoder.schema_change("payments", old_id, new_id)).change
    assert [(r.old, r.new, r.declared_by) for r in change.declared_renames] == [
        ("cents", "amount_cents", "protobuf_field_number")
    ]


async def test_a_new_optional_json_field_is_compatible(registry: SchemaRegistryClient) -> None:
    old = json_writer(registry, "users", USER_V1)({"user_id": 1})
    new = json_writer(registry, "users", USER_V2)({"user_id": 1, "plan": "pro"})
    decoder = RegistryDecoder(registry)
    (_, old_id), (_, new_id) = _event(decoder, "users", old), _event(decoder, "users", new)
    report = await decoder.schema_change("users", old_id, new_id)
    assert report.change.verdict == "compatible" and report.change.declared_renames == []
    assert [(d.kind, d.field) for d in report.detections] == [("add", "plan")]


def test_contracts_come_from_registered_schemas(registry: SchemaRegistryClient) -> None:
    proto_writer(registry, "payments", _payment())({"id": 1})
    decoder = RegistryDecoder(registry)
    contract = decoder.contract_of(registry.get_schema(1, fmt="serialized"), "payments")
    assert [(f.name, f.type, f.required, f.enum) for f in contract.fields] == [
        ("id", "integer", True, None),
        ("cents", "integer", True, None),
        ("status", "string", True, ["NEW", "PAID"]),
        ("paid_at", "timestamp", False, None),
    ]


def test_no_registry_url_means_no_client() -> None:
    assert open_registry(RegistrySettings()) is None
    client = open_registry(RegistrySettings(url="mock://settings", basic_auth="u:p"))  # type: ignore[arg-type]
    assert client is not None


@pytest.mark.parametrize("value", [b"", b"\x00\x00", b"\x02abcdef"])
def test_short_or_other_magic_values_are_plain_or_refused(
    registry: SchemaRegistryClient, value: bytes
) -> None:
    strict = RegistryDecoder(registry, framed_topics=["t"]).decode_one("t", value)
    assert strict.value is None and strict.error is not None
    assert "not in the Schema Registry wire format" in strict.error
