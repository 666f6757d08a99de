"""The store's schema migrations on SQLite and on the local PostgreSQL server: a fresh database
reaches the head, a database made before migrations keeps every row, replicas starting together
migrate once, and the migrated schema is exactly the one the code declares."""

from __future__ import annotations

import contextlib
import fcntl
import multiprocessing
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    Table,
    Text,
    insert,
    inspect,
    select,
    text,
)

from agents.edges import store_migrations
from agents.edges.migrations.baseline import REVISION as BASELINE
from agents.edges.store import Store
from agents.edges.store_migrations import current_revisions, schema_differences, store_metadata
from core.errors import StoreError
from tests.agents.edges import legacy_schemas
from tests.agents.edges.test_store import make_alert, make_proposal, move
from tests.fixtures.postgres import StoreDatabase

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def engine(store_database: StoreDatabase) -> Iterator[Engine]:
    """An engine on the database, disposed after the test."""
    made = store_database.engine()
    yield made
    made.dispose()


def _tables(engine: Engine, store_database: StoreDatabase) -> set[str]:
    with engine.connect() as connection:
        return set(inspect(connection).get_table_names(schema=store_database.schema))


def _rows(engine: Engine, metadata: MetaData) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table in `metadata`, in primary key order."""
    found = {}
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            query = select(table).order_by(*table.primary_key.columns)
            found[table.name] = [dict(row) for row in connection.execute(query).mappings()]
    return found


def _opened(store_database: StoreDatabase) -> Store:
    store = store_database.open()
    store.close()
    return store


def _fill_first(engine: Engine, metadata: MetaData) -> None:
    """Rows as the first store wrote them: an alert with its samples and a decided proposal."""
    alert, other = make_alert(), make_alert("naïve 数据")
    proposal = make_proposal(alert_id=alert.event_id)
    tables = metadata.tables
    with engine.begin() as connection:
        connection.execute(
            insert(tables["alerts"]),
            [
                {"event_id": alert.event_id, "dataset": "orders", "occurred_at": NOW}
                | {"payload": alert.model_dump_json()},
                {"event_id": other.event_id, "dataset": other.dataset, "occurred_at": NOW}
                | {"payload": other.model_dump_json()},
            ],
        )
        connection.execute(
            insert(tables["samples"]),
            {"alert_id": alert.event_id, "dataset": "orders", "before": [{"id": 1}], "after": []},
        )
        connection.execute(
            insert(tables["proposals"]),
            {"proposal_id": proposal.proposal_id, "alert_id": alert.event_id, "dataset": "orders"}
            | {"status": "approved", "reviewer": "ana", "decided_at": NOW, "note": "ok"}
            | {"payload": proposal.model_dump_json()},
        )
        connection.execute(
            insert(tables["incidents"]),
            {"event_id": "i-1", "alert_id": "a-2", "dataset": "d", "payload": "{}"},
        )
        connection.execute(
            insert(tables["dead_letters"]), {"topic": "orders", "at": NOW, "payload": "{}"}
        )
        if "processed_events" in tables:
            connection.execute(
                insert(tables["processed_events"]),
                {"consumer": "healer", "event_id": alert.event_id, "processed_at": NOW},
            )


def _fill_latest(engine: Engine, metadata: MetaData) -> None:
    """Rows in every table of the last suture before migrations."""
    _fill_first(engine, metadata)
    tables = metadata.tables
    with engine.begin() as connection:
        connection.execute(
            insert(tables["quarantine_replays"]),
            {"topic": "orders", "part": 0, "offset": 2**40, "fix": "f", "claimed_at": NOW},
        )
        connection.execute(
            insert(tables["audit_log"]),
            {"at": NOW, "actor": "ana", "role": "reviewer", "action": "approve"}
            | {"subject": "p-1", "detail": {"n": 1}},
        )
        connection.execute(
            insert(tables["incident_states"]),
            {"event_id": "i-1", "status": "assigned", "assignee": "bo", "updated_at": NOW},
        )


LEGACY: dict[str, tuple[Callable[[], MetaData], Callable[[Engine, MetaData], None]]] = {
    "first": (legacy_schemas.first, _fill_first),
    "latest": (legacy_schemas.latest, _fill_latest),
}


def test_a_fresh_database_is_migrated_to_the_head(
    store_database: StoreDatabase, engine: Engine
) -> None:
    assert current_revisions(engine).current is None
    _opened(store_database)
    revisions = current_revisions(engine)
    assert revisions.at_head and revisions.current == store_migrations.head_revision()
    assert _tables(engine, store_database) == {*store_metadata().tables, "alembic_version"}


def test_opening_a_migrated_store_again_changes_nothing(
    store_database: StoreDatabase, engine: Engine
) -> None:
    _opened(store_database)
    again = store_migrations.upgrade(engine)
    assert (again.current, again.adopted) == (again.head, False)


def test_the_migrated_schema_is_the_one_the_code_declares(
    store_database: StoreDatabase, engine: Engine
) -> None:
    _opened(store_database)
    differences = schema_differences(engine)
    assert differences == [], "a table changed without a revision: run `suture db revision MSG`"


def test_a_table_change_without_a_revision_is_reported(
    store_database: StoreDatabase, engine: Engine
) -> None:
    _opened(store_database)
    changed = store_metadata()
    changed.tables["proposals"].append_column(Column("priority", Text))
    [difference] = schema_differences(engine, changed)
    assert difference[0] == "add_column" and difference[3].name == "priority"


@pytest.mark.parametrize("era", sorted(LEGACY))
async def test_a_database_made_before_migrations_keeps_its_rows(
    store_database: StoreDatabase, engine: Engine, era: str
) -> None:
    build, fill = LEGACY[era]
    legacy = build()
    legacy.create_all(engine)
    fill(engine, legacy)
    before = _rows(engine, legacy)

    assert store_migrations.upgrade(engine).adopted is True

    assert _rows(engine, legacy) == before  # nothing dropped or rewritten
    assert current_revisions(engine).at_head
    assert schema_differences(engine, _with_tables_suture_left(legacy)) == []
    store = store_database.open()
    try:
        [alert] = await store.list_alerts("orders")
        [record] = await store.list_proposals("approved")
        assert (record.proposal.alert_id, record.reviewer) == (alert.event_id, "ana")
        failed = await move(store, record.proposal_id, "approved", "failed", failure="conflict")
        assert failed.failure == "conflict"  # the column the first store lacked
    finally:
        store.close()


def _with_tables_suture_left(legacy: MetaData) -> MetaData:
    """The declared tables plus those of `legacy` suture no longer uses (kept, never dropped)."""
    metadata = store_metadata()
    for table in legacy.tables.values():
        if table.name not in metadata.tables:
            table.to_metadata(metadata)
    return metadata


def _replica(store_database: StoreDatabase, start: Any, outcomes: Any) -> None:
    """One replica process: wait for the others, then open the store."""
    start.wait()
    try:
        _opened(store_database)
    except StoreError as error:
        outcomes.put(str(error))
    else:
        outcomes.put("opened")


def test_replicas_starting_together_migrate_once(
    store_database: StoreDatabase, engine: Engine
) -> None:
    # Processes, as replicas are: Alembic's per-process state keeps threads from overlapping.
    replicas = 3
    spawn = multiprocessing.get_context("spawn")
    start, outcomes = spawn.Barrier(replicas), spawn.Queue()
    processes = [
        spawn.Process(target=_replica, args=(store_database, start, outcomes))
        for _ in range(replicas)
    ]
    for process in processes:
        process.start()
    results = [outcomes.get(timeout=120) for _ in processes]
    for process in processes:
        process.join()
    assert results == ["opened"] * replicas
    assert current_revisions(engine).at_head
    with engine.connect() as connection:
        if store_database.schema is not None:
            connection.execute(text(f'SET search_path TO "{store_database.schema}"'))
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    assert [row[0] for row in versions] == [store_migrations.head_revision()]


@contextlib.contextmanager
def _lock_held_elsewhere(engine: Engine) -> Iterator[None]:
    """The migration lock, held as another replica stuck in its migration would hold it."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            key = {"key": store_migrations._LOCK_KEY}
            connection.execute(text("SELECT pg_advisory_lock(:key)"), key)
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)
        return
    path = Path(str(engine.url.database))
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path.with_name(f"{path.name}.migrate.lock"), os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def test_a_replica_gives_up_on_a_migration_lock_held_too_long_and_says_why(
    store_database: StoreDatabase, engine: Engine
) -> None:
    with _lock_held_elsewhere(engine), pytest.raises(StoreError, match="migration lock for over"):
        store_migrations.upgrade(engine, lock_wait_s=0.5)
    assert current_revisions(engine).current is None  # it waited and changed nothing
    store_migrations.upgrade(engine, lock_wait_s=0.5)  # once the holder is gone, it migrates
    assert current_revisions(engine).at_head


def test_a_database_migrated_by_a_newer_suture_is_refused_with_advice(
    store_database: StoreDatabase, engine: Engine
) -> None:
    _opened(store_database)
    with engine.begin() as connection:
        if store_database.schema is not None:
            connection.execute(text(f'SET LOCAL search_path TO "{store_database.schema}"'))
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    with pytest.raises(StoreError, match=r"9999_from_the_future.*newer suture"):
        store_database.open()


def test_a_foreign_table_of_the_same_name_is_refused_and_left_alone(
    store_database: StoreDatabase, engine: Engine
) -> None:
    foreign = MetaData()
    Table("alerts", foreign, Column("seq", Integer, primary_key=True), Column("body", Text))
    foreign.create_all(engine)
    with pytest.raises(StoreError, match="'alerts' lacks the required column 'event_id'"):
        store_database.open()
    assert current_revisions(engine).current is None
    assert _tables(engine, store_database) == {"alerts"}


def test_the_baseline_is_the_first_revision() -> None:
    script = store_migrations.ScriptDirectory.from_config(store_migrations.alembic_config())
    assert [r.revision for r in script.walk_revisions()][-1] == BASELINE
