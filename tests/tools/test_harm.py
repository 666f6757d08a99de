"""Whether the models absorb a new value or a repeated key, judged from lineage and replay."""

from __future__ import annotations

import pytest

from core.contracts import Contract, Pipeline
from tools.healing.harm import new_values_flow_through, repeated_keys_absorbed
from tools.lineage.graph import build_lineage

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
