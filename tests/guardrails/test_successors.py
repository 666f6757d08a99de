"""Tests for guardrails.successors: substitutes for vanished fields, re-checked on samples."""

from __future__ import annotations

import math

import pytest

from core.contracts import Contract, ContractField, Pipeline
from core.models import ModelPatch
from guardrails.replay_gate import validate_patch
from guardrails.successors import repeated_pairs, successor_checks

Rows = list[dict[str, object]]


def _check(
    model: str,
    patched: str,
    before: Rows,
    after: Rows,
    contract: Contract | None = None,
    dataset: str = "t",
) -> tuple[bool, str]:
    pipeline = Pipeline(models={"stg": model})
    patch = ModelPatch(model="stg", before_sql=model, after_sql=patched)
    results = successor_checks(pipeline, [patch], dataset, before, after, contract)
    assert results, "a vanished field's substitute must be checked"
    [result] = results
    return result.passed, result.detail


# a pre-existing, different field swapped in


@pytest.mark.parametrize(
    ("gone", "other"),
    [("customer_id", "account_id"), ("unit_price", "list_price"), ("region", "country")],
)
def test_refuses_a_field_that_existed_before_as_the_successor(gone: str, other: str) -> None:
    before: Rows = [
        {"k": f"a{i}", gone: f"v{i}" if gone == "region" else 10 + i, other: 13 + 2 * i}
        for i in range(4)
    ]
    if gone == "region":
        for i, row in enumerate(before):
            row[other] = f"c{i % 2}"
    after: Rows = [{"k": f"b{i}", other: before[i][other], "extra": i} for i in range(4)]
    model = f"select k, {gone} from t"
    passed, detail = _check(model, f"select k, {other} as {gone} from t", before, after)
    assert not passed
    assert "existed before the change" in detail or "carries the values" in detail


def test_accepts_a_pre_existing_rebuild_that_held_on_the_old_events() -> None:
    before: Rows = [
        {"id": 1, "first": "Ada", "last": "Lovelace", "full": "Ada Lovelace"},
        {"id": 2, "first": "Alan", "last": "Turing", "full": "Alan Turing"},
    ]
    after: Rows = [{"id": 3, "first": "Grace", "last": "Hopper"}]
    model = "select id, full from t"
    passed, detail = _check(model, "select id, first || ' ' || last as full from t", before, after)
    assert passed, detail


# a value rebuilt from an unrelated field


def test_refuses_a_value_rebuilt_from_an_unrelated_old_field() -> None:
    before: Rows = [{"id": i, "qty": q, "cents": c} for i, q, c in [(1, 3, 1250), (2, 9, 4990)]]
    after: Rows = [{"id": 3, "qty": 12, "amount": 17.5}, {"id": 4, "qty": 25, "amount": 30.0}]
    passed, detail = _check(
        "select id, cents from t", "select id, qty * 100 as cents from t", before, after
    )
    assert not passed and "existed before the change" in detail


def test_refuses_swapped_successors_that_carry_another_fields_values() -> None:
    before: Rows = [
        {"ref": "F1", "city": "Leipzig", "country": "de"},
        {"ref": "F2", "city": "Vienna", "country": "at"},
        {"ref": "F3", "city": "Aarhus", "country": "dk"},
    ]
    after: Rows = [
        {"ref": "F4", "ship": {"city": "Dresden", "country": "de"}},
        {"ref": "F5", "ship": {"city": "Graz", "country": "at"}},
        {"ref": "F6", "ship": {"city": "Brno", "country": "cz"}},
    ]
    model = "select ref, city, country from t"
    passed, detail = _check(
        model, "select ref, ship.country as city, ship.city as country from t", before, after
    )
    assert not passed and "carries the values of country" in detail
    right = "select ref, ship.city as city, ship.country as country from t"
    assert _check(model, right, before, after)[0]


@pytest.mark.parametrize("wrong", ["discount * 100", "CAST(round(tax * 100) AS BIGINT)"])
def test_refuses_a_new_field_that_disagrees_on_a_redelivered_record(wrong: str) -> None:
    contract = Contract(
        dataset="t",
        key="id",
        fields=[
            ContractField(name="id", type="string"),
            ContractField(name="sku", type="string"),
            ContractField(name="cents", type="integer"),
        ],
    )
    before: Rows = [{"id": "o1", "sku": "A", "cents": 1250}, {"id": "o2", "sku": "B", "cents": 990}]
    after: Rows = [
        {"id": "o1", "sku": "A", "amount": 12.5, "discount": 11.0, "tax": 10.5},
        {"id": "o3", "sku": "C", "amount": 8.0, "discount": 7.5, "tax": 6.4},
    ]
    model = "select id, cents from t"
    passed, detail = _check(model, f"select id, {wrong} as cents from t", before, after, contract)
    assert not passed and "sent again" in detail
    right = "select id, CAST(round(amount * 100) AS BIGINT) as cents from t"
    assert _check(model, right, before, after, contract)[0]


