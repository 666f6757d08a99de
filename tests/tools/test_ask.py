"""The deterministic interpreter of lineage questions."""

from __future__ import annotations

import pytest

from core.contracts import Contract, Pipeline
from tools.lineage.graph import LineageGraph, build_lineage
from tools.lineage.questions import interpret, parse_question

CLICKS = Contract(
    dataset="clicks",
    owner="web-team",
    fields=[
        {"name": "user_id", "type": "integer"},
        {"name": "page", "type": "string"},
        {"name": "ts", "type": "timestamp"},
        {"name": "bot", "type": "boolean"},
    ],
)
GRAPH: LineageGraph = build_lineage(
    Pipeline(
        dialect="spark",
        models={
            "stg_clicks": (
                "select user_id as uid, page, cast(ts as date) as day from clicks where not bot"
            ),
            "page_views": (
                "select page, day, count(distinct uid) as visitors from stg_clicks"
                " group by page, day"
            ),
        },
    ),
    {"clicks": CLICKS},
    [{"name": "traffic_board", "owner": "growth", "depends_on": ["page_views.visitors"]}],
)


@pytest.mark.parametrize(
    ("question", "intent", "phrases"),
    [
        ("Where does page_views.visitors come from?", "upstream", ["page_views.visitors"]),
        ("what breaks if clicks.user_id is renamed?", "impact", ["clicks.user_id"]),
        ("Who reads stg_clicks.uid?", "downstream", ["stg_clicks.uid"]),
        ("Which topics feed the traffic board?", "topics", ["traffic board"]),
        ("who owns `clicks`?", "owners", ["clicks"]),
        ("path from clicks.ts to traffic_board", "path", ["clicks.ts", "traffic_board"]),
        ("Tell me a joke", "unknown", []),
    ],
)
def test_parses_the_common_question_shapes(question: str, intent: str, phrases: list[str]) -> None:
    assert parse_question(question) == (intent, phrases)


def test_upstream_separates_derivations_from_dependencies_and_cites_paths() -> None:
    answer = interpret("where does page_views.visitors come from?", GRAPH)
    assert answer.understood and answer.intent == "upstream"
    assert answer.text == (
        "page_views.visitors is derived from clicks.user_id (aggregate). It also depends on "
        "clicks.bot (filter), clicks.page (group_by) and clicks.ts (group_by)."
    )
    assert "clicks.user_id -[direct]-> stg_clicks.uid -[aggregate]-> page_views.visitors" in (
        answer.citations
    )


def test_impact_of_a_filter_column_reaches_every_model_and_exposure_owner() -> None:
    answer = interpret("What breaks if clicks.bot is removed?", GRAPH)
    assert answer.intent == "impact"
    assert "the models stg_clicks and page_views" in answer.text
    assert "traffic_board (owner growth)" in answer.text
    assert all(c.startswith("clicks.bot -[filter]->") for c in answer.citations)


def test_downstream_lists_readers_and_exposures() -> None:
    answer = interpret("who reads stg_clicks.uid?", GRAPH)
    assert answer.text == (
        "stg_clicks.uid is read by page_views.visitors (aggregate); "
        "it reaches the exposure traffic_board."
    )


def test_topics_feeding_an_exposure_named_in_words() -> None:
    answer = interpret("Which topics feed the traffic board?", GRAPH)
    assert answer.text.startswith("traffic_board is fed by the topic clicks (fields clicks.bot, ")
    assert "clicks" in answer.entities


def test_owners_fall_back_to_producers_and_consumers() -> None:
    assert interpret("who owns the clicks topic?", GRAPH).text == "clicks is owned by web-team."
    text = interpret("who owns stg_clicks.day?", GRAPH).text
    assert "owned by web-team" in text and "owned by growth" in text


def test_path_between_two_columns_in_either_order() -> None:
    answer = interpret("path from traffic_board to clicks.ts", GRAPH)
    assert answer.citations == [
        "clicks.ts -[cast]-> stg_clicks.day -[group_by]-> page_views.visitors"
        " -[exposure]-> traffic_board"
    ]
    none = interpret("path from clicks.page to stg_clicks.uid", GRAPH)
    assert none.text == "No lineage path connects clicks.page and stg_clicks.uid."


def test_unknown_entity_is_said_not_to_exist_with_close_names() -> None:
    answer = interpret("where does clicks.user_uuid come from?", GRAPH)
    assert not answer.understood
    assert answer.missing == ["clicks.user_uuid"]
    assert answer.text.startswith("clicks.user_uuid does not exist in the lineage graph")
    assert "clicks.user_id" in answer.text
    assert answer.citations == []


def test_question_it_cannot_parse_says_so() -> None:
    answer = interpret("Is the pipeline healthy today?", GRAPH)
    assert not answer.understood
    assert answer.text.startswith("I cannot answer that without a language model.")
