"""The pipeline lineage graph: topic fields -> model columns -> exposures, and its queries."""

from __future__ import annotations

import pytest

from core.contracts import Contract, Pipeline
from core.errors import ToolError
from tools.lineage.graph import Exposure, LineageGraph, build_lineage

ORDERS = Contract(
    dataset="orders",
    owner="checkout-team",
    fields=[
        {"name": "order_id", "type": "string"},
        {"name": "cust_id", "type": "integer"},
        {"name": "amount_cents", "type": "integer"},
        {"name": "status", "type": "string"},
        {"name": "ship.city", "type": "string"},
    ],
)
USERS = Contract(
    dataset="users",
    owner="identity-team",
    fields=[{"name": "id", "type": "integer"}, {"name": "country", "type": "string"}],
)
MODELS = {
    "stg_orders": (
        "select order_id, cust_id as customer_id, amount_cents / 100.0 as amount, "
        "ship.city as city from orders where status <> 'cancelled'"
    ),
    "by_country": (
        "select u.country, sum(s.amount) as revenue from stg_orders s "
        "join users u on u.id = s.customer_id group by u.country"
    ),
    "everything": "select * from stg_orders",
}
EXPOSURES: list[Exposure | dict[str, object]] = [
    {
        "name": "country_board",
        "type": "dashboard",
        "owner": "finance",
        "depends_on": ["by_country.revenue"],
    },
    Exposure(name="city_model", type="ml_feature", owner="ds", depends_on=["everything.city"]),
]


def _graph(dialect: str = "duckdb") -> LineageGraph:
    return build_lineage(
        Pipeline(dialect=dialect, models=MODELS), {"orders": ORDERS, "users": USERS}, EXPOSURES
    )


def test_models_run_in_dependency_order_and_record_what_they_read() -> None:
    graph = _graph()
    assert graph.model_order.index("stg_orders") < graph.model_order.index("by_country")
    assert graph.model_reads["by_country"] == ["stg_orders", "users"]


def test_star_over_an_upstream_model_expands_to_its_columns() -> None:
    graph = _graph()
    assert graph.columns_of("everything") == [
        "everything.amount",
        "everything.city",
        "everything.customer_id",
        "everything.order_id",
    ]
    [path] = [p for p in graph.upstream("city_model") if p.start == "orders.ship.city"]
    assert path.render() == (
        "orders.ship.city -[direct]-> stg_orders.city -[direct]-> everything.city"
        " -[exposure]-> city_model"
    )


def test_upstream_reaches_topic_fields_with_the_composed_kind() -> None:
    sources = {p.start: p.kind for p in _graph().upstream("by_country.revenue")}
    assert sources["orders.amount_cents"] == "aggregate"
    assert sources["orders.cust_id"] == "join"
    assert sources["orders.status"] == "filter"
    assert sources["users.country"] == "group_by"
    assert "orders.order_id" not in sources


def test_renaming_a_join_key_reaches_models_that_never_select_it() -> None:
    impact = _graph().impact("orders", "cust_id")
    assert impact.models == ["stg_orders", "by_country", "everything"]
    assert impact.exposures == ["country_board"]
    assert [o.owner for o in impact.owners] == ["finance"]
    assert "everything.customer_id" in impact.columns


def test_models_affected_by_a_nested_parent_include_its_children() -> None:
    graph = _graph()
    assert graph.models_affected_by("orders", "ship") == ["stg_orders", "everything"]
    assert graph.models_affected_by("orders", "order_id") == ["stg_orders", "everything"]
    assert graph.models_affected_by("users", "country") == ["by_country"]


@pytest.mark.parametrize("dialect", ["duckdb", "spark", "snowflake", "bigquery", "postgres"])
def test_graph_is_the_same_in_every_dialect(dialect: str) -> None:
    assert _graph(dialect).edges == _graph("duckdb").edges


def test_owners_are_declared_or_found_up_and_downstream() -> None:
    graph = _graph()
    assert [(o.owner, o.role) for o in graph.owners("orders")] == [("checkout-team", "owner")]
    assert [(o.owner, o.role) for o in graph.owners("Country Board")] == [("finance", "owner")]
    assert {(o.owner, o.role) for o in graph.owners("by_country.revenue")} == {
        ("checkout-team", "producer"),
        ("identity-team", "producer"),
        ("finance", "consumer"),
    }


