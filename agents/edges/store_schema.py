"""The store's tables, and how to add the columns a newer suture needs to an older database."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    text,
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


# Columns added after a table was first created: (table, column, SQL type). create_all() never
# alters an existing table, so a database from an older suture gets them here.
ADDED_COLUMNS: tuple[tuple[str, str, str], ...] = (("proposals", "failure", "TEXT"),)


def add_missing_columns(conn: Connection, metadata: MetaData) -> list[str]:
    """Add each column of ADDED_COLUMNS that an existing table lacks; returns what was added."""
    inspector = inspect(conn)
    added = []
    for table_name, column, sql_type in ADDED_COLUMNS:
        table = metadata.tables[table_name]
        schema = conn.get_execution_options().get("schema_translate_map", {}).get(None)
        present = {c["name"] for c in inspector.get_columns(table_name, schema=schema)}
        if column not in present:
            qualified = f'"{schema}"."{table.name}"' if schema else f'"{table.name}"'
            conn.execute(text(f'ALTER TABLE {qualified} ADD COLUMN "{column}" {sql_type}'))
            added.append(f"{table_name}.{column}")
    return added
