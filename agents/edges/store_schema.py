"""The store's tables, the proposal lifecycle, and the record a reviewer sees."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from core.models import FixProposed

ProposalStatus = Literal["pending", "approved", "applied", "rejected", "failed"]
PROPOSAL_STATUSES: frozenset[str] = frozenset(
    {"pending", "approved", "applied", "rejected", "failed"}
)
# The only moves a proposal may make; `failed -> pending` lets a human review a retry.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"approved", "rejected"}),
    "approved": frozenset({"applied", "failed"}),
    "failed": frozenset({"pending"}),
    "applied": frozenset(),
    "rejected": frozenset(),
}


class ProposalRecord(BaseModel):
    """A fix proposal together with where it stands in review."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    proposal: FixProposed
    status: ProposalStatus
    reviewer: str | None = None
    decided_at: datetime | None = None
    applied_commit: str | None = None
    note: str | None = None

    @property
    def proposal_id(self) -> str:
        """The proposal's id."""
        return self.proposal.proposal_id


def as_utc(moment: datetime | None) -> datetime | None:
    """A datetime read back from the database, with UTC made explicit (SQLite drops zones)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def build_metadata() -> MetaData:
    """Fresh table definitions (one MetaData per store keeps stores independent)."""
    metadata = MetaData()
    Table(
        "alerts",
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(), nullable=False, unique=True),
        Column("dataset", Text, nullable=False, index=True),
        Column("occurred_at", DateTime(timezone=True), nullable=False),
        Column("payload", Text, nullable=False),
    )
    Table(
        "samples",
        metadata,
        Column("alert_id", String(), primary_key=True),
        Column("dataset", Text, nullable=False),
        Column("before", JSON, nullable=False),
        Column("after", JSON, nullable=False),
    )
    Table(
        "proposals",
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("proposal_id", String(), nullable=False, unique=True),
        Column("alert_id", String(), nullable=False, unique=True),
        Column("dataset", Text, nullable=False),
        Column("status", String(16), nullable=False, index=True),
        Column("reviewer", Text),
        Column("decided_at", DateTime(timezone=True)),
        Column("applied_commit", Text),
        Column("note", Text),
        Column("payload", Text, nullable=False),
    )
    Table(
        "incidents",
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(), nullable=False, unique=True),
        Column("alert_id", String(), nullable=False),
        Column("dataset", Text, nullable=False),
        Column("payload", Text, nullable=False),
    )
    Table(
        "dead_letters",
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("topic", Text, nullable=False, index=True),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("payload", Text, nullable=False),
    )
    Table(
        "processed_events",
        metadata,
        Column("consumer", String(), nullable=False),
        Column("event_id", String(), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False),
        PrimaryKeyConstraint("consumer", "event_id"),
    )
    return metadata
