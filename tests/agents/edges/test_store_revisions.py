"""Writing the revision a table change needs: the written revision brings a database at the old
head (rows and all) to the changed tables, on SQLite and on PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Column, Index, Integer, MetaData, Table, Text, insert, select

from agents.edges import store_migrations
from agents.edges.store_migrations import MIGRATIONS, schema_differences, store_metadata
from agents.edges.store_revisions import revision_id, write_revision
from core.errors import StoreError
from tests.agents.edges.test_store_migrations import NOW
from tests.fixtures.postgres import StoreDatabase


def _changed() -> MetaData:
    """The declared tables, plus a column, an index and a table no revision has yet."""
    metadata = store_metadata()
    proposals = metadata.tables["proposals"]
    proposals.append_column(Column("priority", Text))
    Index("ix_proposals_dataset", proposals.c.dataset)
    Table("notes", metadata, Column("seq", Integer, primary_key=True), Column("body", Text))
    return metadata


@pytest.fixture
def location(tmp_path: Path) -> Path:
    """A copy of the shipped migrations folder to write into."""
    copy = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_a_written_revision_migrates_the_old_head_to_the_changed_tables(
    store_database: StoreDatabase, location: Path
) -> None:
    engine = store_database.engine()
    try:
        store_migrations.upgrade(engine)  # the shipped head, with a row
        alerts = store_metadata().tables["alerts"]
        row = {"event_id": "e-1", "dataset": "orders", "occurred_at": NOW, "payload": "{}"}
        with engine.begin() as connection:
            connection.execute(insert(alerts), row)

        written = write_revision("Proposals get a priority", location=location, metadata=_changed())

        assert written.name == "v0002_proposals_get_a_priority.py"
        assert store_migrations.upgrade(engine, location).current == "0001_baseline"
        assert store_migrations.head_revision(location) == "0002_proposals_get_a_priority"
        assert schema_differences(engine, _changed()) == []
        with engine.connect() as connection:
            kept = connection.execute(select(alerts.c.event_id, alerts.c.payload)).all()
        assert [tuple(r) for r in kept] == [("e-1", "{}")]
    finally:
        engine.dispose()


def test_nothing_to_write_when_the_tables_match_the_head(location: Path) -> None:
    with pytest.raises(StoreError, match="nothing to write"):
        write_revision("no change", location=location)
    assert sorted(p.name for p in (location / "versions").glob("v*.py")) == ["v0001_baseline.py"]


def test_revision_ids_fit_the_version_column() -> None:
    long = revision_id(12, "a message far longer than any version column would hold")
    assert long.startswith("0012_") and len(long) <= 32 and not long.endswith("_")
