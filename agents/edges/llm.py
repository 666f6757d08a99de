"""The LLM port over an OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp) via langchain.

`parse_output` is shared with the scripted fake (agents/edges/llm_fake.py), so bad output fails
the same way in tests and in production.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal, TypeVar

import openai
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential
from tenacity.wait import WaitBaseT

from core.config import LLMSettings
from core.errors import (
    AssistantError,
    ConfigError,
    LLMOutputError,
    LLMRejectedError,
    LLMUnavailableError,
)
from core.ports import LLM, Prompt, ToolCall, ToolSpec, Turn

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")
StructuredOutputMethod = Literal["json_schema", "function_calling"]
DEFAULT_WAIT: WaitBaseT = wait_exponential(multiplier=0.5, max=8)
_FENCE = re.compile(r"^```[a-zA-Z]*\s*\n?(.*?)\n?```$", re.DOTALL)
_UNAVAILABLE = (openai.APIConnectionError, openai.RateLimitError, openai.InternalServerError)
logger = logging.getLogger(__name__)


class LLMCall(BaseModel):
    """One complete() call: which prompt, which output model, how many attempts it took."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt: str
    prompt_version: int
    output: str
    attempts: int = 1


def _json_text(raw: str) -> str:
    """The JSON object inside `raw`: without a Markdown fence or prose around it."""
    text = raw.strip()
    if fenced := _FENCE.match(text):
        text = fenced.group(1).strip()
    if not text.startswith("{") and "{" in text and "}" in text:
        text = text[text.index("{") : text.rindex("}") + 1]
    return text


def parse_output(raw: str, output: type[T]) -> T:
    """Validate the model's raw answer as `output`; raise LLMOutputError (keeping .raw) if not."""
    if not raw.strip():
        raise LLMOutputError(f"the model gave an empty answer instead of {output.__name__}", raw)
    try:
        return output.model_validate_json(_json_text(raw))
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in error.errors()
        )
        raise LLMOutputError(
            f"the model's answer is not a valid {output.__name__} ({problems}); "
            "check the prompt and the output model's field descriptions",
            raw,
        ) from error


def _api_key(settings: LLMSettings) -> SecretStr:
    # Local servers (Ollama, llama.cpp, vLLM) ignore the key, but the client insists on one.
    return settings.api_key if settings.api_key is not None else SecretStr("unused")


def chat_model(settings: LLMSettings) -> ChatOpenAI:
    """The configured ChatOpenAI (no client-side retries: tenacity retries in OpenAILLM)."""
    if settings.base_url is None:
        raise ConfigError("no model endpoint configured; set SUTURE_LLM_BASE_URL")
    return ChatOpenAI(
        base_url=settings.base_url,
        api_key=_api_key(settings),
        model=settings.model,
        timeout=settings.timeout_s,
        max_retries=0,
    )


def _schema(output: type[BaseModel]) -> dict[str, Any]:
    """The output model's JSON schema: langchain sends it as response_format or as a tool.

    A schema (not the class) keeps langchain and the openai SDK from parsing the answer
    themselves, so the raw text reaches parse_output and bad output fails one way.
    """
    schema = output.model_json_schema()
    schema["title"] = output.__name__
    schema.setdefault("description", output.__name__)
    return schema


def _text(message: AIMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(
        block if isinstance(block, str) else str(block.get("text", "")) for block in content
    )


def _raw_answer(message: AIMessage, method: StructuredOutputMethod) -> str:
    """The text the model answered with: the tool call's arguments, or the message content."""
    if method == "function_calling":
        if message.tool_calls:
            return json.dumps(message.tool_calls[0]["args"])
        if message.invalid_tool_calls:
            return str(message.invalid_tool_calls[0].get("args") or "")
    return _text(message)


def _message(turn: Turn) -> BaseMessage:
    """One of our turns as the langchain message the endpoint is sent."""
    if turn.role == "system":
        return SystemMessage(turn.content)
    if turn.role == "user":
        return HumanMessage(turn.content)
    if turn.role == "tool":
        return ToolMessage(turn.content, tool_call_id=turn.tool_call_id or "")
    good = [c for c in turn.tool_calls if c.error is None]
    bad = [c for c in turn.tool_calls if c.error is not None]
    return AIMessage(
        content=turn.content,
        tool_calls=[{"name": c.name, "args": c.arguments, "id": c.id} for c in good],
        invalid_tool_calls=[
            {"name": c.name, "args": json.dumps(c.arguments), "id": c.id, "error": c.error}
            for c in bad
        ],
    )


def _turn(message: AIMessage) -> Turn:
    """The model's reply as our turn: its text and its tool calls, bad ones carrying an error."""
    calls = [
        ToolCall(id=c.get("id") or f"call_{i}", name=c["name"], arguments=c["args"])
        for i, c in enumerate(message.tool_calls)
    ]
    calls += [
        ToolCall(
            id=c.get("id") or f"bad_{i}",
            name=c.get("name") or "",
            error=f"arguments are not valid JSON: {c.get('error') or c.get('args')}",
        )
        for i, c in enumerate(message.invalid_tool_calls)
    ]
    return Turn(role="assistant", content=_text(message).strip(), tool_calls=calls)


def _function(tool: ToolSpec) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": tool.parameters,
        },
    }


