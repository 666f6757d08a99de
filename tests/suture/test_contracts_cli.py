"""`suture contracts import` and `suture contracts infer` from the command line."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiokafka import AIOKafkaProducer

from agents.edges.pipeline_files import load_contract_file
from core.contracts import Contract
from suture.cli import main
from tools.contracts.importer import import_contract

FIXTURES = Path(__file__).resolve().parents[1] / "tools" / "fixtures" / "contracts"


def test_import_writes_suture_yaml_that_loads_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "orders.yaml"
    source = FIXTURES / "orders.avsc"
    assert (
        main(["contracts", "import", str(source), "--dataset", "shop.orders", "-o", str(out)]) == 0
    )
    assert f"wrote {out}" in capsys.readouterr().err
    loaded = load_contract_file(out)
    expected = import_contract(
        source.read_text(encoding="utf-8"), str(source), dataset="shop.orders"
    )
    assert loaded == expected
    assert loaded.dataset == "shop.orders"
    assert out.read_text(encoding="utf-8").startswith("# Imported by `suture contracts import`")


def test_import_prints_to_stdout_with_an_explicit_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = tmp_path / "clicks.txt"
    schema.write_text(
        json.dumps({"type": "object", "properties": {"url": {"type": "string"}}}), encoding="utf-8"
    )
    assert main(["contracts", "import", str(schema), "--format", "json-schema"]) == 0
    printed = capsys.readouterr().out
    assert Contract.model_validate(yaml.safe_load(printed)).field_names == ["url"]


def test_import_errors_name_the_file_and_pointer_and_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = FIXTURES / "orders.odcs.yaml"
    assert main(["contracts", "import", str(source)]) == 2
    error = capsys.readouterr().err
    assert "orders.odcs.yaml' at /schema: 2 schema objects found" in error
    assert "pass --dataset to pick one" in error


def test_infer_without_a_broker_address_says_how_to_give_one(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SUTURE_KAFKA__BOOTSTRAP", raising=False)
    assert main(["contracts", "infer", "orders"]) == 2
    assert "--bootstrap HOST:PORT" in capsys.readouterr().err


@pytest.mark.kafka
async def test_infer_drafts_a_contract_from_a_real_topic(
    kafka_bootstrap: str, new_topic: Callable[..., Any], tmp_path: Path
) -> None:
    topic = await new_topic("orders")
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for i in range(80):
            event = {
                "order_id": f"o-{i}",
                "amount_cents": 100 + i,
                "status": ("placed", "shipped")[i % 2],
                "created_at": f"2026-01-01T10:00:{i % 60:02d}Z",
                "email": f"u{i}@example.com",
            }
            await producer.send(topic, json.dumps(event).encode())
        await producer.flush()
    finally:
        await producer.stop()
    out = tmp_path / "orders.yaml"
    argv = ["contracts", "infer", topic, "--bootstrap", kafka_bootstrap, "--samples", "50"]
    assert await asyncio.to_thread(main, [*argv, "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# DRAFT data contract inferred by `suture contracts infer` from 50 ")
    contract = load_contract_file(out)
    assert contract.dataset == topic
    assert (contract.key, contract.event_time) == ("order_id", "created_at")
    amount = contract.field("amount_cents")
    assert amount is not None and amount.type == "integer" and amount.required
    assert amount.description is not None and "sample range 130 to 179" in amount.description
    status = contract.field("status")
    assert status is not None and status.enum == ["placed", "shipped"]
    assert contract.pii_fields == {"email"}
