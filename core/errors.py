"""One exception hierarchy for every error suture raises on purpose."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from core.models import Verdict


class AssistantError(Exception):
    """Root of every error suture raises on purpose."""

    retriable: ClassVar[bool] = False


class ConfigError(AssistantError):
    """Bad configuration, found at start-up: fail fast and say which value to fix."""


class ContractError(AssistantError):
    """A data contract file that cannot be read or does not follow the contract format."""


class EventDecodeError(AssistantError):
    """A message that is not the event its topic carries: dead-lettered, never retried."""


class LLMUnavailableError(AssistantError):
    """The model endpoint timed out, refused, or answered 429/5xx."""

    retriable = True


class LLMRejectedError(LLMUnavailableError):
    """The endpoint refused the request (4xx other than 429): fix the model, key or request."""

    retriable = False


class LLMOutputError(AssistantError):
    """The model answered, but not with the structured output asked for."""

    def __init__(self, message: str, raw: str = "") -> None:
        super().__init__(message)
        self.raw = raw


class GuardrailViolation(AssistantError):
    """A guardrail blocked an action; keeps the verdict that says why."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(f"guardrail {verdict.rule!r} blocked: {verdict.reason}")
        self.verdict = verdict


class ToolError(AssistantError):
    """A tool was called with input it cannot work on (bad SQL, unknown model, ...)."""


class ReplayError(AssistantError):
    """Replaying events through models in DuckDB failed."""


class RepoError(AssistantError):
    """The pipeline repository could not be read or changed (git failed, file missing)."""


class RebaseConflictError(RepoError):
    """A proposal's change no longer applies on the default branch's new head; `paths` conflict."""

    def __init__(self, message: str, paths: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.paths = paths


class ForgeError(AssistantError):
    """The forge (GitHub, GitLab) refused a request; `status` is its HTTP status, if any."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ForgeUnavailableError(ForgeError):
    """The forge could not be reached, or answered 5xx or 429: try again later."""

    retriable = True


class StoreError(AssistantError):
    """The proposal store rejected an operation (unknown id, wrong state)."""


class ApprovalError(AssistantError):
    """An approval that cannot be accepted: bad token, proposal not pending."""


class BrokerError(AssistantError):
    """The embedded Kafka broker could not be started or reached."""

    retriable = True


class RecordTooLargeError(BrokerError):
    """The broker refused a record for its size (the topic's max.message.bytes is lower)."""

    retriable = False


class NotFoundError(StoreError):
    """The store holds no record with the id asked for (an HTTP 404)."""


class HandlerTimeoutError(AssistantError):
    """A consumer's handler did not finish within its time limit; retried, then dead-lettered."""

    retriable = True
