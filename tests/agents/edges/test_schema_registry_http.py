"""The registry's HTTP path: Confluent's client over a local server speaking the registry's REST
API. The server keeps state with Confluent's MockSchemaRegistryClient and does not judge
compatibility itself: its verdicts are scripted, so these tests check that suture asks for the
registry's verdict and reports it beside its own, not that the verdict is right."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from confluent_kafka.schema_registry import SchemaRegistryClient

from agents.edges.schema_registry import RegistryDecoder, open_registry, subject_contract
from core.config import RegistrySettings
from core.errors import BrokerError, ConfigError, ContractError
from suture.cli import main
from tests.fixtures.registry import FakeRegistryServer, avro_writer, json_writer

ORDER_V1 = {
    "type": "record",
    "name": "Order",
    "fields": [{"name": "order_id", "type": "string"}, {"name": "cust_id", "type": "long"}],
}
ORDER_V2 = {
    "type": "record",
    "name": "Order",
    "fields": [
        {"name": "order_id", "type": "string"},
        {"name": "customer_id", "type": "long", "aliases": ["cust_id"]},
    ],
}


def _client(fake: FakeRegistryServer):  # type: ignore[no-untyped-def]
    client = open_registry(RegistrySettings(url=fake.url, max_retries=0))
    assert client is not None
    return client


async def test_decodes_and_reports_the_registrys_verdict_over_http(
    fake_registry: FakeRegistryServer,
) -> None:
    client = _client(fake_registry)
    old = avro_writer(client, "orders", ORDER_V1)({"order_id": "a", "cust_id": 1})
    new = avro_writer(client, "orders", ORDER_V2)({"order_id": "b", "customer_id": 1})
    decoder = RegistryDecoder(open_registry(RegistrySettings(url=fake_registry.url)))  # type: ignore[arg-type]
    first, second = decoder.decode_one("orders", old), decoder.decode_one("orders", new)
    assert first.value == b'{"order_id":"a","cust_id":1}'
    assert second.value == b'{"order_id":"b","customer_id":1}'
    assert ("GET", f"/schemas/ids/{first.schema_id}") in fake_registry.requests
    fake_registry.compatibility.append((True, []))
    report = await decoder.schema_change("orders", first.schema_id, second.schema_id)  # type: ignore[arg-type]
    change = report.change
    assert (change.old_version, change.new_version) == (1, 2)
    assert change.registry_verdict == "compatible" and change.verdict == "breaking"
    assert change.registry_detail == "checked against version 1"
    assert any(
        p.startswith("/compatibility/subjects/orders-value/versions/1")
        for _, p in fake_registry.requests
    )
    assert fake_registry.errors == []


async def test_an_incompatible_verdict_is_reported(fake_registry: FakeRegistryServer) -> None:
    client = _client(fake_registry)
    old = json_writer(client, "users", {"type": "object", "properties": {"a": {"type": "integer"}}})
    new = json_writer(client, "users", {"type": "object", "properties": {"a": {"type": "string"}}})
    decoder = RegistryDecoder(client)
    one, two = (
        decoder.decode_one("users", old({"a": 1})),
        decoder.decode_one("users", new({"a": "x"})),
    )
    fake_registry.compatibility.append((False, ["a: type changed"]))
    change = (await decoder.schema_change("users", one.schema_id, two.schema_id)).change  # type: ignore[arg-type]
    assert change.registry_verdict == "incompatible" and change.verdict == "breaking"


def test_contracts_import_takes_a_subject(
    fake_registry: FakeRegistryServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client = _client(fake_registry)
    avro_writer(client, "shop.orders", ORDER_V1)({"order_id": "a", "cust_id": 1})
    avro_writer(client, "shop.orders", ORDER_V2)({"order_id": "a", "customer_id": 1})
    out = tmp_path / "orders.yaml"
    argv = [
        "contracts",
        "import",
        "--subject",
        "shop.orders-value",
        "--registry",
        fake_registry.url,
    ]
    assert main([*argv, "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "registry subject shop.orders-value version 2" in text
    loaded = yaml.safe_load(text)
    assert loaded["dataset"] == "shop.orders"
    assert [f["name"] for f in loaded["fields"]] == ["order_id", "customer_id"]
    assert main([*argv, "--version", "1"]) == 0
    assert "cust_id" in capsys.readouterr().out


def test_an_unknown_subject_fails_clearly(fake_registry: FakeRegistryServer) -> None:
    with pytest.raises(ContractError, match=r"subject 'nope-value' .* cannot be read .*HTTP 404"):
        subject_contract(_client(fake_registry), "nope-value")


def test_an_unreachable_registry_fails_clearly(capsys: pytest.CaptureFixture[str]) -> None:
    client = open_registry(RegistrySettings(url="http://127.0.0.1:9", max_retries=0))
    assert client is not None
    with pytest.raises(ConfigError, match="the registry cannot be reached"):
        subject_contract(client, "orders-value")
    assert main(["contracts", "import", "--subject", "orders-value"]) == 2
    assert "--registry URL or SUTURE_REGISTRY_URL" in capsys.readouterr().err


def test_an_unreachable_registry_stops_decoding_loudly() -> None:
    client = open_registry(RegistrySettings(url="http://127.0.0.1:9", max_retries=0))
    assert client is not None
    framed = b"\x00" + (5).to_bytes(4, "big") + b"\x02x"
    with pytest.raises(
        BrokerError, match=r"Schema Registry cannot be reached: .*nothing is skipped"
    ):
        RegistryDecoder(client).decode_one("orders", framed)


async def test_schemas_that_are_no_contract_give_an_unknown_verdict(
    registry: SchemaRegistryClient,
) -> None:
    union = {"type": "record", "name": "R", "fields": [{"name": "v", "type": ["int", "string"]}]}
    plain = {"type": "record", "name": "R", "fields": [{"name": "v", "type": "int"}]}
    one = avro_writer(registry, "mixed", plain)({"v": 1})
    two = avro_writer(registry, "mixed", union)({"v": "x"})
    decoder = RegistryDecoder(registry)
    first, second = decoder.decode_one("mixed", one), decoder.decode_one("mixed", two)
    report = await decoder.schema_change("mixed", first.schema_id, second.schema_id)  # type: ignore[arg-type]
    assert report.change.verdict == "unknown" and report.detections == ()
    assert "cannot be compared" in report.change.reasons[0]
