"""ScriptedLLM: the LLM port's fake, playing queued steps in order and failing on extra calls."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import TypeVar

from pydantic import BaseModel

from agents.edges.llm import LLMCall, parse_output
from core.ports import Prompt, ToolSpec, Turn

T = TypeVar("T", bound=BaseModel)
Step = BaseModel | str | Exception


class ScriptedLLM:
    """Plays queued steps: a model instance (returned), a raw JSON string (parsed), an exception.

    `converse` plays `Turn` steps (or exceptions) the same way and keeps what it was sent.

    Never cycles: a call with no step left raises AssertionError, and `assert_complete()`
    fails while steps remain, so tests see both missing and extra model calls.
    """

    def __init__(self, *steps: Step) -> None:
        self._steps: deque[Step] = deque(steps)
        self.calls: list[LLMCall] = []
        self.prompts: list[Prompt] = []
        self.conversations: list[list[Turn]] = []

    def enqueue(self, *steps: Step) -> ScriptedLLM:
        """Queue more steps, played after those already queued."""
        self._steps.extend(steps)
        return self

    @property
    def remaining(self) -> int:
        """How many queued steps have not been played yet."""
        return len(self._steps)

    async def complete(self, prompt: Prompt, output: type[T]) -> T:
        """Play the next step for this call; an unscripted call is a test failure."""
        self.calls.append(
            LLMCall(prompt=prompt.name, prompt_version=prompt.version, output=output.__name__)
        )
        self.prompts.append(prompt)
        if not self._steps:
            raise AssertionError(
                f"unexpected LLM call #{len(self.calls)} (prompt {prompt.name!r} asking for "
                f"{output.__name__}): no scripted step left; enqueue one or remove the call"
            )
        step = self._steps.popleft()
        if isinstance(step, Exception):
            raise step
        if isinstance(step, str):
            return parse_output(step, output)
        if not isinstance(step, output):
            raise AssertionError(
                f"scripted step is a {type(step).__name__} but the call asked for "
                f"{output.__name__} (prompt {prompt.name!r})"
            )
        return step

    async def converse(self, turns: Sequence[Turn], tools: Sequence[ToolSpec]) -> Turn:
        """Play the next step as the model's turn; an unscripted call is a test failure."""
        self.calls.append(LLMCall(prompt="conversation", prompt_version=0, output="Turn"))
        self.conversations.append(list(turns))
        if not self._steps:
            raise AssertionError(
                f"unexpected LLM turn #{len(self.calls)} (tools {[t.name for t in tools]}): "
                "no scripted step left; enqueue a Turn or remove the call"
            )
        step = self._steps.popleft()
        if isinstance(step, Exception):
            raise step
        if not isinstance(step, Turn):
            raise AssertionError(f"scripted step is a {type(step).__name__}, not a Turn")
        return step

    def assert_complete(self) -> None:
        """Fail if any scripted step was never played."""
        if self._steps:
            kinds = [type(s).__name__ for s in self._steps]
            raise AssertionError(f"{len(self._steps)} scripted LLM steps were never used: {kinds}")
