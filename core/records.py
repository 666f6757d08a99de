"""Records of the review console: the audit log, incident handling and stored dead letters."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from core.errors import ApprovalError
from core.models import DeadLetter, IncidentEscalated

Role = Literal["viewer", "reviewer", "ingest", "admin"]
IncidentStatus = Literal["open", "acknowledged", "resolved"]
IncidentAction = Literal["assign", "acknowledge", "resolve", "reopen"]

# Which incident statuses each action may start from, and where it leads (assign keeps it).
INCIDENT_MOVES: Mapping[IncidentAction, tuple[frozenset[IncidentStatus], IncidentStatus | None]] = {
    "assign": (frozenset({"open", "acknowledged"}), None),
    "acknowledge": (frozenset({"open"}), "acknowledged"),
    "resolve": (frozenset({"open", "acknowledged"}), "resolved"),
    "reopen": (frozenset({"resolved"}), "open"),
}


def _now() -> datetime:
    return datetime.now(UTC)


class AuditEntry(BaseModel):
    """One thing a person (or the operator) did: a decision, replay, release or setting."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    actor: str = Field(min_length=1, max_length=200, description="Who did it (the signed-in name).")
    role: Role
    action: str = Field(min_length=1, max_length=64, description="approve, reject, replay, ...")
    subject: str = Field(max_length=500, description="What it was done to (an id or a topic).")
    detail: dict[str, JsonValue] = Field(default_factory=dict)
    at: datetime = Field(default_factory=_now)


class IncidentRecord(BaseModel):
    """An escalated incident with where it stands: open, acknowledged or resolved."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    incident: IncidentEscalated
    status: IncidentStatus = "open"
    assignee: str | None = None
    updated_at: datetime | None = None

    @property
    def event_id(self) -> str:
        """The incident's id."""
        return self.incident.event_id

    def after(self, action: IncidentAction, assignee: str | None = None) -> IncidentRecord:
        """This record once `action` is done; ApprovalError if its status does not allow it.

        >>> incident = IncidentEscalated(alert_id="a", dataset="d", reason="r")
        >>> IncidentRecord(incident=incident).after("acknowledge").status
        'acknowledged'
        """
        allowed, to_status = INCIDENT_MOVES[action]
        if self.status not in allowed:
            raise ApprovalError(
                f"incident {self.event_id!r} is {self.status!r}; {action!r} needs one of "
                f"{sorted(allowed)}; reload the page before acting"
            )
        if action == "assign" and not assignee:
            raise ApprovalError("an assignment names the person; fill in who takes it")
        return self.model_copy(
            update={
                "status": to_status or self.status,
                "assignee": assignee if action == "assign" else self.assignee,
                "updated_at": _now(),
            }
        )


class DeadLetterRecord(BaseModel):
    """A stored dead letter with its position in the store (the id a replay names)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seq: int
    letter: DeadLetter
