"""The store's tables at the baseline revision, frozen: never edit them, add a revision instead.

They are what `create_all()` made before suture used migrations, so they serve twice: the
baseline revision creates them, and a database made before migrations is brought up to them
(missing tables and nullable columns added, nothing dropped) before it is stamped.
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

REVISION = "0001_baseline"


def baseline_metadata() -> MetaData:
    """The eight tables of the baseline revision."""
    metadata = MetaData()
    _records(metadata)
    _proposals(metadata)
    _console(metadata)
    return metadata


def _records(metadata: MetaData) -> None:
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


def _proposals(metadata: MetaData) -> None:
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


def _console(metadata: MetaData) -> None:
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
