"""Tests of inferring a draft contract from a sample of events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents.edges.pipeline_files import load_contract_file
from core.contracts import Contract, ContractField
from core.errors import ToolError
from tools.contracts.infer import (
    ENUM_MAX_VALUES,
    ENUM_MIN_SAMPLES,
    draft_header,
    infer_contract,
)
from tools.contracts.yaml_text import contract_yaml

STATUSES = ("placed", "shipped", "cancelled")


def _orders(count: int) -> list[bytes]:
    events = []
    for i in range(count):
        event: dict[str, object] = {
            "order_id": f"o-{1000 + i}",
            "customer_id": 7 + i % 13,
            "amount": round(10 + i * 1.25, 2),
            "status": STATUSES[i % 3],
            "created_at": f"2026-01-01T10:{i % 60:02d}:00Z",
            "delivered_on": f"2026-01-{1 + i % 28:02d}",
            "email": f"user{i}@example.com",
            "address": {"city": f"city-{i}", "zip": f"{75000 + i}"},
            "coupon": "WELCOME" if i % 4 == 0 else None,
        }
        if i % 5:
            event["note"] = f"free text {i}"
        events.append(json.dumps(event).encode())
    return events


def _field(contract: Contract, name: str) -> ContractField:
    found = contract.field(name)
    assert found is not None, f"{name} missing from {contract.field_names}"
    return found


def test_infers_types_required_fields_key_and_event_time_from_orders() -> None:
    draft = infer_contract(_orders(60), "shop.orders")
    contract = draft.contract
    assert (draft.sampled, draft.rejected) == (60, 0)
    assert {f.name: (f.type, f.required) for f in contract.fields} == {
        "order_id": ("string", True),
        "customer_id": ("integer", True),
        "amount": ("number", True),
        "status": ("string", True),
        "created_at": ("timestamp", True),
        "delivered_on": ("date", True),
        "email": ("string", True),
        "address": ("object", True),
        "address.city": ("string", True),
        "address.zip": ("string", True),
        "coupon": ("string", False),
        "note": ("string", False),
    }
    assert (contract.key, contract.event_time) == ("order_id", "created_at")
    assert _field(contract, "order_id").unique
    assert _field(contract, "status").enum == sorted(STATUSES)
    assert _field(contract, "amount").min == 0.0
    assert _field(contract, "amount").max is None
    assert "sample range 10 to 83.75" in (_field(contract, "amount").description or "")
    assert "80%" in (_field(contract, "note").description or "")
    assert contract.pii_fields == {"email"}


def test_keeps_free_text_and_small_samples_out_of_enums() -> None:
    contract = infer_contract(_orders(60), "orders").contract
    assert _field(contract, "note").enum is None  # 48 distinct values
    assert _field(contract, "address.city").enum is None
    few = infer_contract(_orders(ENUM_MIN_SAMPLES - 1), "orders").contract
    assert _field(few, "status").enum is None


def test_caps_enums_at_a_few_distinct_values() -> None:
    many = [{"id": i, "code": f"c{i % (ENUM_MAX_VALUES + 1)}"} for i in range(200)]
    assert _field(infer_contract(many, "t").contract, "code").enum is None
    few = [{"id": i, "code": f"c{i % ENUM_MAX_VALUES}"} for i in range(200)]
    assert _field(infer_contract(few, "t").contract, "code").enum == sorted(
        f"c{i}" for i in range(ENUM_MAX_VALUES)
    )


def test_chooses_no_key_when_the_id_repeats() -> None:
    events = [{"customer_id": i % 5, "amount": i} for i in range(30)]
    contract = infer_contract(events, "payments").contract
    assert contract.key is None
    assert not _field(contract, "customer_id").unique


def test_prefers_the_dataset_id_over_other_unique_ids() -> None:
    events = [{"trace_id": f"t{i}", "payment_id": f"p{i}", "at": 1} for i in range(5)]
    assert infer_contract(events, "billing.payments").contract.key == "payment_id"


def test_reads_epoch_numbers_as_timestamps_only_under_time_names() -> None:
    events = [{"created_at": 1767261600000 + i, "account": 1767261600000 + i} for i in range(5)]
    contract = infer_contract(events, "t").contract
    assert _field(contract, "created_at").type == "timestamp"
    assert "epoch milliseconds" in (_field(contract, "created_at").description or "")
    assert _field(contract, "account").type == "integer"
    assert contract.event_time == "created_at"


def test_keeps_mixed_and_always_null_fields_and_says_so() -> None:
    events = [{"v": 1 if i % 2 else "x", "gone": None} for i in range(10)]
    contract = infer_contract(events, "t").contract
    assert "mixed types in the sample (integer 5, string 5)" in (
        _field(contract, "v").description or ""
    )
    gone = _field(contract, "gone")
    assert (gone.type, gone.required) == ("string", False)
    assert "type unknown" in (gone.description or "")


def test_counts_events_that_are_not_json_objects() -> None:
    draft = infer_contract([b'{"a": 1}', b"not json", b"[1]"], "t")
    assert (draft.sampled, draft.rejected) == (1, 2)
    assert "2 sampled events were not JSON objects" in draft_header(draft, "topic 't'")


def test_refuses_a_sample_without_json_objects() -> None:
    with pytest.raises(ToolError, match=r"none of the 2 sampled events of 't' is a JSON object"):
        infer_contract([b"oops", b"[]"], "t")


def test_the_draft_yaml_is_marked_and_reads_back(tmp_path: Path) -> None:
    draft = infer_contract(_orders(40), "orders")
    text = contract_yaml(draft.contract, draft_header(draft, "topic 'orders'"))
    assert text.startswith("# DRAFT data contract inferred by `suture contracts infer` from 40")
    path = tmp_path / "orders.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_contract_file(path) == draft.contract
