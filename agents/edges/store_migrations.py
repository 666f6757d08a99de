"""The store's schema migrations: Alembic revisions (agents/edges/migrations) run on the store's
own engine, under a lock, so that replicas starting together migrate once and the others wait.

The lock is a PostgreSQL advisory lock held by the migrating transaction (DDL is transactional
there: a failed upgrade leaves the schema as it was), or on SQLite (one machine) an exclusive
`flock` on a file beside the database. A database made before suture used migrations has suture's
tables but no `alembic_version`: it is brought up to the baseline (missing tables and columns
added, nothing dropped or rewritten), stamped, then upgraded like any other.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, MetaData, inspect, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from agents.edges.migrations.baseline import REVISION as BASELINE
from agents.edges.migrations.baseline import baseline_metadata
from agents.edges.replay_book import add_replay_table
from agents.edges.store_console import add_console_tables
from agents.edges.store_schema import build_metadata
from core.errors import StoreError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The advisory lock's key: a stable signed 64-bit number named after what it guards.
_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"suture.store.migrations").digest()[:8], "big", signed=True
)
# Alembic runs a command through module-level proxies (alembic.context, alembic.op), so two
# commands in one process must not overlap, whatever their databases.
_IN_PROCESS = threading.Lock()
# How long a replica waits for another one's migration before it gives up with a StoreError:
# long enough for any real migration, short enough that a stuck holder is reported, not hidden.
LOCK_WAIT_S = 600.0
_LOCK_POLL_S = 0.2


@dataclass(frozen=True)
class Revisions:
    """Where a store's schema stands: its revision (None: never migrated) and the newest known."""

    current: str | None
    head: str
    adopted: bool = False  # made before migrations, brought up to the baseline by this run

    @property
    def at_head(self) -> bool:
        """True when no migration is pending."""
        return self.current == self.head


def store_metadata() -> MetaData:
    """Every table of the store as the code declares it: what the migrations must produce."""
    metadata = build_metadata()
    add_replay_table(metadata)
    add_console_tables(metadata)
    return metadata


def head_revision(location: Path = MIGRATIONS) -> str:
    """The newest revision this suture knows (in `location`, a folder like `MIGRATIONS`)."""
    head = ScriptDirectory.from_config(alembic_config(location=location)).get_current_head()
    assert head is not None, "the migrations folder holds no revision"
    return head


def current_revisions(engine: Engine) -> Revisions:
    """The store's revision and the head, without changing anything."""
    with _guarded(engine), engine.connect() as connection:
        _use_schema(connection)
        return Revisions(current=_current(connection), head=head_revision())


def upgrade(
    engine: Engine, location: Path = MIGRATIONS, lock_wait_s: float = LOCK_WAIT_S
) -> Revisions:
    """Migrate the store to the head under the migration lock; returns where it stood before.

    StoreError when another process holds the lock for more than `lock_wait_s` seconds.
    """
    with _IN_PROCESS, _guarded(engine), _locked(engine, lock_wait_s) as connection:
        before = _current(connection)
        adopted = before is None and _has_store_tables(connection)
        if adopted:
            _adopt(connection)
            command.stamp(alembic_config(connection, location), BASELINE)
        command.upgrade(alembic_config(connection, location), "head")
        return Revisions(current=before, head=head_revision(location), adopted=adopted)


def schema_differences(engine: Engine, metadata: MetaData | None = None) -> list[Any]:
    """What Alembic's autogenerate finds between the tables the code declares (or `metadata`)
    and the database: empty when every change of the tables came with its revision."""
    with _guarded(engine), engine.connect() as connection:
        _use_schema(connection)
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata or store_metadata()))


def alembic_config(
    connection: Connection | None = None,
    location: Path = MIGRATIONS,
    metadata: MetaData | None = None,
) -> Config:
    """Alembic's configuration, built in code: the revisions in `location`, the connection to
    migrate and the tables to compare with (default: the declared ones) for migrations/env.py."""
    config = Config()
    config.set_main_option("script_location", str(location))
    config.set_main_option("file_template", "v%%(rev)s")  # a module name mypy accepts
    config.attributes["connection"] = connection
    config.attributes["metadata"] = metadata
    return config


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _schema(connection: Connection) -> str | None:
    """The PostgreSQL schema the engine's tables are translated to (tests use one per run)."""
    translate = connection.get_execution_options().get("schema_translate_map") or {}
    schema = translate.get(None)
    return None if schema is None else str(schema)


