"""The codes the models give meaning to, and the new values a substitute brings among them."""

from __future__ import annotations

import pytest

from core.contracts import Contract, Pipeline
from tools.healing.codes import compared_literals, unmapped_codes
from tools.lineage.graph import build_lineage

TICKETS = Contract.model_validate(
    {
        "dataset": "tickets",
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "state", "type": "string", "enum": ["open", "closed", "merged"]},
            {"name": "meta.kind", "type": "string"},
        ],
    }
)


def _literals(models: dict[str, str], field: str = "state") -> frozenset[str]:
    pipeline = Pipeline(models=models)
    graph = build_lineage(pipeline, {"tickets": TICKETS})
    return compared_literals(graph, pipeline, "tickets", field)


@pytest.mark.parametrize(
    ("model", "codes"),
    [
        ("select id from tickets where state in ('open', 'merged')", {"open", "merged"}),
        ("select count(*) filter (where state = 'closed') as n from tickets", {"closed"}),
        ("select case when state <> 'open' then 1 else 0 end as done from tickets", {"open"}),
        ("select id, state from tickets", set()),
        ("select state, count(*) as n from tickets group by state", set()),
    ],
)
def test_the_literals_a_model_compares_the_field_with_are_its_codes(
    model: str, codes: set[str]
) -> None:
    assert _literals({"m": model}) == codes


def test_codes_compared_downstream_of_a_renaming_model_count() -> None:
    models = {
        "stg": "select id, state as ticket_state from tickets",
        "open_tickets": "select id from stg where ticket_state = 'reopened'",
    }
    assert _literals(models) == {"reopened"}


def test_codes_of_a_nested_field_are_found_by_its_leaf() -> None:
    models = {"m": "select id from tickets where meta.kind in ('bug', 'task')"}
    assert _literals(models, "meta.kind") == {"bug", "task"}


def test_values_outside_the_codes_the_old_values_and_the_enum_are_unmapped() -> None:
    before = [{"state": "open"}, {"state": "wontfix"}]
    computed = ["open", "wontfix", "merged", "triaged", None, "triaged", 3]
    found = unmapped_codes("state", computed, frozenset({"closed"}), before, TICKETS)
    assert found == ["triaged"]


def test_nothing_is_unmapped_where_the_models_compare_with_no_code() -> None:
    assert unmapped_codes("state", ["triaged"], frozenset(), [], TICKETS) == []