def test_pairs_only_records_whose_kept_fields_all_match() -> None:
    before: Rows = [{"id": "o1", "sku": "A", "x": 1}, {"id": "o2", "sku": "B", "x": 2}]
    after: Rows = [{"id": "o1", "sku": "A", "y": 1}, {"id": "o2", "sku": "Z", "y": 2}]
    assert repeated_pairs(before, after, "id", {"id", "sku"}) == [(0, 0)]
    assert repeated_pairs(before, after, None, {"id", "sku"}) == []  # too few fields to tell


# a naive local time read as UTC


@pytest.mark.parametrize(
    "wrong",
    [
        "strftime(CAST(ts AS TIMESTAMPTZ), '%Y-%m-%dT%H:%M:%SZ')",
        "ts || 'Z'",
        "strftime(CAST(ts AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S') || 'Z'",
    ],
)
def test_refuses_reading_a_naive_local_time_as_utc(wrong: str) -> None:
    before: Rows = [
        {"id": 1, "at": "2026-03-01T08:00:00Z"},
        {"id": 2, "at": "2026-03-01T09:30:00Z"},
    ]
    after: Rows = [{"id": 3, "ts": "2026-03-01T10:00:00"}, {"id": 4, "ts": "2026-03-01T11:15:00"}]
    passed, detail = _check(
        "select id, at from t", f"select id, {wrong} as at from t", before, after
    )
    assert not passed and "invents a zone" in detail


def test_accepts_an_offset_converted_to_utc() -> None:
    before: Rows = [
        {"id": 1, "at": "2026-03-01T08:00:00Z"},
        {"id": 2, "at": "2026-03-01T09:30:00Z"},
    ]
    after: Rows = [{"id": 3, "ts": "2026-03-01T12:00:00+02:00"}]
    fixed = "strftime(CAST(ts AS TIMESTAMPTZ) AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ')"
    passed, detail = _check(
        "select id, at from t", f"select id, {fixed} as at from t", before, after
    )
    assert passed, detail


@pytest.mark.parametrize(
    ("after", "wrong"),
    [
        (
            [{"id": 3, "ms": 1772359200250}],
            "strftime(to_timestamp(ms / 1000), '%Y-%m-%dT%H:%M:%SZ')",
        ),
        ([{"id": 3, "ms": "2026-03-01T10:00:00.250Z"}], "left(ms, 19) || 'Z'"),
    ],
)
def test_refuses_dropping_the_fraction_of_a_second(after: Rows, wrong: str) -> None:
    before: Rows = [
        {"id": 1, "at": "2026-03-01T08:00:00Z"},
        {"id": 2, "at": "2026-03-01T09:30:00Z"},
    ]
    passed, detail = _check(
        "select id, at from t", f"select id, {wrong} as at from t", before, after
    )
    assert not passed and "fraction" in detail


# floor where round is needed


@pytest.mark.parametrize(
    ("dollars", "factor"),
    [([12.99, 0.29, 5.0, 100.57, 19.99], 100), ([1.001, 2.017, 0.5, 3.141, 9.999], 1000)],
)
def test_refuses_floor_where_the_conversion_must_round(dollars: list[float], factor: int) -> None:
    assert any(math.floor(d * factor) != round(d * factor) for d in dollars)
    before: Rows = [{"id": 1, "minor": 450}, {"id": 2, "minor": 1200}]
    after: Rows = [{"id": 10 + i, "major": d} for i, d in enumerate(dollars)]
    model = "select id, minor from t"
    floor = f"select id, CAST(floor(major * {factor}) AS BIGINT) as minor from t"
    passed, detail = _check(model, floor, before, after)
    assert not passed and "never floor" in detail
    rounded = f"select id, CAST(round(major * {factor}) AS BIGINT) as minor from t"
    assert _check(model, rounded, before, after)[0]


