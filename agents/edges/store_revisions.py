"""Writes the revision a change of the store's tables needs (for developers, not replicas).

Alembic's autogenerate compares the declared tables with a scratch SQLite database migrated to
the head and writes the difference as batch operations, which run on SQLite (by copying the
table) and on PostgreSQL (as plain ALTERs) alike. Review the file before committing it.
"""

from __future__ import annotations

import re
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine
from sqlalchemy.pool import StaticPool

from agents.edges.store_migrations import (
    MIGRATIONS,
    alembic_config,
    schema_differences,
    upgrade,
)
from core.errors import StoreError

_ID_LENGTH = 32  # alembic_version.version_num is a VARCHAR(32)


def revision_id(number: int, message: str) -> str:
    """A sortable, readable revision id.

    >>> revision_id(2, "Proposals get a priority!")
    '0002_proposals_get_a_priority'
    """
    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")
    return f"{number:04d}_{slug}"[:_ID_LENGTH].rstrip("_")


def write_revision(
    message: str, *, location: Path = MIGRATIONS, metadata: MetaData | None = None
) -> Path:
    """Write the next revision into `location`/versions for what the declared tables (or
    `metadata`) add to the head; StoreError when they add nothing."""
    engine = create_engine("sqlite://", poolclass=StaticPool)
    try:
        upgrade(engine, location)
        if not schema_differences(engine, metadata):
            raise StoreError("the declared tables match the head revision: nothing to write")
        script = ScriptDirectory.from_config(alembic_config(location=location))
        rev_id = revision_id(len(list(script.walk_revisions())) + 1, message)
        with engine.begin() as connection:
            config = alembic_config(connection, location, metadata)
            written = command.revision(config, message, autogenerate=True, rev_id=rev_id)
    finally:
        engine.dispose()
    assert written is not None and not isinstance(written, list)
    return Path(written.path)
