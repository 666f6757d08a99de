"""The store's main tables; a change to them needs a revision in agents/edges/migrations."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)


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
        Column("failure", Text),
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
    return metadata