def test_refuses_a_dropped_sign_and_a_truncated_fraction() -> None:
    before: Rows = [{"id": 1, "delta": -2.5}, {"id": 2, "delta": 4.25}]
    after: Rows = [{"id": 3, "change": v} for v in (-1.75, 3.5, -0.25, 6.0)]
    model = "select id, delta from t"
    assert not _check(model, "select id, abs(change) as delta from t", before, after)[0]
    assert not _check(model, "select id, trunc(change) as delta from t", before, after)[0]
    assert _check(model, "select id, change as delta from t", before, after)[0]


def test_validation_refuses_a_floor_patch_end_to_end() -> None:
    model = "select id, minor / 100.0 as amount from t"
    pipeline = Pipeline(models={"stg": model})
    before: Rows = [{"id": 1, "minor": 450}, {"id": 2, "minor": 1200}]
    after: Rows = [{"id": 10 + i, "major": d} for i, d in enumerate([12.99, 0.29, 5.0, 100.57])]
    patched = "select id, CAST(floor(major * 100) AS BIGINT) / 100.0 as amount from t"
    contract = Contract(
        dataset="t",
        fields=[
            ContractField(name="id", type="integer"),
            ContractField(name="minor", type="integer"),
        ],
    )
    report = validate_patch(
        pipeline,
        [ModelPatch(model="stg", before_sql=model, after_sql=patched)],
        {"t": contract},
        before,
        after,
        dataset="t",
        mapping=None,
    )
    assert not report.passed
    assert any(c.name == "successors:stg" for c in report.failures())


# a substitute that drops a part of the old value


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (["/search?q=a", "/cart", "/s?q=b&p=2", "/x"], ["/search", "/cart", "/y", "/z"]),
        (["ada@example.com", "alan@example.org", "kurt@example.at"], ["ada", "grace", "kurt"]),
        (["12 Main St, Apt 4", "3 Oak Rd, Unit 9", "7 Elm St"], ["12 Main St", "5 Pine Rd"]),
    ],
)
def test_refuses_a_successor_that_drops_a_part_of_the_value(old: list[str], new: list[str]) -> None:
    before: Rows = [{"id": i, "v": v} for i, v in enumerate(old)]
    after: Rows = [{"id": 10 + i, "w": v} for i, v in enumerate(new)]
    passed, detail = _check("select id, v from t", "select id, w as v from t", before, after)
    assert not passed and "a part is lost" in detail


# a new vocabulary taken for a rename


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (["Food", "Shops", "Food", "Travel", "Shops"], ["FOOD", "SHOPS", "FOOD", "TRAVEL", "FOOD"]),
        (
            ["gold", "silver", "gold", "bronze", "gold"],
            ["GOLD", "PLATINUM", "GOLD", "BASIC", "GOLD"],
        ),
        (
            ["Food and Drink", "Gas Stations", "Food and Drink", "Shops"],
            ["FOOD_AND_DRINK", "TRANSPORTATION", "FOOD_AND_DRINK", "GENERAL"],
        ),
    ],
)
def test_refuses_a_successor_that_speaks_another_vocabulary(old: list[str], new: list[str]) -> None:
    before: Rows = [{"id": i, "v": v} for i, v in enumerate(old)]
    after: Rows = [{"id": 10 + i, "w": v} for i, v in enumerate(new)]
    passed, detail = _check("select id, v from t", "select id, w as v from t", before, after)
    found = ("vocabulary", "a part is lost", "written another way")
    assert not passed and any(reason in detail for reason in found), detail


def test_accepts_a_renamed_code_list_that_keeps_its_codes() -> None:
    before: Rows = [{"id": i, "v": v} for i, v in enumerate(["gold", "silver", "gold", "gold"])]
    after: Rows = [{"id": 9 + i, "w": v} for i, v in enumerate(["silver", "gold", "new", "new"])]
    passed, detail = _check("select id, v from t", "select id, w as v from t", before, after)
    assert passed, detail


# the same entities, by a kept field that paired one to one with the old one


def test_refuses_a_look_alike_that_gives_known_entities_other_values() -> None:
    before: Rows = [
        {"id": f"o{i}", "customer": c, "login": lg}
        for i, (c, lg) in enumerate(
            [("Ann Lee", "alee"), ("Bo Chan", "bchan"), ("Ann Lee", "alee"), ("Cy Ito", "cito")]
        )
    ]
    after: Rows = [
        {"id": f"n{i}", "customer": c, "handle": h}
        for i, (c, h) in enumerate(
            [("Ann Lee", "Ann"), ("Bo Chan", "bchan"), ("Cy Ito", "Cy I."), ("Ann Lee", "Ann")]
        )
    ]
    passed, detail = _check(
        "select id, login from t", "select id, handle as login from t", before, after
    )
    assert not passed
    assert "by customer" in detail and "another value than login did" in detail


