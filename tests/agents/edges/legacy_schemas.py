"""Frozen copies of the tables suture made with `create_all()` before it used migrations.

`latest()` is the last such schema (store_schema.py, replay_book.py and store_console.py just
before migrations); `first()` is the first store (commit b43d9a8): no replay book, no console
tables, no `proposals.failure`, and a `processed_events` table suture no longer uses.
Never edit these: they stand for databases that exist.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)


def _records(metadata: MetaData, *, with_failure: bool) -> None:
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
        *([Column("failure", Text)] if with_failure else []),
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


def first() -> MetaData:
    """The first store's tables."""
    metadata = MetaData()
    _records(metadata, with_failure=False)
    Table(
        "processed_events",
        metadata,
        Column("consumer", String(), nullable=False),
        Column("event_id", String(), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False),
        PrimaryKeyConstraint("consumer", "event_id"),
    )
    return metadata


def latest() -> MetaData:
    """The tables of the last suture before migrations."""
    metadata = MetaData()
    _records(metadata, with_failure=True)
    Table(
        "quarantine_replays",
        metadata,
        Column("topic", Text, nullable=False),
        Column("part", Integer, nullable=False),
        Column("offset", BigInteger, nullable=False),
        Column("fix", Text, nullable=False),
        Column("claimed_at", DateTime(timezone=True), nullable=False),
        Column("finished_at", DateTime(timezone=True)),
        PrimaryKeyConstraint("topic", "part", "offset"),
    )
    Table(
        "audit_log",
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("actor", Text, nullable=False),
        Column("role", String(16), nullable=False),
        Column("action", String(64), nullable=False, index=True),
        Column("subject", Text, nullable=False),
        Column("detail", JSON, nullable=False),
    )
    Table(
        "incident_states",
        metadata,
        Column("event_id", String(), primary_key=True),
        Column("status", String(16), nullable=False),
        Column("assignee", Text),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )
    return metadata
