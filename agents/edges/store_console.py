"""The store's console records: the append-only audit log, incident handling, paged listings.

Mixed into Store (agents/edges/store.py) so it shares its engine, lock and dialect; works on
SQLite and PostgreSQL alike. The audit log has no update or delete: entries are only appended.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

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
    select,
    update,
)

from agents.edges.store_schema import as_utc
from core.errors import NotFoundError
from core.models import DeadLetter, IncidentEscalated
from core.records import (
    AuditEntry,
    DeadLetterRecord,
    IncidentAction,
    IncidentRecord,
)

R = TypeVar("R")


def add_console_tables(metadata: MetaData) -> None:
    """Declare the `audit_log` and `incident_states` tables in `metadata`."""
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


class ConsoleRecordsMixin:
    """Audit log, incident states and dead letters with their ids (see agents/edges/web.py)."""

    _tables: Mapping[str, Table]
    _insert: Callable[[Table], Any]

    if TYPE_CHECKING:  # provided by the Store this mixes into

        async def _run(self, work: Callable[[Connection], R]) -> R: ...

    async def append_audit(self, entry: AuditEntry) -> None:
        """Append one entry to the audit log (entries are never changed or removed)."""
        table = self._tables["audit_log"]
        values = entry.model_dump(mode="python")
        await self._run(lambda conn: conn.execute(table.insert().values(**values)))

    async def list_audit(self, limit: int = 100, offset: int = 0) -> list[AuditEntry]:
        """Audit entries, newest first."""
        table = self._tables["audit_log"]
        query = select(table).order_by(table.c.seq.desc()).limit(limit).offset(offset)
        rows = await self._run(lambda conn: conn.execute(query).mappings().all())
        return [
            AuditEntry.model_validate(
                {**{k: v for k, v in row.items() if k != "seq"}, "at": as_utc(row["at"])}
            )
            for row in rows
        ]

    async def list_incident_records(
        self, limit: int = 100, offset: int = 0
    ) -> list[IncidentRecord]:
        """Incidents with their status and assignee, newest first."""
        incidents, states = self._tables["incidents"], self._tables["incident_states"]
        query = (
            select(incidents.c.payload, states.c.status, states.c.assignee, states.c.updated_at)
            .select_from(incidents.outerjoin(states, incidents.c.event_id == states.c.event_id))
            .order_by(incidents.c.seq.desc())
            .limit(limit)
            .offset(offset)
        )
        rows = await self._run(lambda conn: conn.execute(query).all())
        return [
            IncidentRecord(
                incident=IncidentEscalated.model_validate_json(row.payload),
                status=row.status or "open",
                assignee=row.assignee,
                updated_at=as_utc(row.updated_at),
            )
            for row in rows
        ]

    async def get_incident_record(self, event_id: str) -> IncidentRecord:
        """One incident with its state; NotFoundError if the id is unknown."""
        incidents, states = self._tables["incidents"], self._tables["incident_states"]
        query = (
            select(incidents.c.payload, states.c.status, states.c.assignee, states.c.updated_at)
            .select_from(incidents.outerjoin(states, incidents.c.event_id == states.c.event_id))
            .where(incidents.c.event_id == event_id)
        )
        row = await self._run(lambda conn: conn.execute(query).first())
        if row is None:
            raise NotFoundError(f"no incident {event_id!r}; the incidents page lists them")
        return IncidentRecord(
            incident=IncidentEscalated.model_validate_json(row.payload),
            status=row.status or "open",
            assignee=row.assignee,
            updated_at=as_utc(row.updated_at),
        )

    async def act_on_incident(
        self, event_id: str, action: IncidentAction, assignee: str | None = None
    ) -> IncidentRecord:
        """Assign, acknowledge, resolve or reopen an incident (compare-and-set on its status)."""
        current = await self.get_incident_record(event_id)
        moved = current.after(action, assignee)
        table = self._tables["incident_states"]
        first = self._insert(table).values(
            event_id=event_id, status="open", assignee=None, updated_at=datetime.now(UTC)
        )
        statement = (
            update(table)
            .where(table.c.event_id == event_id)
            .where(table.c.status == current.status)
            .values(status=moved.status, assignee=moved.assignee, updated_at=moved.updated_at)
            .returning(table.c.event_id)
        )

        def run(conn: Connection) -> bool:
            conn.execute(first.on_conflict_do_nothing())
            return conn.execute(statement).first() is not None

        if not await self._run(run):
            # Someone moved it in between: the lifecycle check on the fresh state says why.
            (await self.get_incident_record(event_id)).after(action, assignee)
        return moved

    async def list_dead_letter_records(
        self, topic: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[DeadLetterRecord]:
        """Dead letters with their ids, newest first, optionally only those from `topic`."""
        table = self._tables["dead_letters"]
        query = select(table.c.seq, table.c.payload).order_by(table.c.seq.desc())
        if topic is not None:
            query = query.where(table.c.topic == topic)
        query = query.limit(limit).offset(offset)
        rows = await self._run(lambda conn: conn.execute(query).all())
        return [
            DeadLetterRecord(seq=row.seq, letter=DeadLetter.model_validate_json(row.payload))
            for row in rows
        ]

    async def get_dead_letter(self, seq: int) -> DeadLetterRecord:
        """One dead letter by id; NotFoundError if there is none."""
        table = self._tables["dead_letters"]
        query = select(table.c.payload).where(table.c.seq == seq)
        payload = await self._run(lambda conn: conn.execute(query).scalar_one_or_none())
        if payload is None:
            raise NotFoundError(f"no dead letter {seq}; the dead letters page lists them")
        return DeadLetterRecord(seq=seq, letter=DeadLetter.model_validate_json(payload))