def test_accepts_a_successor_that_gives_known_entities_their_values() -> None:
    before: Rows = [
        {"id": f"o{i}", "customer": c, "login": lg}
        for i, (c, lg) in enumerate(
            [("Ann Lee", "alee"), ("Bo Chan", "bchan"), ("Ann Lee", "alee"), ("Cy Ito", "cito")]
        )
    ]
    after: Rows = [
        {"id": f"n{i}", "customer": c, "user_login": lg}
        for i, (c, lg) in enumerate(
            [("Ann Lee", "alee"), ("Bo Chan", "bchan"), ("Cy Ito", "cito"), ("Dee Ox", "dox")]
        )
    ]
    passed, detail = _check(
        "select id, login from t", "select id, user_login as login from t", before, after
    )
    assert passed, detail


# codes the models compare a field with: a successor must not bring codes nobody mapped

CODES_MODEL = (
    "select id, count(*) filter (where kind in ('RENEW', 'UPGRADE')) as renewals from t group by id"
)
CODES_BEFORE: Rows = [
    {"id": f"a{i}", "kind": k} for i, k in enumerate(["RENEW", "CANCEL", "UPGRADE", "RENEW"])
]


def _codes_check(new_kinds: list[str], model: str = CODES_MODEL) -> tuple[bool, str]:
    contract = Contract(
        dataset="t",
        fields=[
            ContractField(name="id", type="string"),
            ContractField(name="kind", type="string"),
        ],
    )
    after: Rows = [{"id": f"b{i}", "notificationKind": k} for i, k in enumerate(new_kinds)]
    patched = model.replace("kind in", "notificationKind in").replace(
        "id, kind", "id, notificationKind as kind"
    )
    return _check(model, patched, CODES_BEFORE, after, contract)


def test_refuses_a_successor_that_brings_codes_the_models_never_compared() -> None:
    passed, detail = _codes_check(["RENEW", "SUBSCRIBED", "REFUND", "UPGRADE"])
    assert not passed
    assert "never met (['REFUND', 'SUBSCRIBED'])" in detail


def test_accepts_a_successor_whose_codes_are_known_to_the_models_or_the_old_events() -> None:
    passed, detail = _codes_check(["RENEW", "CANCEL", "UPGRADE", "UPGRADE"])
    assert passed, detail


def test_new_values_of_a_field_the_models_only_carry_are_no_codes() -> None:
    model = "select id, kind from t"
    passed, detail = _codes_check(["RENEW", "SUBSCRIBED", "REFUND", "UPGRADE"], model)
    assert passed, detail


# a declared key's successor is judged as an opaque identifier


def test_accepts_a_key_successor_written_with_other_marks_and_refuses_a_plain_field() -> None:
    before: Rows = [{"place_id": f"ChIJN1t_tDeu{i}", "n": i} for i in range(4)]
    after: Rows = [{"id": f"ChIJ3S-JXmau{i}", "n": i} for i in range(4)]
    keyed = Contract(
        dataset="t", key="place_id", fields=[ContractField(name="place_id", type="string")]
    )
    plain = Contract(dataset="t", fields=[ContractField(name="place_id", type="string")])
    model, patched = "select place_id, n from t", "select id as place_id, n from t"
    passed, detail = _check(model, patched, before, after, keyed)
    assert passed, detail
    passed, detail = _check(model, patched, before, after, plain)
    assert not passed and "never writes '_'" in detail


# the range the contract declares for the old field


def test_refuses_a_successor_outside_the_range_the_contract_declares() -> None:
    contract = Contract(
        dataset="t",
        fields=[
            ContractField(name="lat", type="number", min=-90, max=90),
            ContractField(name="lng", type="number", min=-180, max=180),
        ],
    )
    before: Rows = [{"k": i, "lat": -33.8 - i / 10, "lng": 151.2 + i / 10} for i in range(4)]
    after: Rows = [
        {"k": i, "location": {"latitude": -33.9 + i / 10, "longitude": 151.1 + i / 10}}
        for i in range(4)
    ]
    model = "select k, lat, lng from t"
    swapped = "select k, location.longitude as lat, location.latitude as lng from t"
    passed, detail = _check(model, swapped, before, after, contract)
    assert not passed and "outside the range [-90, 90] the contract declares for lat" in detail
    right = "select k, location.latitude as lat, location.longitude as lng from t"
    passed, detail = _check(model, right, before, after, contract)
    assert passed, detail
