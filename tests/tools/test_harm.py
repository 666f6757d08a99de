"""Whether the models absorb a new value or a repeated key, judged from lineage and replay."""

from __future__ import annotations

import pytest

from core.contracts import Contract, Pipeline
from tools.healing.harm import invariants_broken, new_values_flow_through, repeated_keys_absorbed
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
