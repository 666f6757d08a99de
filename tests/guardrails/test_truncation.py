"""A substitute that floors or truncates (integer division, floor, trunc) where the old values
kept fractions is refused: it loses what the exact computation keeps (guardrails.truncation)."""

from __future__ import annotations

import pytest

from tests.guardrails._replay import contract_of, verdict

# a weight in kilograms (text with decimals) becomes grams over a scale object
WEIGHT_MODEL = "select sku, cast(weight as decimal(10, 3)) as weight_kg from parcels"
WEIGHT_BEFORE = [
    {"sku": "p1", "weight": "1.250"},
    {"sku": "p2", "weight": "0.875"},
    {"sku": "p3", "weight": "2.000"},
    {"sku": "p4", "weight": "3.420"},
]
WEIGHT_AFTER = [
    {"sku": "p5", "weight": {"grams": 1730, "per_kg": 1000}},
    {"sku": "p6", "weight": {"grams": 905, "per_kg": 1000}},
    {"sku": "p7", "weight": {"grams": 2410, "per_kg": 1000}},
    {"sku": "p8", "weight": {"grams": 640, "per_kg": 1000}},
]
WEIGHT = contract_of("parcels", {"sku": "string", "weight": "string"})

# a rate (number with fractions) now comes as basis points over a fixed denominator
RATE_MODEL = "select loan_id, rate as rate_pct from loans"
RATE_BEFORE = [
    {"loan_id": 1, "rate": 4.35},
    {"loan_id": 2, "rate": 5.1},
    {"loan_id": 3, "rate": 3.95},
    {"loan_id": 4, "rate": 6.25},
]
RATE_AFTER = [
    {"loan_id": 5, "rate_bp": 455, "bp_per_pct": 100},
    {"loan_id": 6, "rate_bp": 512, "bp_per_pct": 100},
    {"loan_id": 7, "rate_bp": 389, "bp_per_pct": 100},
    {"loan_id": 8, "rate_bp": 601, "bp_per_pct": 100},
]
RATE = contract_of("loans", {"loan_id": "integer", "rate": "number"})


@pytest.mark.parametrize(
    "patched",
    [
        "select sku, cast(weight.grams // weight.per_kg as decimal(10, 3)) as weight_kg "
        "from parcels",
        "select sku, cast(floor(weight.grams / weight.per_kg) as decimal(10, 3)) as weight_kg "
        "from parcels",
        "select sku, cast(trunc(weight.grams / weight.per_kg) as decimal(10, 3)) as weight_kg "
        "from parcels",
    ],
)
def test_refuses_a_floored_quotient_where_old_values_kept_fractions(patched: str) -> None:
    passed, detail = verdict(WEIGHT_MODEL, patched, WEIGHT_BEFORE, WEIGHT_AFTER, WEIGHT)
    assert not passed
    assert "trunc" in detail or "floor" in detail


def test_passes_the_exact_quotient() -> None:
    patched = (
        "select sku, cast(weight.grams / weight.per_kg as decimal(10, 3)) as weight_kg from parcels"
    )
    passed, detail = verdict(WEIGHT_MODEL, patched, WEIGHT_BEFORE, WEIGHT_AFTER, WEIGHT)
    assert passed, detail


@pytest.mark.parametrize(
    "patched",
    [
        "select loan_id, rate_bp // bp_per_pct as rate_pct from loans",
        "select loan_id, cast(rate_bp / bp_per_pct as integer) as rate_pct from loans",
    ],
)
def test_refuses_a_rate_cut_to_whole_percents(patched: str) -> None:
    passed, _ = verdict(RATE_MODEL, patched, RATE_BEFORE, RATE_AFTER, RATE)
    assert not passed


def test_passes_the_exact_rate() -> None:
    patched = "select loan_id, rate_bp / bp_per_pct as rate_pct from loans"
    passed, detail = verdict(RATE_MODEL, patched, RATE_BEFORE, RATE_AFTER, RATE)
    assert passed, detail


def test_passes_integer_division_that_loses_nothing_on_whole_values() -> None:
    # whole seconds before; milliseconds after that are exact multiples: nothing is floored away
    model = "select run_id, took as took_s from runs"
    before = [{"run_id": i, "took": s} for i, s in enumerate([12, 40, 7, 95])]
    after = [{"run_id": 9 + i, "took_ms": ms} for i, ms in enumerate([15000, 33000, 8000, 61000])]
    contract = contract_of("runs", {"run_id": "integer", "took": "integer"})
    patched = "select run_id, took_ms // 1000 as took_s from runs"
    passed, detail = verdict(model, patched, before, after, contract)
    assert passed, detail


def test_refuses_whole_minutes_from_seconds_where_minutes_had_fractions() -> None:
    model = "select call_id, billed as billed_min from calls"
    before = [
        {"call_id": "c1", "billed": 2.5},
        {"call_id": "c2", "billed": 0.75},
        {"call_id": "c3", "billed": 11.25},
        {"call_id": "c4", "billed": 4.0},
    ]
    after = [
        {"call_id": "c5", "billed": {"seconds": 135, "per_minute": 60}},
        {"call_id": "c6", "billed": {"seconds": 610, "per_minute": 60}},
        {"call_id": "c7", "billed": {"seconds": 45, "per_minute": 60}},
        {"call_id": "c8", "billed": {"seconds": 300, "per_minute": 60}},
    ]
    contract = contract_of("calls", {"call_id": "string", "billed": "number"})
    cut = "select call_id, billed.seconds // billed.per_minute as billed_min from calls"
    assert not verdict(model, cut, before, after, contract)[0]
    exact = "select call_id, billed.seconds / billed.per_minute as billed_min from calls"
    passed, detail = verdict(model, exact, before, after, contract)
    assert passed, detail
