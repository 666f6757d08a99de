"""registry_values: what Confluent's deserializers return becomes plain JSON."""

from __future__ import annotations

import datetime
import decimal
import uuid

import orjson
import pytest
from google.protobuf import struct_pb2

from agents.edges.registry_values import json_default, message_dict


def test_avro_logical_values_become_json() -> None:
    event = {
        "raw": b"\x01\x02",
        "price": decimal.Decimal("9.95"),
        "id": uuid.UUID(int=1),
        "day": datetime.date(2026, 3, 1),
        "at": datetime.time(12, 30),
    }
    assert orjson.loads(orjson.dumps(event, default=json_default)) == {
        "raw": "AQI=",
        "price": 9.95,
        "id": "00000000-0000-0000-0000-000000000001",
        "day": "2026-03-01",
        "at": "12:30:00",
    }
    with pytest.raises(TypeError, match="set is not JSON-serialisable"):
        json_default({1})


def test_protobuf_maps_and_repeated_fields_become_objects_and_lists() -> None:
    message = struct_pb2.Struct()
    message.update({"tags": ["a", "b"], "n": 2})
    found = message_dict(message)
    assert set(found) == {"fields"}
    fields = found["fields"]
    assert isinstance(fields, dict) and set(fields) == {"tags", "n"}
    assert fields["n"]["number_value"] == 2  # type: ignore[index]
    listed = fields["tags"]["list_value"]["values"]  # type: ignore[index]
    assert [v["string_value"] for v in listed] == ["a", "b"]
