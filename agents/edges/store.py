"""Store: alerts, evidence samples, proposals and their review state, incidents, dead letters.

SQLAlchemy Core over SQLite (a file in the workdir, WAL mode; `sqlite://` is in memory, for
tests) or PostgreSQL (`postgresql+psycopg://...`). Every call runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from pydantic import JsonValue, TypeAdapter, ValidationError
from sqlalchemy import Connection, Engine, Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from agents.edges.leadership import FileLeases, Leases, PostgresLeases
from agents.edges.replay_book import ReplayBookMixin
from agents.edges.store_console import ConsoleRecordsMixin
from agents.edges.store_engine import open_engine
from agents.edges.store_migrations import store_metadata, upgrade
from agents.edges.store_schema import as_utc
from core.errors import ApprovalError, NotFoundError, StoreError
from core.lifecycle import ProposalRecord, ProposalStatus, Transition, refusal
from core.models import AlertRaised, DeadLetter, FixProposed, IncidentEscalated

R = TypeVar("R")
Rows = list[dict[str, Any]]
_ROWS: TypeAdapter[list[dict[str, JsonValue]]] = TypeAdapter(list[dict[str, JsonValue]])
# Insert-if-absent is dialect specific; both dialects spell it ON CONFLICT DO NOTHING.
_INSERTS: Mapping[str, Callable[[Table], Any]] = {
    "sqlite": sqlite.insert,
    "postgresql": postgresql.insert,
}


class Store(ReplayBookMixin, ConsoleRecordsMixin):
    """Async access to suture's records; every method is safe to call again after a crash."""

    def __init__(self, engine: Engine, label: str) -> None:
        self._engine = engine
        self._label = label
        self._tables = store_metadata().tables
        # SQLite has one writer; serialising calls avoids "database is locked" under load.
        self._lock = threading.Lock() if engine.dialect.name == "sqlite" else None
        self._insert = _INSERTS[engine.dialect.name]

    def migrate(self) -> None:
        """Upgrade the schema to this suture's head under the migration lock (blocking; called
        once by open_store, so replicas starting together migrate once)."""
        if self._lock is None:
            upgrade(self._engine)
            return
        with self._lock:
            upgrade(self._engine)

    def close(self) -> None:
        """Release every pooled connection."""
        self._engine.dispose()

    def leases(self, folder: Path) -> Leases:
        """Leadership for singleton loops across replicas sharing this store: advisory locks on
        PostgreSQL; on SQLite (one machine), file locks in `folder`."""
        if self._engine.dialect.name == "postgresql":
            return PostgresLeases(self._engine)
        return FileLeases(folder)

    # alerts -------------------------------------------------------------------------------
    async def save_alert(self, alert: AlertRaised) -> bool:
        """Store an alert; False if one with the same event_id is already stored."""
        values = {
            "event_id": alert.event_id,
            "dataset": alert.dataset,
            "occurred_at": alert.occurred_at,
            "payload": alert.model_dump_json(),
        }
        return await self._insert_new("alerts", values)

    async def list_alerts(
        self,
        dataset: str | None = None,
        *,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = False,
    ) -> list[AlertRaised]:
        """Stored alerts, oldest first (or newest first), optionally only those about `dataset`."""
        table = self._tables["alerts"]
        query = select(table.c.payload).order_by(
            table.c.seq.desc() if newest_first else table.c.seq
        )
        if dataset is not None:
            query = query.where(table.c.dataset == dataset)
        query = query.limit(limit).offset(offset)
        rows = await self._run(lambda conn: conn.execute(query).scalars().all())
        return [AlertRaised.model_validate_json(payload) for payload in rows]

    # samples ------------------------------------------------------------------------------
    async def save_samples(self, alert_id: str, dataset: str, before: Rows, after: Rows) -> bool:
        """Keep the events seen before and after a change; False if the alert already has some."""
        try:
            values = {
                "alert_id": alert_id,
                "dataset": dataset,
                "before": _ROWS.validate_python(before),
                "after": _ROWS.validate_python(after),
            }
        except ValidationError as error:
            raise StoreError(
                f"samples of alert {alert_id!r} must be lists of JSON objects: {error}; "
                "convert dates and bytes to strings first"
            ) from error
        return await self._insert_new("samples", values)

    async def load_samples(self, alert_id: str) -> tuple[Rows, Rows]:
        """The (before, after) events kept for an alert (the healer's evidence); empty if none."""
        table = self._tables["samples"]
        query = select(table.c.before, table.c.after).where(table.c.alert_id == alert_id)
        row = await self._run(lambda conn: conn.execute(query).first())
        if row is None:
            return [], []
        return list(row.before), list(row.after)

    # proposals ----------------------------------------------------------------------------
    async def save_proposal(self, proposal: FixProposed) -> bool:
        """Store a pending proposal; False if its id or its alert already has one."""
        values = {
            "proposal_id": proposal.proposal_id,
            "alert_id": proposal.alert_id,
            "dataset": proposal.dataset,
            "status": "pending",
            "payload": proposal.model_dump_json(),
        }
        return await self._insert_new("proposals", values)

    async def proposal_for_alert(self, alert_id: str) -> FixProposed | None:
        """The proposal made for an alert, if any (the healer's idempotency check)."""
        record = await self.record_for_alert(alert_id)
        return None if record is None else record.proposal

    async def record_for_alert(self, alert_id: str) -> ProposalRecord | None:
        """The proposal made for an alert with its review state, if any."""
        table = self._tables["proposals"]
        rows = await self._select_proposals(table.c.alert_id == alert_id)
        return rows[0] if rows else None

    async def get_proposal(self, proposal_id: str) -> ProposalRecord:
        """One proposal with its review state; NotFoundError if the id is unknown."""
        table = self._tables["proposals"]
        rows = await self._select_proposals(table.c.proposal_id == proposal_id)
        if not rows:
            raise NotFoundError(f"no proposal {proposal_id!r}; list_proposals() shows the ids")
        return rows[0]

    async def list_proposals(
        self,
        status: ProposalStatus | None = None,
        *,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = False,
    ) -> list[ProposalRecord]:
        """Proposals, oldest first (or newest first), optionally only those in `status`."""
        table = self._tables["proposals"]
        return await self._select_proposals(
            None if status is None else table.c.status == status,
            limit=limit,
            offset=offset,
            newest_first=newest_first,
        )

    async def count_proposals(self, status: ProposalStatus | None = None) -> int:
        """How many proposals there are, optionally only those in `status` (one COUNT query)."""
        table = self._tables["proposals"]
        query = select(func.count()).select_from(table)
        if status is not None:
            query = query.where(table.c.status == status)
        return await self._run(lambda conn: int(conn.execute(query).scalar_one()))

    async def transition(self, move: Transition) -> ProposalRecord:
        """Make one lifecycle move, atomically (compare-and-set on the current status).

        Raises NotFoundError for an unknown id, and ApprovalError when the lifecycle does not
        allow the move or the proposal is no longer in `move.from_status` (someone else moved it).
        """
        move.check()
        table = self._tables["proposals"]
        changes: dict[str, Any] = move.changes()
        if move.revised is not None:
            changes["payload"] = move.revised.model_dump_json()
        if move.by == "reviewer":
            changes["decided_at"] = datetime.now(UTC)
        statement = (
            update(table)
            .where(table.c.proposal_id == move.proposal_id)
            .where(table.c.status == move.from_status)
            .values(**changes)
            .returning(table.c.proposal_id)
        )

        def run(conn: Connection) -> tuple[str, str] | None:
            if conn.execute(statement).first() is not None:
                return None
            query = select(table.c.status, table.c.failure).where(
                table.c.proposal_id == move.proposal_id
            )
            row = conn.execute(query).first()
            return ("", "") if row is None else (str(row.status), row.failure or "")

        current = await self._run(run)
        if current is not None and current[0] == "":
            raise NotFoundError(f"no proposal {move.proposal_id!r}; list_proposals() shows the ids")
        if current is not None:
            status = cast(ProposalStatus, current[0])
            raise ApprovalError(refusal(move.proposal_id, status, move.from_status, current[1]))
        return await self.get_proposal(move.proposal_id)

    # incidents and dead letters -------------------------------------------
    async def save_incident(self, incident: IncidentEscalated) -> bool:
        """Store an escalation; False if one with the same event_id is already stored."""
        values = {
            "event_id": incident.event_id,
            "alert_id": incident.alert_id,
            "dataset": incident.dataset,
            "payload": incident.model_dump_json(),
        }
        return await self._insert_new("incidents", values)

    async def list_incidents(self) -> list[IncidentEscalated]:
        """Stored escalations, oldest first."""
        table = self._tables["incidents"]
        query = select(table.c.payload).order_by(table.c.seq)
        rows = await self._run(lambda conn: conn.execute(query).scalars().all())
        return [IncidentEscalated.model_validate_json(payload) for payload in rows]

    async def save_dead_letter(self, letter: DeadLetter) -> None:
        """Keep a message suture could not use, with the reason."""
        values = {"topic": letter.topic, "at": letter.at, "payload": letter.model_dump_json()}
        table = self._tables["dead_letters"]
        await self._run(lambda conn: conn.execute(table.insert().values(**values)))

    async def list_dead_letters(self, topic: str | None = None) -> list[DeadLetter]:
        """Dead letters, oldest first, optionally only those from `topic`."""
        table = self._tables["dead_letters"]
        query = select(table.c.payload).order_by(table.c.seq)
        if topic is not None:
            query = query.where(table.c.topic == topic)
        rows = await self._run(lambda conn: conn.execute(query).scalars().all())
        return [DeadLetter.model_validate_json(payload) for payload in rows]

    # plumbing -----------------------------------------------------------------------------
    async def _select_proposals(
        self,
        condition: Any,
        *,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = False,
    ) -> list[ProposalRecord]:
        table = self._tables["proposals"]
        query = select(table).order_by(table.c.seq.desc() if newest_first else table.c.seq)
        if condition is not None:
            query = query.where(condition)
        query = query.limit(limit).offset(offset)
        rows = await self._run(lambda conn: conn.execute(query).mappings().all())
        return [
            ProposalRecord(
                proposal=FixProposed.model_validate_json(row["payload"]),
                status=row["status"],
                reviewer=row["reviewer"],
                decided_at=as_utc(row["decided_at"]),
                applied_commit=row["applied_commit"],
                note=row["note"],
                failure=row["failure"],
            )
            for row in rows
        ]

    async def _insert_new(self, table_name: str, values: dict[str, Any]) -> bool:
        table = self._tables[table_name]
        # RETURNING, not rowcount: drivers disagree on rowcount for ON CONFLICT DO NOTHING.
        key = next(iter(table.primary_key.columns))
        statement = self._insert(table).values(**values).on_conflict_do_nothing().returning(key)
        return await self._run(lambda conn: conn.execute(statement).first() is not None)

    async def _run(self, work: Callable[[Connection], R]) -> R:
        return await asyncio.to_thread(self._call, work)

    def _call(self, work: Callable[[Connection], R]) -> R:
        try:
            if self._lock is None:
                return self._transaction(work)
            with self._lock:
                return self._transaction(work)
        except DBAPIError as error:
            raise StoreError(
                f"store {self._label} failed: {type(error.orig).__name__}: {error.orig}; "
                "check that the database is reachable and writable"
            ) from error
        except SQLAlchemyError as error:
            raise StoreError(f"store {self._label} failed: {error}") from error

    def _transaction(self, work: Callable[[Connection], R]) -> R:
        with self._engine.begin() as conn:
            return work(conn)


def open_store(url: str | None, workdir: Path, *, schema: str | None = None) -> Store:
    """Open the store at `url` (None means SQLite in `workdir`), migrated to the head.

    `schema` places the tables in an existing PostgreSQL schema (tests use one per run).
    """
    engine = open_engine(url, workdir, schema=schema)
    store = Store(engine, engine.url.render_as_string(hide_password=True))
    try:
        store.migrate()
    except StoreError as error:
        store.close()
        raise StoreError(f"cannot open the store: {error}") from error
    return store
