"""Tests of ScriptedLLM, the LLM port's fake."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, Field

from agents.edges.llm_fake import ScriptedLLM
from core.errors import LLMOutputError, LLMUnavailableError
from core.ports import LLM, Prompt


class Choice(BaseModel):
    """A scripted answer."""

    model_config = ConfigDict(extra="forbid")

    target: str = Field(description="The chosen field.")


class Other(BaseModel):
    """Another output model."""

    note: str


PROMPT = Prompt(name="infer_mapping", version=1, system="s", user="u")


async def test_plays_instances_json_and_exceptions_in_order() -> None:
    llm = ScriptedLLM(Choice(target="a"), '{"target": "b"}', LLMUnavailableError("down"))
    port: LLM = llm
    assert await port.complete(PROMPT, Choice) == Choice(target="a")
    assert await port.complete(PROMPT, Choice) == Choice(target="b")
    with pytest.raises(LLMUnavailableError):
        await port.complete(PROMPT, Choice)
    assert [c.prompt for c in llm.calls] == ["infer_mapping"] * 3
    assert llm.prompts == [PROMPT] * 3
    llm.assert_complete()


async def test_bad_json_step_fails_like_the_real_adapter() -> None:
    llm = ScriptedLLM('{"target": 1, "extra": true}')
    with pytest.raises(LLMOutputError) as caught:
        await llm.complete(PROMPT, Choice)
    assert caught.value.raw == '{"target": 1, "extra": true}'


async def test_an_extra_call_is_an_assertion_error() -> None:
    llm = ScriptedLLM(Choice(target="a"))
    await llm.complete(PROMPT, Choice)
    with pytest.raises(AssertionError, match="unexpected LLM call #2"):
        await llm.complete(PROMPT, Choice)


async def test_a_step_of_the_wrong_model_is_an_assertion_error() -> None:
    llm = ScriptedLLM(Other(note="x"))
    with pytest.raises(AssertionError, match="asked for Choice"):
        await llm.complete(PROMPT, Choice)


def test_assert_complete_fails_while_steps_remain() -> None:
    llm = ScriptedLLM().enqueue(Choice(target="a"))
    assert llm.remaining == 1
    with pytest.raises(AssertionError, match="never used"):
        llm.assert_complete()
