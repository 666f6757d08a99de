"""Whether the models absorb a new value or a repeated key, judged from lineage and replay."""

from __future__ import annotations

import pytest

from core.contracts import Contract, Pipeline
from core.models import FieldMapping, SchemaMapping
from tools.healing.harm import (
    change_absorbed,
    invariants_broken,
    new_values_flow_through,
    repeated_keys_absorbed,
)
from tools.lineage.graph import build_lineage
from tools.sql.patch import apply_mapping

PLAYS = Contract.model_validate(
    {
        "dataset": "plays",
        "key": "id",
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "device", "type": "string"},
            {"name": "seconds", "type": "integer"},
        ],
    }
)


@pytest.mark.parametrize(
    ("model", "flows"),
    [
        ("select device, sum(seconds) as s from plays group by device", True),
        ("select id, upper(device) as device from plays", False),
        ("select sum(case when device = 'tv' then seconds else 0 end) as tv from plays", False),
        ("select id from plays where device <> 'bot'", False),
        ("select p.id, d.label from plays as p join devices as d on d.device = p.device", False),
    ],
)
def test_a_new_value_flows_through_only_where_it_is_plain_data(model: str, flows: bool) -> None:
    models = {"m": model, "devices": "select 'tv' as device, 'Television' as label"}
    pipeline = Pipeline(models=models)
    graph = build_lineage(pipeline, {"plays": PLAYS})
    assert new_values_flow_through(graph, pipeline, "plays", "device") is flows


EVENTS = [
    {"id": "a", "device": "tv", "seconds": 3},
    {"id": "a", "device": "tv", "seconds": 3},
    {"id": "b", "device": "web", "seconds": 5},
]


@pytest.mark.parametrize(
    ("model", "absorbed"),
    [
        ("select distinct on (id) id, device from plays order by id", True),
        ("select id, max(seconds) as seconds from plays group by id", True),
        ("select id, device from plays", False),
        ("select device, count(*) as n from plays group by device", False),
    ],
)
def test_repeated_keys_are_absorbed_only_by_models_that_keep_them_unique(
    model: str, absorbed: bool
) -> None:
    pipeline = Pipeline(models={"stg": model})
    assert repeated_keys_absorbed(pipeline, {"plays": PLAYS}, "plays", "id", EVENTS) is absorbed


TIMES = Contract.model_validate(
    {
        "dataset": "plays",
        "key": "id",
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "at", "type": "timestamp"},
            {"name": "seconds", "type": "integer"},
        ],
    }
)


@pytest.mark.parametrize(
    ("model", "value"),
    [
        ("select distinct id, cast(at as timestamptz) as at from plays", 1786983153767),
        ("select distinct id, cast(at as timestamptz) as at from plays", -86400),
        ("select distinct id, cast(at as timestamp) as at from plays", 1786983153.5),
        ("select distinct id, cast(seconds as integer) as s from plays", "12 s"),
    ],
)
def test_models_that_cannot_read_the_repeated_events_do_not_absorb_them(
    model: str, value: object
) -> None:
    events = [
        {"id": "a", "at": value, "seconds": value},
        {"id": "a", "at": value, "seconds": value},
    ]
    pipeline = Pipeline(models={"stg": model})
    assert repeated_keys_absorbed(pipeline, {"plays": TIMES}, "plays", "id", events) is False


def _with_invariant(check: str) -> dict[str, Contract]:
    invariant = {"name": "promise", "model": "m", "check": check}
    promised = {**PLAYS.model_dump(), "invariants": [invariant]}
    return {"plays": Contract.model_validate(promised)}


PLAIN = Pipeline(models={"m": "select id, device, seconds from plays"})
KNOWN = [{"id": "a", "device": "tv", "seconds": 3}, {"id": "b", "device": "web", "seconds": 5}]


@pytest.mark.parametrize(
    ("check", "value", "broken"),
    [
        ("device in ('tv', 'web')", "car", ["promise"]),
        ("device in ('tv', 'web')", "web", []),
        ("length(device) <= 3", "smart speaker", ["promise"]),
        ("device <> 'bot'", "bot", ["promise"]),
        ("seconds >= 0", "car", []),  # a promise about another column holds
    ],
)
def test_a_new_value_that_breaks_an_output_promise_is_not_absorbed(
    check: str, value: str, broken: list[str]
) -> None:
    contracts = _with_invariant(check)
    assert invariants_broken(PLAIN, contracts, "plays", "device", [value], KNOWN) == broken


