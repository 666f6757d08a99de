"""The healer on moves into objects that change the values' JSON type on the way: detected as
nesting, the old representation restored and validated."""

from __future__ import annotations

from datetime import datetime

import pytest

from agents import healer
from core.contracts import Contract, Pipeline
from core.models import FixProposed
from tests.agents.test_healer import Scene, drift_alert

IDS = [f"a{i}" for i in range(6)]
QUANTITIES = [3, 12, 7, 1, 25, 9]
PRICES = [1299.0, 12.5, 7.99, 1050.25, 45.0, 3200.0]
TIMES = [
    "2026-01-01T10:00:00Z",
    "2026-01-01T10:05:00Z",
    "2026-01-01T11:00:00Z",
    "2026-01-01T12:30:00Z",
    "2026-01-02T08:00:00Z",
    "2026-01-02T09:15:00Z",
]


def _millis(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def _contract(name: str, kind: str) -> Contract:
    return Contract.model_validate(
        {
            "dataset": "t",
            "fields": [
                {"name": "id", "type": "string", "required": True},
                {"name": name, "type": kind, "required": True},
            ],
        }
    )


CASES = [
    (  # an integer moved into an object and sent as text
        _contract("quantity", "integer"),
        "select id, quantity * 2 as doubled from t",
        [{"id": i, "quantity": q} for i, q in zip(IDS, QUANTITIES, strict=True)],
        [{"id": f"b{i}", "details": {"quantity": str(q + 1)}} for i, q in enumerate(QUANTITIES)],
        ("quantity", "details.quantity", "CAST(details.quantity AS BIGINT)"),
    ),
    (  # a price moved into an object and written with thousands separators
        _contract("price", "number"),
        "select id, price from t",
        [{"id": i, "price": p} for i, p in zip(IDS, PRICES, strict=True)],
        [{"id": f"b{i}", "details": {"price": f"{p + 1:,.2f}"}} for i, p in enumerate(PRICES)],
        ("price", "details.price", "CAST(replace(details.price, ',', '') AS DOUBLE)"),
    ),
    (  # an instant moved into an object as epoch milliseconds
        _contract("created_at", "timestamp"),
        "select id, cast(created_at as timestamp) as created_at from t",
        [{"id": i, "created_at": t} for i, t in zip(IDS, TIMES, strict=True)],
        [
            {"id": f"b{i}", "meta": {"created_at": _millis(t) + 86_400_000}}
            for i, t in enumerate(TIMES)
        ],
        ("created_at", "meta.created_at", None),
    ),
]


@pytest.mark.parametrize(("contract", "model", "before", "after", "expected"), CASES)
async def test_a_move_with_a_type_change_is_detected_restored_and_validated(
    contract: Contract,
    model: str,
    before: list[dict[str, object]],
    after: list[dict[str, object]],
    expected: tuple[str, str, str | None],
) -> None:
    field, target, mapping = expected
    scene = Scene(Pipeline(models={"stg": model}), contract, before, after)
    alert = drift_alert(scene)
    assert [(d.kind, d.field, d.to) for d in alert.detections] == [("nesting", field, target)]
    [proposal] = await healer.handle(alert, scene.deps())
    assert isinstance(proposal, FixProposed), proposal
    assert proposal.validation.passed
    found = proposal.mapping.as_dict()[field]
    assert target in found and (mapping is None or found == mapping)


async def test_words_under_the_old_name_with_another_type_are_not_a_move() -> None:
    contract = _contract("status", "string")
    before = [
        {"id": i, "status": s} for i, s in zip(IDS, ["open", "closed", "open"] * 2, strict=True)
    ]
    after = [{"id": f"b{i}", "info": {"status": i % 3}} for i in range(6)]
    scene = Scene(Pipeline(models={"stg": "select id, status from t"}), contract, before, after)
    kinds = {d.kind for d in drift_alert(scene).detections}
    assert "nesting" not in kinds and "remove" in kinds
