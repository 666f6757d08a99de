"""Tests that the columnar screen never lets a violating event through."""

from __future__ import annotations

import random

import orjson

from core.contracts import Contract
from tools.contracts.check import ContractChecker, check_batch, check_decoded
from tools.contracts.screen import contract_suspects
from tools.profiling.profile_batch import decode_events, profile_batch, profile_decoded

CONTRACT = Contract(
    dataset="orders",
    fields=[
        {"name": "order_id", "type": "string", "required": True},
        {"name": "amount", "type": "integer", "min": 0, "max": 1000},
        {"name": "price", "type": "number", "min": 0.5},
        {"name": "status", "type": "string", "enum": ["placed", "shipped"]},
        {"name": "level", "type": "integer", "enum": [1, 2, True]},
        {"name": "created_at", "type": "timestamp", "required": True},
        {"name": "day", "type": "date"},
        {"name": "paid", "type": "boolean"},
        {"name": "tags", "type": "array"},
        {"name": "labels", "type": "array", "enum": ["a"]},
        {"name": "address.city", "type": "string", "required": True},
        {"name": "address.geo.lat", "type": "number", "max": 90},
        {"name": "meta", "type": "object"},
        {"name": "ship", "type": "object", "required": True},
    ],
)
KEYS = [*CONTRACT.field_names, "coupon", "a.b", "ship.x", "geo", "lat", "geo.lat", "city", ""]
VALUES: list[object] = [
    None, 0, -1, 5, 1001, 2.0, 0.25, 91.5, True, False, "o1", "placed", "lost", "7",
    "2026-01-01T10:00:00Z", "2026-01-01", "2026-01-01\n", "yesterday", 1767225600, 1.5e12,
    [], ["a"], ["c"], [1, {"x": 1}], {}, {"x": 1}, {"city": "Paris"}, {"geo": {"lat": 91}},
    {"lat": 45.0}, {"": {"x": 1}}, {"city.x": 1}, {"city": {"x": 1}}, {"x": {}}, {"x": {"y": 2}},
]  # fmt: skip


def _random_value(rng: random.Random, depth: int) -> object:
    if depth < 2 and rng.random() < 0.2:
        return {rng.choice(KEYS): _random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}
    return rng.choice(VALUES)


def _conforming(rng: random.Random, n: int) -> dict[str, object]:
    return {
        "order_id": f"o{n}",
        "amount": rng.randint(0, 1000),
        "price": rng.choice([0.5, 3, 9.99]),
        "status": rng.choice(["placed", "shipped"]),
        "level": rng.choice([1, 2]),
        "created_at": rng.choice(["2026-01-01T10:00:00Z", 1767225600, "2026-01-02"]),
        "day": "2026-01-01",
        "paid": rng.random() < 0.5,
        "tags": rng.choice([["a"], ["b"]]),
        "address": {"city": "Paris", "geo": {"lat": 45.5}},
        "meta": {"anything": [1]},
        "ship": {"by": "post"},
    }


def _mutated(rng: random.Random, event: dict[str, object]) -> dict[str, object]:
    for _ in range(rng.randint(0, 3)):
        where: dict[str, object] = event
        if rng.random() < 0.3 and isinstance(event.get("address"), dict):
            where = event["address"]  # type: ignore[assignment]
        if rng.random() < 0.3 and where:
            del where[rng.choice(list(where))]
        else:
            where[rng.choice(KEYS)] = _random_value(rng, 0)
    return event


def test_batches_judge_every_event_as_the_per_event_check_does() -> None:
    rng = random.Random(7)
    checker = ContractChecker(CONTRACT)
    for batch in range(300):
        size = rng.choice([1, 5, 40])
        share = rng.choice([0.0, 0.05, 0.5, 1.0])
        events = [
            _mutated(rng, _conforming(rng, n)) if rng.random() < share else _conforming(rng, n)
            for n in range(size)
        ]
        expected = [checker.check(event) for event in events]
        assert check_batch(CONTRACT, events) == expected, f"batch {batch}"


def test_conforming_batch_leaves_no_suspects() -> None:
    rng = random.Random(1)
    events = [_conforming(rng, n) for n in range(200)]
    assert contract_suspects(ContractChecker(CONTRACT), events) == set()


def test_suspects_are_the_violating_rows_of_a_mixed_batch() -> None:
    rng = random.Random(2)
    events = [_conforming(rng, n) for n in range(6)]
    events[1]["amount"] = -5
    events[3]["coupon"] = "x"
    events[4]["address"] = {"city": None}
    assert contract_suspects(ContractChecker(CONTRACT), events) == {1, 3, 4}


def test_tricky_shapes_are_judged_as_the_per_event_check_does() -> None:
    rng = random.Random(3)
    checker = ContractChecker(CONTRACT)
    tricky: list[dict[str, object]] = [
        {"ship": {"x": {}}},
        {"ship": {"x": {"y": 1}}},
        {"address.geo.lat": 1},
        {"address": {"city": "Nice", "geo": {"lat": 95}}},
        {"address": {"geo.lat": 95}},
        {"address": "Paris"},
        {"amount": 2.0},
        {"amount": 2.5},
        {"amount": True},
        {"created_at": "2026-01-01\n"},
        {"labels": ["a"]},
        {"meta": {}},
    ]
    events = []
    for n, change in enumerate(tricky):
        event = _conforming(rng, n)
        event.update(change)  # type: ignore[arg-type]
        events.append(event)
    assert check_batch(CONTRACT, events) == [checker.check(event) for event in events]


def test_a_dotted_key_seen_first_does_not_hide_the_nested_path_it_spells() -> None:
    rng = random.Random(4)
    first = {"address.geo.lat": 1, **_conforming(rng, 0)}
    second = _conforming(rng, 1)
    second["address"] = {"city": "Nice", "geo": {"lat": 95}}

    [_, found] = check_batch(CONTRACT, [first, second])

    assert [(v.field, v.rule) for v in found] == [("address.geo.lat", "above_max")]


def test_checking_a_batch_first_leaves_its_profile_unchanged() -> None:
    rng = random.Random(5)
    checker = ContractChecker(CONTRACT)
    spelled = [{**_conforming(rng, 0), "ship.x": "text"}, {**_conforming(rng, 1), "ship": {"x": 1}}]
    batches = [
        spelled,
        *([_mutated(rng, _conforming(rng, n)) for n in range(30)] for _ in range(60)),
    ]
    for events in batches:
        raw = [orjson.dumps(event) for event in events]
        decoded, indices, rejects = decode_events(raw)
        check_decoded(checker, decoded, indices, rejects, len(raw))
        shared = profile_decoded(decoded, indices, rejects, event_time="created_at")
        alone = profile_decoded(list(decoded), indices, rejects, event_time="created_at")
        assert shared == alone == profile_batch(raw, event_time="created_at")