def test_a_promise_already_broken_before_the_change_is_not_blamed_on_the_new_value() -> None:
    contracts = _with_invariant("device = 'tv'")  # 'web' broke it before any new value came
    assert invariants_broken(PLAIN, contracts, "plays", "device", ["car"], KNOWN) == []


def test_a_new_value_the_models_cannot_even_read_is_a_broken_promise() -> None:
    pipeline = Pipeline(models={"m": "select id, cast(device as integer) as device from plays"})
    numeric = [{"id": "a", "device": "1", "seconds": 3}]
    broken = invariants_broken(
        pipeline, _with_invariant("device > 0"), "plays", "device", ["car"], numeric
    )
    assert len(broken) == 1 and "fail on it" in broken[0]


@pytest.mark.parametrize(
    "mart",
    [
        "select device, sum(seconds) as total from stg group by device",
        "select device, avg(seconds) as mean from stg group by device",
        "select max(seconds) - min(seconds) as spread from stg",
    ],
)
def test_repeated_keys_are_not_absorbed_by_models_that_fail_on_numbers_sent_as_text(
    mart: str,
) -> None:
    pipeline = Pipeline(models={"stg": "select distinct id, device, seconds from plays", "m": mart})
    texts = [{**e, "seconds": f"{e['seconds']:,}"} for e in EVENTS]
    assert repeated_keys_absorbed(pipeline, {"plays": PLAYS}, "plays", "id", texts) is False


METERS = Contract.model_validate(
    {
        "dataset": "meters",
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "reading", "type": "string"},
        ],
    }
)
# The producer now sends numbers where it sent their text: the fix would cast them back.
NUMBERS_NOW = [{"id": f"m{i}", "reading": 1000.5 + 37 * i} for i in range(4)]
TEXT_BACK = SchemaMapping(
    entries=[FieldMapping(source="reading", target="CAST(reading AS VARCHAR)", confidence=1.0)]
)


def _absorbed(model: str, events: list[dict[str, object]], dialect: str = "duckdb") -> bool:
    pipeline = Pipeline(dialect=dialect, models={"stg": model, "total": TOTAL})
    patches = apply_mapping(pipeline, "meters", TEXT_BACK, METERS)
    return change_absorbed(pipeline, {"meters": METERS}, "meters", patches, events)


TOTAL = "select sum(kwh) as kwh from stg"


@pytest.mark.parametrize(
    ("model", "dialect"),
    [
        ("select id, cast(reading as double) / 1000 as kwh from meters", "duckdb"),
        ("select id, cast(reading as float64) / 1000 as kwh from meters", "bigquery"),
        ("select id, reading::float / 1000 as kwh from meters", "postgres"),
        ("select id, try_cast(reading as decimal(12, 1)) / 1000 as kwh from meters", "duckdb"),
    ],
)
def test_a_type_change_is_absorbed_by_models_that_cast_the_field_to_a_number(
    model: str, dialect: str
) -> None:
    assert _absorbed(model, NUMBERS_NOW, dialect)


def test_a_model_that_outputs_the_field_as_read_does_not_absorb_its_new_type() -> None:
    model = "select id, reading, 0 as kwh from meters"
    assert not _absorbed(model, NUMBERS_NOW)


def test_a_cast_to_text_does_not_absorb_a_number_whose_text_differs() -> None:
    # 1000.50 was written with two decimals; the number reads back as '1000.5'
    model = "select id, cast(reading as varchar) as label, 0 as kwh from meters"
    events: list[dict[str, object]] = [{"id": "m1", "reading": 1000.5}]
    patched = SchemaMapping(
        entries=[FieldMapping(source="reading", target="printf('%.2f', reading)", confidence=1.0)]
    )
    pipeline = Pipeline(models={"stg": model, "total": TOTAL})
    patches = apply_mapping(pipeline, "meters", patched, METERS)
    assert not change_absorbed(pipeline, {"meters": METERS}, "meters", patches, events)


def test_models_that_fail_on_the_new_type_do_not_absorb_it() -> None:
    model = "select id, cast(substr(reading, 1, 4) as int) as kwh from meters"
    assert not _absorbed(model, NUMBERS_NOW)


def test_nothing_is_absorbed_without_a_patch_or_without_events() -> None:
    pipeline = Pipeline(models={"stg": "select id, cast(reading as double) as kwh from meters"})
    assert not change_absorbed(pipeline, {"meters": METERS}, "meters", [], NUMBERS_NOW)
    patches = apply_mapping(pipeline, "meters", TEXT_BACK, METERS)
    assert not change_absorbed(pipeline, {"meters": METERS}, "meters", patches, [])
