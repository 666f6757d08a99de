"""Tests of the OpenAI-compatible LLM adapter, against the fake OpenAI server."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, ConfigDict, Field
from tenacity import wait_none

from agents.edges.llm import (
    OpenAILLM,
    StructuredOutputMethod,
    build_llm,
    parse_output,
)
from core.errors import LLMOutputError, LLMRejectedError, LLMUnavailableError
from core.ports import Prompt, ToolSpec, Turn
from tests.fixtures.fake_openai import FakeOpenAI

METHODS: list[StructuredOutputMethod] = ["json_schema", "function_calling"]


class Mapping(BaseModel):
    """A field mapping the model proposes."""

    model_config = ConfigDict(extra="forbid")

    target: str = Field(description="New field name.")
    confidence: float = Field(ge=0, le=1, description="How sure, 0..1.")


PROMPT = Prompt(name="infer_mapping", version=2, system="You map fields.", user="cust_id is gone")


def _llm(fake: FakeOpenAI, method: StructuredOutputMethod, attempts: int = 3) -> OpenAILLM:
    return OpenAILLM(fake.settings(max_attempts=attempts), method=method, wait=wait_none())


def _enqueue_answer(fake: FakeOpenAI, method: StructuredOutputMethod, raw: str) -> None:
    if method == "function_calling":
        fake.enqueue_tool_calls([{"name": "Mapping", "arguments": raw}])
    else:
        fake.enqueue_content(raw)


@pytest.mark.parametrize("method", METHODS)
async def test_parses_structured_output_and_sends_the_prompt(
    fake_openai: FakeOpenAI, method: StructuredOutputMethod
) -> None:
    _enqueue_answer(fake_openai, method, json.dumps({"target": "customer_id", "confidence": 0.9}))
    llm = _llm(fake_openai, method)
    answer = await llm.complete(PROMPT, Mapping)
    assert answer == Mapping(target="customer_id", confidence=0.9)
    [request] = fake_openai.requests
    assert request["messages"] == [
        {"role": "system", "content": "You map fields."},
        {"role": "user", "content": "cust_id is gone"},
    ]
    assert request["model"] == "fake-model"
    if method == "json_schema":
        assert request["response_format"]["type"] == "json_schema"
        assert "target" in request["response_format"]["json_schema"]["schema"]["properties"]
    else:
        assert request["tools"][0]["function"]["name"] == "Mapping"
        assert "target" in request["tools"][0]["function"]["parameters"]["properties"]
    assert [(c.prompt, c.output, c.attempts) for c in llm.calls] == [
        ("infer_mapping", "Mapping", 1)
    ]
    fake_openai.assert_complete()


@pytest.mark.parametrize("status", [500, 429])
async def test_retries_a_server_error_then_succeeds(fake_openai: FakeOpenAI, status: int) -> None:
    fake_openai.enqueue_error(status)
    fake_openai.enqueue_json({"target": "customer_id", "confidence": 1.0})
    llm = _llm(fake_openai, "json_schema")
    answer = await llm.complete(PROMPT, Mapping)
    assert answer.target == "customer_id"
    assert len(fake_openai.requests) == 2
    assert llm.calls[0].attempts == 2
    fake_openai.assert_complete()


async def test_gives_up_after_max_attempts_of_server_errors(fake_openai: FakeOpenAI) -> None:
    for _ in range(3):
        fake_openai.enqueue_error(500)
    llm = _llm(fake_openai, "json_schema", attempts=3)
    with pytest.raises(LLMUnavailableError, match="unavailable"):
        await llm.complete(PROMPT, Mapping)
    assert len(fake_openai.requests) == 3
    assert llm.calls[0].attempts == 3
    fake_openai.assert_complete()


async def test_does_not_retry_a_rejected_request(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue_error(400, "model not found")
    llm = _llm(fake_openai, "json_schema")
    with pytest.raises(LLMRejectedError, match="HTTP 400") as caught:
        await llm.complete(PROMPT, Mapping)
    assert not caught.value.retriable
    assert len(fake_openai.requests) == 1
    fake_openai.assert_complete()


async def test_unreachable_endpoint_is_unavailable(fake_openai: FakeOpenAI) -> None:
    settings = fake_openai.settings(base_url="http://127.0.0.1:9/v1", max_attempts=2)
    llm = OpenAILLM(settings, wait=wait_none())
    with pytest.raises(LLMUnavailableError):
        await llm.complete(PROMPT, Mapping)
    assert llm.calls[0].attempts == 2


@pytest.mark.parametrize("method", METHODS)
async def test_malformed_json_is_an_output_error_keeping_the_raw_answer(
    fake_openai: FakeOpenAI, method: StructuredOutputMethod
) -> None:
    _enqueue_answer(fake_openai, method, '{"target": "customer_id", "confidence": ')
    llm = _llm(fake_openai, method)
    with pytest.raises(LLMOutputError) as caught:
        await llm.complete(PROMPT, Mapping)
    assert caught.value.raw.startswith('{"target": "customer_id"')
    assert len(fake_openai.requests) == 1
    fake_openai.assert_complete()


async def test_answer_of_the_wrong_shape_is_an_output_error(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue_json({"target": "customer_id", "confidence": 7})
    with pytest.raises(LLMOutputError, match="confidence"):
        await _llm(fake_openai, "json_schema").complete(PROMPT, Mapping)


def test_parse_output_reads_json_inside_a_markdown_fence() -> None:
    raw = '```json\n{"target": "customer_id", "confidence": 0.5}\n```'
    assert parse_output(raw, Mapping) == Mapping(target="customer_id", confidence=0.5)


def test_parse_output_reads_json_after_a_sentence() -> None:
    raw = 'Here it is: {"target": "x", "confidence": 0.5} hope that helps'
    assert parse_output(raw, Mapping).target == "x"


def test_parse_output_refuses_an_empty_answer() -> None:
    with pytest.raises(LLMOutputError, match="empty"):
        parse_output("  ", Mapping)


def test_parse_output_refuses_extra_fields() -> None:
    with pytest.raises(LLMOutputError) as caught:
        parse_output('{"target": "x", "confidence": 1, "why": "?"}', Mapping)
    assert "why" in str(caught.value)
    assert caught.value.raw.endswith('"why": "?"}')


def test_build_llm_without_endpoint_is_none(fake_openai: FakeOpenAI) -> None:
    assert build_llm(fake_openai.settings(base_url=None)) is None
    assert isinstance(build_llm(fake_openai.settings()), OpenAILLM)


async def test_converse_sends_tools_and_the_conversation_and_reads_tool_calls(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.enqueue_tool_calls(
        [
            {"name": "lookup", "arguments": {"entity": "a"}, "id": "c1"},
            {"name": "lookup", "arguments": '{"entity": ', "id": "c2"},
        ]
    )
    fake_openai.enqueue_content("done")
    llm = OpenAILLM(fake_openai.settings(), wait=wait_none())
    tool = ToolSpec(
        name="lookup",
        description="find an entity",
        parameters={"type": "object", "properties": {"entity": {"type": "string"}}},
    )
    turns = [Turn(role="system", content="be brief"), Turn(role="user", content="which?")]
    first = await llm.converse(turns, [tool])
    assert [(c.id, c.name, c.arguments, c.error is None) for c in first.tool_calls] == [
        ("c1", "lookup", {"entity": "a"}, True),
        ("c2", "lookup", {}, False),
    ]
    answers = [Turn(role="tool", content='{"ok": 1}', tool_call_id=c.id) for c in first.tool_calls]
    second = await llm.converse([*turns, first, *answers], [tool])
    assert second == Turn(role="assistant", content="done")
    fake_openai.assert_complete()
    sent = fake_openai.requests[1]
    assert sent["tools"][0]["function"]["name"] == "lookup"
    assert [m["role"] for m in sent["messages"]] == ["system", "user", "assistant", "tool", "tool"]
    # Both calls go back (the bad one too): OpenAI refuses a tool reply to an unknown call id.
    assert [c["id"] for c in sent["messages"][2]["tool_calls"]] == ["c1", "c2"]
    assert [m["tool_call_id"] for m in sent["messages"][3:]] == ["c1", "c2"]
    assert [c.output for c in llm.calls] == ["Turn", "Turn"]


async def test_converse_retries_an_unavailable_endpoint_and_gives_up_on_a_refusal(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.enqueue_error(503, "busy")
    fake_openai.enqueue_content("ok")
    llm = OpenAILLM(fake_openai.settings(), wait=wait_none())
    assert (await llm.converse([Turn(role="user", content="hi")], [])).content == "ok"
    assert llm.calls[-1].attempts == 2
    fake_openai.enqueue_error(401, "bad key")
    with pytest.raises(LLMRejectedError, match="HTTP 401"):
        await llm.converse([Turn(role="user", content="hi")], [])
    fake_openai.assert_complete()


async def test_build_llm_asks_for_structured_output_the_configured_way(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.enqueue_tool_calls(
        [{"name": "Mapping", "arguments": {"target": "b", "confidence": 0.4}}]
    )
    llm = build_llm(fake_openai.settings(structured_output="function_calling"), wait=wait_none())
    assert llm is not None
    assert await llm.complete(PROMPT, Mapping) == Mapping(target="b", confidence=0.4)
    assert "response_format" not in fake_openai.requests[0]
    assert fake_openai.requests[0]["tool_choice"]["function"]["name"] == "Mapping"
    fake_openai.assert_complete()


async def test_an_unscripted_request_fails_loudly(fake_openai: FakeOpenAI) -> None:
    llm = _llm(fake_openai, "json_schema", attempts=1)
    with pytest.raises(LLMUnavailableError):
        await llm.complete(PROMPT, Mapping)
    with pytest.raises(AssertionError, match="unexpected chat completion request #1"):
        fake_openai.assert_complete()


def test_assert_complete_fails_while_scripted_answers_remain(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue_content("never asked for")
    with pytest.raises(AssertionError, match="never requested"):
        fake_openai.assert_complete()