def _translate(error: Exception) -> AssistantError:
    """Provider and transport errors as our errors: retriable when waiting may help."""
    if isinstance(error, (*_UNAVAILABLE, TimeoutError)):
        return LLMUnavailableError(
            f"the model endpoint is unavailable ({type(error).__name__}: {error}); "
            "check that it is running or raise SUTURE_LLM_TIMEOUT_S"
        )
    if isinstance(error, openai.APIStatusError):
        return LLMRejectedError(
            f"the model endpoint refused the request with HTTP {error.status_code} "
            f"({error.message}); check SUTURE_LLM_MODEL, SUTURE_LLM_API_KEY and the endpoint"
        )
    return LLMOutputError(f"the model's answer could not be read: {error}")


def _is_retriable(error: BaseException) -> bool:
    return isinstance(error, AssistantError) and error.retriable


class OpenAILLM:
    """The LLM port over an OpenAI-compatible chat endpoint, with structured output."""

    def __init__(
        self,
        settings: LLMSettings,
        *,
        method: StructuredOutputMethod | None = None,
        wait: WaitBaseT = DEFAULT_WAIT,
    ) -> None:
        self._model = chat_model(settings)
        self._timeout_s = settings.timeout_s
        self._max_attempts = settings.max_attempts
        self._method: StructuredOutputMethod = method or settings.structured_output
        self._wait = wait
        self.calls: list[LLMCall] = []

    async def _invoke(self, call: Awaitable[R]) -> R:
        """Await one request within the timeout; provider errors become ours."""
        try:
            async with asyncio.timeout(self._timeout_s):
                return await call
        except (openai.OpenAIError, TimeoutError) as error:
            raise _translate(error) from error

    async def _retrying(self, attempt: Callable[[], Awaitable[R]], call: LLMCall) -> R:
        """Run `attempt` until it succeeds or fails for good; record the call either way."""
        attempts = 0
        try:
            async for retry in AsyncRetrying(
                stop=stop_after_attempt(self._max_attempts),
                wait=self._wait,
                retry=retry_if_exception(_is_retriable),
                reraise=True,
            ):
                with retry:
                    attempts += 1
                    result = await attempt()
        finally:
            self.calls.append(call.model_copy(update={"attempts": attempts}))
            logger.debug("llm call %s -> %s in %d attempts", call.prompt, call.output, attempts)
        return result

    async def _structured(self, prompt: Prompt, output: type[T]) -> T:
        runnable = self._model.with_structured_output(
            _schema(output), method=self._method, include_raw=True
        )
        messages = [SystemMessage(prompt.system), HumanMessage(prompt.user)]
        answer = await self._invoke(runnable.ainvoke(messages))
        raw_message = answer["raw"] if isinstance(answer, dict) else None
        if not isinstance(raw_message, AIMessage):
            raise LLMOutputError(f"the model returned no message for {output.__name__}")
        return parse_output(_raw_answer(raw_message, self._method), output)

    async def complete(self, prompt: Prompt, output: type[T]) -> T:
        """Ask the model; retry what is retriable; raise LLMUnavailableError or LLMOutputError."""
        call = LLMCall(prompt=prompt.name, prompt_version=prompt.version, output=output.__name__)
        return await self._retrying(lambda: self._structured(prompt, output), call)

    async def _next_turn(self, turns: Sequence[Turn], tools: Sequence[ToolSpec]) -> Turn:
        model = self._model.bind_tools([_function(t) for t in tools]) if tools else self._model
        reply = await self._invoke(model.ainvoke([_message(t) for t in turns]))
        if not isinstance(reply, AIMessage):
            raise LLMOutputError(f"the model returned a {type(reply).__name__}, not a message")
        return _turn(reply)

    async def converse(self, turns: Sequence[Turn], tools: Sequence[ToolSpec]) -> Turn:
        """The model's next turn given the conversation; retried like `complete`."""
        call = LLMCall(prompt="conversation", prompt_version=0, output="Turn")
        return await self._retrying(lambda: self._next_turn(turns, tools), call)


def build_llm(settings: LLMSettings, *, wait: WaitBaseT = DEFAULT_WAIT) -> LLM | None:
    """The configured model, or None when no endpoint is set (suture then runs on rules alone)."""
    if settings.base_url is None:
        return None
    return OpenAILLM(settings, method=settings.structured_output, wait=wait)
