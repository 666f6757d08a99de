"""Done-when of issue 14: Avro-, Protobuf- and JSON-Schema-framed messages, written by
Confluent's serializers, go through the real broker into the drift monitor, which raises a
drift alert carrying the schema change when a new schema version appears."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient

from agents import drift_monitor
from agents.edges import kafka_client
from agents.edges.broker import EmbeddedBroker, ensure_topics
from agents.edges.kafka import Destinations, KafkaBus, consume_batches, make_consumer
from agents.edges.schema_registry import RegistryDecoder
from agents.edges.store import open_store
from core.config import KafkaSettings
from core.contracts import Contract
from core.models import AlertRaised, DeadLetter
from tests.fixtures.kafka import read_topic
from tests.fixtures.registry import Field, avro_writer, json_writer, proto_class, proto_writer
from tools.monitoring.dataset_monitor import DatasetMonitor

pytestmark = [pytest.mark.kafka, pytest.mark.integration]
Writer = Callable[[dict[str, Any]], bytes]

AVRO_V1 = {
    "type": "record",
    "name": "Order",
    "fields": [
        {"name": "order_id", "type": "string"},
        {"name": "cust_id", "type": "long"},
        {"name": "amount", "type": "double"},
    ],
}
AVRO_V2 = {
    "type": "record",
    "name": "Order",
    "fields": [
        {"name": "order_id", "type": "string"},
        {"name": "customer_id", "type": "long", "aliases": ["cust_id"]},
        {"name": "amount", "type": "double"},
    ],
}
JSON_V1 = {
    "type": "object",
    "properties": {
        "order_id": {"type": "string"},
        "cust_id": {"type": "integer"},
        "amount": {"type": "number"},
    },
    "required": ["order_id", "cust_id", "amount"],
}
JSON_V2 = {
    "type": "object",
    "properties": {
        "order_id": {"type": "string"},
        "amount": {"type": "number"},
        "channel": {"type": "string"},
    },
    "required": ["order_id", "amount", "channel"],
}


def _order(kind: str) -> type:
    return proto_class(
        "shop",
        "Order",
        [
            ("order_id", 1, Field.TYPE_STRING, ""),
            (kind, 2, Field.TYPE_INT64, ""),
            ("amount", 3, Field.TYPE_DOUBLE, ""),
        ],
    )


CONTRACT = {
    "dataset": "orders",
    "key": "order_id",
    "fields": [
        {"name": "order_id", "type": "string", "required": True},
        {"name": "cust_id", "type": "integer", "required": True},
        {"name": "amount", "type": "number", "required": True},
    ],
}


def _writers(kind: str, registry: SchemaRegistryClient, topic: str) -> tuple[Writer, Writer]:
    if kind == "avro":
        return avro_writer(registry, topic, AVRO_V1), avro_writer(registry, topic, AVRO_V2)
    if kind == "json":
        return json_writer(registry, topic, JSON_V1), json_writer(registry, topic, JSON_V2)
    return (
        proto_writer(registry, topic, _order("cust_id")),
        proto_writer(registry, topic, _order("customer_id")),
    )


def _v2(kind: str, n: int) -> dict[str, Any]:
    if kind == "json":
        return {"order_id": f"o-{n}", "amount": 10.0 + n, "channel": "web"}
    return {"order_id": f"o-{n}", "customer_id": 100 + n % 7, "amount": 10.0 + n}


@pytest.mark.parametrize("kind", ["avro", "protobuf", "json"])
async def test_a_new_schema_version_raises_a_drift_alert_with_the_schema_change(
    kind: str,
    kafka_bootstrap: str,
    registry: SchemaRegistryClient,
    unique_topic: Any,
    tmp_path: Path,
) -> None:
    topic = unique_topic(f"registry.{kind}")
    alerts = topic + ".alerts"
    await ensure_topics(kafka_bootstrap, [topic, alerts, topic + ".dlq", topic + ".quarantine"])
    v1, v2 = _writers(kind, registry, topic)
    before = [
        v1({"order_id": f"o-{n}", "cust_id": 100 + n % 7, "amount": 10.0 + n}) for n in range(120)
    ]
    after = [v2(_v2(kind, n)) for n in range(120, 160)]
    kafka = KafkaSettings(bootstrap=kafka_bootstrap)
    producer = kafka_client.producer(kafka, kafka_bootstrap, "test")
    await producer.start()
    try:
        for value in before:
            await producer.send(topic, value)
        await producer.send(topic, b'{"order_id": "plain json"}')  # not framed: dead letter
        await producer.flush()
        for value in after:
            await producer.send(topic, value)
        await producer.flush()
    finally:
        await producer.stop()
    store = open_store(None, tmp_path)
    contract = Contract.model_validate({**CONTRACT, "dataset": topic})
    deps = drift_monitor.Deps(
        monitor=DatasetMonitor(contract, source=drift_monitor.SOURCE),
        ledger=store,
        clock=lambda: 1_000.0,
        decoder=RegistryDecoder(registry, framed_topics=[topic]),
    )
    consumer = make_consumer(
        kafka_bootstrap, [topic], f"test.{topic}", kafka, **EmbeddedBroker.CONSUMER_OPTIONS
    )
    to = Destinations(alerts=alerts, proposals=alerts)
    try:
        async with KafkaBus(kafka_bootstrap, kafka=kafka) as bus, asyncio.timeout(30):
            handled = await consume_batches(
                consumer,
                lambda records: drift_monitor.handle_batch(records, deps),
                bus,
                destinations=to,
                limit=len(before) + 1 + len(after),
                poll_timeout_ms=100,
            )
    finally:
        store.close()
    assert handled == len(before) + 1 + len(after)
    [letter] = await read_topic(kafka_bootstrap, topic + ".dlq", 1)
    dead = DeadLetter.model_validate_json(letter.value or b"")
    assert "not in the Schema Registry wire format" in dead.reason
    [record] = await read_topic(kafka_bootstrap, alerts, 1)
    alert = AlertRaised.model_validate_json(record.value or b"")
    change = alert.schema_change
    assert alert.category == "drift" and change is not None
    assert (change.old_version, change.new_version) == (1, 2)
    assert change.subject == f"{topic}-value"
    assert change.verdict == "breaking"
    found = {(d.kind, d.field, d.to if isinstance(d.to, str) else None) for d in alert.detections}
    if kind == "json":  # JSON Schema declares no renames: cust_id went, channel came
        assert change.declared_renames == []
        assert ("remove", "cust_id", None) in found
    else:
        [rename] = change.declared_renames
        assert (rename.old, rename.new) == ("cust_id", "customer_id")
        assert ("rename", "cust_id", "customer_id") in found
        assert not any(kind_ == "remove" for kind_, *_ in found)