def _use_schema(connection: Connection) -> None:
    """Point unqualified names at the store's schema for this transaction: Alembic's version
    table and the inspector then see what the store's (translated) tables see."""
    schema = _schema(connection)
    if schema is not None:
        quoted = connection.dialect.identifier_preparer.quote_identifier(schema)
        connection.execute(text("SELECT set_config('search_path', :path, true)"), {"path": quoted})


def _has_store_tables(connection: Connection) -> bool:
    present = set(inspect(connection).get_table_names(schema=_schema(connection)))
    return bool(present & set(baseline_metadata().tables))


def _adopt(connection: Connection) -> None:
    """Bring a database made before migrations up to the baseline, only by adding to it: the
    tables it lacks (an older suture had fewer), then the nullable columns its tables lack."""
    baseline = baseline_metadata()
    schema = _schema(connection)
    inspector = inspect(connection)
    existing = set(inspector.get_table_names(schema=schema))
    missing = {
        table.name: [
            column
            for column in table.columns
            if column.name not in {c["name"] for c in inspector.get_columns(table.name, schema)}
        ]
        for table in baseline.tables.values()
        if table.name in existing
    }
    for table_name, columns in missing.items():
        for column in columns:
            if not column.nullable:  # checked first, so that nothing is changed on refusal
                raise StoreError(
                    f"table {table_name!r} lacks the required column {column.name!r}, which "
                    "no suture ever added later; this database was not made by suture"
                )
    baseline.create_all(connection)  # creates only the tables that do not exist
    operations = Operations(MigrationContext.configure(connection))
    for table_name, columns in missing.items():
        for column in columns:
            operations.add_column(table_name, column._copy(), schema=schema)


@contextlib.contextmanager
def _locked(engine: Engine, wait_s: float) -> Iterator[Connection]:
    """A connection in a transaction that holds the migration lock until it commits."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            _use_schema(connection)
            query = text("SELECT pg_try_advisory_xact_lock(:key)")
            _wait_for(lambda: bool(connection.execute(query, {"key": _LOCK_KEY}).scalar()), wait_s)
            yield connection
        return
    with _file_lock(engine, wait_s), engine.begin() as connection:
        yield connection


def _wait_for(taken: Callable[[], bool], wait_s: float) -> None:
    """Poll `taken` until it holds the lock; StoreError once `wait_s` seconds have passed."""
    deadline = time.monotonic() + wait_s
    while not taken():
        if time.monotonic() >= deadline:
            raise StoreError(
                f"another process has held the store's migration lock for over {wait_s:g} s: a "
                "migration still running elsewhere, or a stuck one (on PostgreSQL, see "
                "pg_locks where locktype = 'advisory'); start again once it is done"
            )
        time.sleep(_LOCK_POLL_S)


@contextlib.contextmanager
def _file_lock(engine: Engine, wait_s: float) -> Iterator[None]:
    """An exclusive flock beside a SQLite file; an in-memory database has one process anyway."""
    database = engine.url.database
    if database in (None, "", ":memory:"):
        yield
        return
    path = Path(str(database))
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path.with_name(f"{path.name}.migrate.lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _wait_for(lambda: _try_flock(descriptor), wait_s)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def _try_flock(descriptor: int) -> bool:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def _guarded(engine: Engine) -> Iterator[None]:
    """Turn database and Alembic failures into one StoreError that says what to do."""
    label = engine.url.render_as_string(hide_password=True)
    try:
        yield
    except CommandError as error:
        raise StoreError(
            f"cannot migrate the store {label}: {' '.join(str(error).split())}; when it names "
            "a revision this suture does not know, a newer suture migrated the database: run "
            "that version"
        ) from error
    except SQLAlchemyError as error:
        cause = error.orig if isinstance(error, DBAPIError) else error
        said = " ".join(f"{type(cause).__name__}: {cause}".split())  # one line
        raise StoreError(
            f"cannot migrate the store {label}: {said}; check that the database is reachable "
            "and that its user may create tables"
        ) from error
