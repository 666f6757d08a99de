"""Alembic's environment: migrates (or, writing a revision, compares) the connection that
store_migrations.alembic_config() hands over; online only."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, MetaData

from agents.edges.store_migrations import store_metadata
from core.errors import ConfigError


def _migrate(connection: Connection, metadata: MetaData | None) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata or store_metadata(),
        # SQLite alters a table by copying it; autogenerate then writes batch operations.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise ConfigError("the store migrates a live database only; run `suture db upgrade`")
_migrate(context.config.attributes["connection"], context.config.attributes.get("metadata"))