def test_path_runs_from_upstream_whatever_the_order_asked() -> None:
    graph = _graph()
    path = graph.path("country_board", "orders.amount_cents")
    assert path is not None
    assert path.render() == (
        "orders.amount_cents -[expression]-> stg_orders.amount -[aggregate]-> by_country.revenue"
        " -[exposure]-> country_board"
    )
    assert graph.path("users.id", "city_model") is None


def test_unknown_entities_are_refused_with_advice() -> None:
    with pytest.raises(ToolError, match=r"'orders\.nope' is not in the lineage graph"):
        _graph().upstream("orders.nope")


def test_exposures_on_missing_columns_are_kept_aside() -> None:
    exposures = [{"name": "old_board", "owner": "x", "depends_on": ["stg_orders.gone"]}]
    graph = build_lineage(Pipeline(models=MODELS), {"orders": ORDERS, "users": USERS}, exposures)
    assert graph.dangling == ["old_board -> stg_orders.gone"]


def test_malformed_exposures_say_which_one() -> None:
    with pytest.raises(ToolError, match="exposure #1 is malformed"):
        build_lineage(Pipeline(models=MODELS), {"orders": ORDERS}, [{"owner": "x"}])


def test_ambiguous_columns_count_as_reading_every_joined_dataset() -> None:
    pipeline = Pipeline(
        models={"m": "select cust_id, country from orders o join users u on o.cust_id = u.id"}
    )
    graph = build_lineage(pipeline, {})
    assert graph.unresolved == {"m": ["country", "cust_id"]}
    assert graph.models_affected_by("orders", "cust_id") == ["m"]


def test_exposures_reading_patched_models_include_indirect_ones() -> None:
    graph = _graph()
    assert graph.exposures_reading(["stg_orders"]) == ["city_model", "country_board"]
    assert graph.exposures_reading(["by_country"]) == ["country_board"]
    assert graph.exposures_reading([]) == []


def test_stars_over_unknown_tables_flow_as_whole_tables() -> None:
    pipeline = Pipeline(models={"a": "select * from landing", "b": "select * from a"})
    graph = build_lineage(pipeline, {})
    assert [p.render() for p in graph.upstream("b.*")] == [
        "a.* -[direct]-> b.*",
        "landing.* -[direct]-> a.* -[direct]-> b.*",
    ]


def test_a_model_reading_a_field_the_contract_lacks_still_has_lineage() -> None:
    contract = Contract.model_validate(
        {"dataset": "orders", "fields": [{"name": "cust_id", "type": "integer"}]}
    )
    pipeline = Pipeline(
        models={
            "per_customer": "select o.customer_id as cust_id, count(*) as n "
            "from orders as o group by o.customer_id"
        }
    )
    graph = build_lineage(pipeline, {"orders": contract})
    assert graph.models_affected_by("orders", "customer_id") == ["per_customer"]


def test_a_fully_qualified_topic_and_plain_model_names_live_in_one_graph() -> None:
    contract = Contract.model_validate(
        {
            "dataset": "dbserver1.public.customers",
            "fields": [{"name": "id", "type": "integer"}, {"name": "email", "type": "string"}],
        }
    )
    pipeline = Pipeline(
        models={
            "stg_customers": "select * from dbserver1.public.customers",
            "emails": "select email from stg_customers",
        }
    )
    graph = build_lineage(pipeline, {contract.dataset: contract})
    assert graph.models_affected_by("dbserver1.public.customers", "email") == [
        "stg_customers",
        "emails",
    ]


def test_unquoted_references_find_contract_fields_whatever_their_case() -> None:
    contract = Contract.model_validate(
        {"dataset": "web_events", "fields": [{"name": "sessionId", "type": "string"}]}
    )
    pipeline = Pipeline(
        dialect="bigquery", models={"stg": "select sessionId as session_id from web_events"}
    )
    graph = build_lineage(pipeline, {"web_events": contract})
    assert graph.models_affected_by("web_events", "sessionId") == ["stg"]
    assert "web_events.sessionid" not in graph.nodes
