"""Lineage questions answered by a tool-calling model (the fake OpenAI server) or by the rules."""

from __future__ import annotations

import json

from tenacity import wait_none

from agents.edges.llm import OpenAILLM
from agents.edges.llm_fake import ScriptedLLM
from agents.lineage_agent import MAX_STEPS, answer
from core.contracts import Contract, Pipeline
from core.errors import LLMOutputError
from core.ports import ToolCall, Turn
from tests.fixtures.fake_openai import FakeOpenAI
from tools.lineage.graph import LineageGraph, build_lineage

PAYMENTS = Contract(
    dataset="payments",
    owner="billing-team",
    fields=[
        {"name": "payment_id", "type": "string"},
        {"name": "account", "type": "integer"},
        {"name": "cents", "type": "integer"},
    ],
)
GRAPH: LineageGraph = build_lineage(
    Pipeline(
        dialect="postgres",
        models={
            "account_totals": (
                "select account, sum(cents) / 100.0 as total from payments group by account"
            )
        },
    ),
    {"payments": PAYMENTS},
    [{"name": "ledger_board", "owner": "finance", "depends_on": ["account_totals.total"]}],
)


def _model(fake: FakeOpenAI) -> OpenAILLM:
    """The production adapter over the fake endpoint: the real langchain/openai code path."""
    return OpenAILLM(fake.settings(), wait=wait_none())


async def test_model_answers_from_tool_results_and_cites_their_paths(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.enqueue_tool_calls([{"name": "upstream", "arguments": {"entity": "ledger_board"}}])
    fake_openai.enqueue_content(
        "ledger_board shows account_totals.total, an aggregate of payments.cents."
    )
    result = await answer("Where do the ledger numbers come from?", GRAPH, _model(fake_openai))
    fake_openai.assert_complete()
    assert result.origin == "llm"
    assert result.text == "ledger_board shows account_totals.total, an aggregate of payments.cents."
    assert result.citations == [
        "payments.account -[group_by]-> account_totals.total -[exposure]-> ledger_board",
        "payments.cents -[aggregate]-> account_totals.total -[exposure]-> ledger_board",
    ]
    first, second = fake_openai.requests
    assert {t["function"]["name"] for t in first["tools"]} >= {"upstream", "impact", "path"}
    tool_reply = json.loads(second["messages"][-1]["content"])
    assert tool_reply["found"] is True
    assert tool_reply["paths"] == result.citations


async def test_invented_entity_is_said_not_to_exist(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue_tool_calls(
        [{"name": "impact", "arguments": {"entity": "payments.customer_uuid"}}]
    )
    fake_openai.enqueue_content("Renaming it breaks payments.customer_uuid_v2 and fraud_scores.x.")
    result = await answer(
        "what breaks if payments.customer_uuid is renamed?", GRAPH, _model(fake_openai)
    )
    fake_openai.assert_complete()
    tool_reply = json.loads(fake_openai.requests[1]["messages"][-1]["content"])
    assert tool_reply["found"] is False
    assert "payments.customer_uuid does not exist" in tool_reply["answer"]
    assert not result.understood
    assert result.text.startswith(
        "fraud_scores.x, payments.customer_uuid_v2 do not exist in the lineage graph"
    )
    assert result.missing == [
        "fraud_scores.x",
        "payments.customer_uuid",
        "payments.customer_uuid_v2",
    ]


async def test_several_tool_calls_and_a_bad_one_are_all_answered(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue_tool_calls(
        [
            {"name": "owners", "arguments": {"entity": "ledger_board"}},
            {"name": "drop_table", "arguments": {"entity": "payments"}},
            {"name": "path", "arguments": '{"source": "payments.cents"'},
        ]
    )
    fake_openai.enqueue_content("ledger_board is owned by finance.")
    result = await answer("who owns ledger_board?", GRAPH, _model(fake_openai))
    fake_openai.assert_complete()
    replies = [m for m in fake_openai.requests[1]["messages"] if m["role"] == "tool"]
    assert [json.loads(m["content"]).keys() for m in replies][:2] == [
        {"found", "answer", "paths"},
        {"error"},
    ]
    assert "not valid JSON" in replies[2]["content"]
    assert result.text == "ledger_board is owned by finance."
    assert result.entities == ["finance", "ledger_board"]


async def test_model_failure_falls_back_to_the_rules(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue_error(400, "model not found")
    result = await answer("who reads payments.cents?", GRAPH, _model(fake_openai))
    fake_openai.assert_complete()
    assert result.origin == "rules"
    assert result.text.startswith("payments.cents is read by account_totals.total (aggregate)")
    assert result.text.endswith("(The language model was unavailable, so the rules answered.)")


async def test_without_a_model_the_rules_answer_and_refuse_unknown_names() -> None:
    result = await answer("who owns payments.refund_id?", GRAPH, None)
    assert result.origin == "rules"
    assert result.missing == ["payments.refund_id"]
    assert result.text.startswith("payments.refund_id does not exist in the lineage graph")


async def test_a_model_that_never_stops_calling_tools_is_cut_off_and_the_rules_answer() -> None:
    looping = Turn(
        role="assistant",
        tool_calls=[ToolCall(id="c", name="find_entities", arguments={"contains": "pay"})],
    )
    llm = ScriptedLLM(*[looping] * MAX_STEPS)
    result = await answer("who reads payments.cents?", GRAPH, llm)
    llm.assert_complete()
    assert result.origin == "rules"
    assert result.text.endswith(f"(The language model did not finish within {MAX_STEPS} steps.)")
    # Every call was answered before the next turn: the model saw the tool results.
    last = llm.conversations[-1]
    assert [t.role for t in last[-2:]] == ["assistant", "tool"]
    assert json.loads(last[-1].content)["names"] == ["payments"] + [
        n for n in sorted(GRAPH.entities()) if "pay" in n and n != "payments"
    ]


async def test_unreadable_model_output_falls_back_to_the_rules() -> None:
    llm = ScriptedLLM(LLMOutputError("not a message"))
    result = await answer("who reads payments.cents?", GRAPH, llm)
    assert result.origin == "rules"
    assert "rules answered" in result.text
