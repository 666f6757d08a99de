"""Store URLs and SQLAlchemy engines: SQLite in the workdir by default, or PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from core.errors import ConfigError

_BACKENDS = ("sqlite", "postgresql")
_DRIVERS: Mapping[str, str] = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}


def parse_store_url(url: str | None, workdir: Path) -> URL:
    """The store's URL: SQLite in `workdir` when unset; plain postgresql:// uses psycopg 3."""
    if url is None:
        workdir.mkdir(parents=True, exist_ok=True)
        return URL.create("sqlite", database=str((workdir / "suture.db").resolve()))
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise ConfigError(
            f"store URL is not a database URL: {error}; see SUTURE_STORE_URL"
        ) from error
    return parsed.set(drivername=_DRIVERS.get(parsed.drivername, parsed.drivername))


def make_engine(url: URL) -> Engine:
    """An engine for SQLite (WAL, shared across threads) or PostgreSQL (pre-pinged pool)."""
    if url.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True)
    in_memory = url.database in (None, "", ":memory:")
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        poolclass=StaticPool if in_memory else None,
    )
    if not in_memory:
        Path(str(url.database)).parent.mkdir(parents=True, exist_ok=True)
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def open_engine(url: str | None, workdir: Path, *, schema: str | None = None) -> Engine:
    """The engine of the store at `url` (None: SQLite in `workdir`); ConfigError for any other
    database. `schema` places the tables in an existing PostgreSQL schema."""
    parsed = parse_store_url(url, workdir)
    if parsed.get_backend_name() not in _BACKENDS:
        raise ConfigError(
            f"store URL {parsed.render_as_string()!r} is neither SQLite nor PostgreSQL; "
            "use sqlite:///path or postgresql+psycopg://user@host/db"
        )
    engine = make_engine(parsed)
    if schema is not None:
        engine = engine.execution_options(schema_translate_map={None: schema})
    return engine
