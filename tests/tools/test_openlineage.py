"""OpenLineage run events of a lineage graph."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.contracts import Contract, Pipeline
from tools.lineage.graph import build_lineage
from tools.lineage.openlineage import COLUMN_LINEAGE_FACET, openlineage_events

ORDERS = Contract(
    dataset="orders",
    fields=[
        {"name": "cust_id", "type": "integer"},
        {"name": "amount_cents", "type": "integer"},
        {"name": "status", "type": "string"},
    ],
)
PIPELINE = Pipeline(
    models={
        "stg": "select cust_id, amount_cents / 100.0 as amount from orders where status = 'ok'",
        "totals": "select cust_id, sum(amount) as total from stg group by cust_id",
    }
)


def _events() -> list[dict[str, Any]]:
    graph = build_lineage(PIPELINE, {"orders": ORDERS})
    events = openlineage_events(
        graph,
        namespace="shop",
        topic_namespace="kafka://broker:9092",
        event_time=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return [e.model_dump(by_alias=True, mode="json") for e in events]


def test_one_complete_event_per_model_in_run_order() -> None:
    events = _events()
    assert [(e["eventType"], e["job"]) for e in events] == [
        ("COMPLETE", {"namespace": "shop", "name": "stg"}),
        ("COMPLETE", {"namespace": "shop", "name": "totals"}),
    ]
    assert events[0]["eventTime"] == "2026-01-01T00:00:00Z"
    assert events[0]["run"]["runId"] != events[1]["run"]["runId"]


def test_topics_are_inputs_in_their_own_namespace() -> None:
    stg, totals = _events()
    assert stg["inputs"] == [{"namespace": "kafka://broker:9092", "name": "orders", "facets": {}}]
    assert totals["inputs"] == [{"namespace": "shop", "name": "stg", "facets": {}}]


def test_column_lineage_facet_names_fields_and_transformations() -> None:
    stg = _events()[0]
    [output] = stg["outputs"]
    facet = output["facets"]["columnLineage"]
    assert facet["_schemaURL"] == COLUMN_LINEAGE_FACET
    assert [f["name"] for f in output["facets"]["schema"]["fields"]] == ["amount", "cust_id"]
    amount = facet["fields"]["amount"]["inputFields"]
    assert [
        (f["name"], f["field"], [(t["type"], t["subtype"]) for t in f["transformations"]])
        for f in amount
    ] == [
        ("orders", "amount_cents", [("DIRECT", "TRANSFORMATION")]),
        ("orders", "status", [("INDIRECT", "FILTER")]),
    ]


def test_aggregates_and_groupings_are_told_apart() -> None:
    totals = _events()[1]
    fields = totals["outputs"][0]["facets"]["columnLineage"]["fields"]
    subtypes = {
        (f["field"], t["subtype"])
        for f in fields["total"]["inputFields"]
        for t in f["transformations"]
    }
    assert subtypes == {("amount", "AGGREGATION"), ("cust_id", "GROUP_BY")}
