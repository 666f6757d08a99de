"""The healer on renames whose evidence is weak by nature: free text, heavy-tailed numbers.

A rename the samples support is healed; two new fields that fit as well stay an escalation that
names both, never a tie-break.
"""

from __future__ import annotations

from typing import Any

import pytest

from agents import healer
from core.contracts import Contract, Pipeline
from core.models import FixProposed, IncidentEscalated
from tests.agents.test_healer import Scene, drift_alert
from tools.sql.replay import run_models

_TITLES = [
    "verbatim 95003 3x dvd-ram double-sided media",
    "xerox 101r00421 transfer unit",
    "case logic trend compact camera case",
    "premiertek hi-speed usb 2.0 to sata or ide 2.5 drive adapter",
    "motorola dect 6.0 cordless care",
]
_OTHER_TITLES = [
    "v7 3 cat6 snagless molded network patch cable black",
    "avery 3 durable view binder with ez-turn ring black",
    "heavy duty 3-hole punch",
    "hp 58 photo inkjet print cartridge c6658an",
    "the sims 2 : nightlife ! ( mac ) 2004-2005 win/mac",
]
_PRICES = [19.88, 773.82, 3.88, 9.99, 49.0]
_OTHER_PRICES = [429.99, 499.0, 11.94, 110.84, 1363.5]


def _listings() -> tuple[Contract, Pipeline]:
    contract = Contract.model_validate(
        {
            "dataset": "listings",
            "fields": [
                {"name": "listing_id", "type": "string", "required": True},
                {"name": "title", "type": "string", "required": True},
                {"name": "price", "type": "number", "required": True},
            ],
        }
    )
    pipeline = Pipeline(models={"stg": "select listing_id, title, price from listings"})
    return contract, pipeline


def _events(prefix: str, titles: list[str], prices: list[float], **names: str) -> list[Any]:
    title, price = names.get("title", "title"), names.get("price", "price")
    return [
        {"listing_id": f"{prefix}{i}", title: t, price: p}
        for i, (t, p) in enumerate(zip(titles, prices, strict=True))
    ]


@pytest.mark.parametrize(
    ("renamed", "expected"),
    [
        ({"title": "title_value"}, {"title": "title_value"}),
        ({"title": "listing_title"}, {"title": "listing_title"}),
        ({"price": "price_value"}, {"price": "price_value"}),
        ({"title": "title_value", "price": "listing_price"}, None),
    ],
)
async def test_renames_of_free_text_and_heavy_tailed_prices_are_healed(
    renamed: dict[str, str], expected: dict[str, str] | None
) -> None:
    contract, pipeline = _listings()
    before = _events("a", _TITLES, _PRICES)
    after = _events("b", _OTHER_TITLES, _OTHER_PRICES, **renamed)
    scene = Scene(pipeline, contract, before, after)
    [proposal] = await healer.handle(drift_alert(scene), scene.deps())
    assert isinstance(proposal, FixProposed), proposal
    assert proposal.validation.passed
    assert proposal.mapping.as_dict() == (expected or renamed)
    fixed = pipeline.model_copy(update={"models": {"stg": proposal.patches[0].after_sql}})
    rows = run_models(fixed, {"listings": after}, {"listings": contract})["stg"]
    assert [r["title"] for r in rows] == _OTHER_TITLES
    assert [r["price"] for r in rows] == _OTHER_PRICES


async def test_two_new_free_text_fields_that_fit_as_well_escalate_naming_both() -> None:
    contract, pipeline = _listings()
    before = _events("a", _TITLES, _PRICES)
    after = [
        {**event, "title_text": event["title_value"].upper()}
        for event in _events("b", _OTHER_TITLES, _OTHER_PRICES, title="title_value")
    ]
    scene = Scene(pipeline, contract, before, after)
    [outcome] = await healer.handle(drift_alert(scene), scene.deps())
    assert isinstance(outcome, IncidentEscalated), outcome
    assert {"title_text", "title_value"} <= set(outcome.candidates), outcome.candidates
    assert scene.proposals == {}


async def test_two_new_price_fields_that_fit_as_well_escalate_naming_both() -> None:
    contract, pipeline = _listings()
    before = _events("a", _TITLES, _PRICES)
    after = [
        {**event, "price_amount": round(event["price_value"] * 1.1, 2)}
        for event in _events("b", _OTHER_TITLES, _OTHER_PRICES, price="price_value")
    ]
    scene = Scene(pipeline, contract, before, after)
    [outcome] = await healer.handle(drift_alert(scene), scene.deps())
    assert isinstance(outcome, IncidentEscalated), outcome
    assert {"price_amount", "price_value"} <= set(outcome.candidates), outcome.candidates
