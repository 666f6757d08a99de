"""Bodies of the web API's requests and answers, and the HTTP status of each of our errors."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.errors import (
    ApprovalError,
    AssistantError,
    BrokerError,
    ConfigError,
    ContractError,
    EventDecodeError,
    GuardrailViolation,
    LLMOutputError,
    LLMUnavailableError,
    NotFoundError,
    StoreError,
    ToolError,
)

Decision = Literal["approve", "reject"]
_STATUS_OF: dict[type[AssistantError], int] = {
    NotFoundError: 404,
    ApprovalError: 409,
    GuardrailViolation: 422,
    EventDecodeError: 422,
    ContractError: 422,
    ToolError: 422,
    LLMOutputError: 502,
    LLMUnavailableError: 503,
    BrokerError: 503,
    StoreError: 503,
    ConfigError: 500,
}


class DecisionBody(BaseModel):
    """Who decides, and why (optional body of approve/reject)."""

    model_config = ConfigDict(extra="forbid")

    reviewer: str = Field(default="reviewer", min_length=1, max_length=200)
    note: str | None = Field(default=None, max_length=2000)


class Question(BaseModel):
    """A question for the assistant."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=4000)


class Accepted(BaseModel):
    """An external alert was accepted and published."""

    event_id: str
    category: str
    dataset: str


def status_of(error: AssistantError) -> int:
    """The HTTP status for one of our errors (the nearest mapped class wins)."""
    for cls in type(error).__mro__:
        if cls in _STATUS_OF:
            return _STATUS_OF[cls]
    return 503 if error.retriable else 500
