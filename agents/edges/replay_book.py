"""The store's replay book: which quarantined events were replayed, claimed before publishing.

Mixed into Store (agents/edges/store.py) so it shares its engine, lock and dialect; works on
SQLite and PostgreSQL alike (multi-row INSERT ... ON CONFLICT DO NOTHING ... RETURNING).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    and_,
    or_,
    select,
    update,
)

from core.ports import Position

R = TypeVar("R")
_CHUNK = 500


def add_replay_table(metadata: MetaData) -> Table:
    """Declare the `quarantine_replays` table in `metadata`."""
    return Table(
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


class ReplayBookMixin:
    """claim / finish / unfinished replays of quarantined positions (see agents/quarantine.py)."""

    _tables: Mapping[str, Table]
    _insert: Callable[[Table], Any]

    if TYPE_CHECKING:  # provided by the Store this mixes into

        async def _run(self, work: Callable[[Connection], R]) -> R: ...

    async def claim_replays(
        self, topic: str, positions: Sequence[Position], fix: str
    ) -> set[Position]:
        """Claim positions for replay; returns those no earlier replay had claimed."""
        table = self._tables["quarantine_replays"]
        now = datetime.now(UTC)
        unique = sorted(set(positions))

        def run(conn: Connection) -> set[Position]:
            claimed: set[Position] = set()
            for start in range(0, len(unique), _CHUNK):
                rows = [
                    {"topic": topic, "part": p, "offset": o, "fix": fix, "claimed_at": now}
                    for p, o in unique[start : start + _CHUNK]
                ]
                statement = (
                    self._insert(table)
                    .values(rows)
                    .on_conflict_do_nothing()
                    .returning(table.c.part, table.c.offset)
                )
                claimed.update((int(p), int(o)) for p, o in conn.execute(statement).all())
            return claimed

        return await self._run(run) if unique else set()

    async def finish_replays(self, topic: str, positions: Sequence[Position]) -> None:
        """Mark claimed positions as published."""
        table = self._tables["quarantine_replays"]
        unique = sorted(set(positions))
        now = datetime.now(UTC)

        def run(conn: Connection) -> None:
            for start in range(0, len(unique), _CHUNK):
                match = or_(
                    *(
                        and_(table.c.part == p, table.c.offset == o)
                        for p, o in unique[start : start + _CHUNK]
                    )
                )
                conn.execute(
                    update(table)
                    .where(table.c.topic == topic, table.c.finished_at.is_(None), match)
                    .values(finished_at=now)
                )

        if unique:
            await self._run(run)

    async def unfinished_replays(self, topic: str) -> set[Position]:
        """Positions claimed but not known to be published (a crash in between)."""
        table = self._tables["quarantine_replays"]
        query = select(table.c.part, table.c.offset).where(
            table.c.topic == topic, table.c.finished_at.is_(None)
        )
        rows = await self._run(lambda conn: conn.execute(query).all())
        return {(int(p), int(o)) for p, o in rows}

    async def replayed_positions(self, topic: str) -> set[Position]:
        """Positions whose replay is finished."""
        table = self._tables["quarantine_replays"]
        query = select(table.c.part, table.c.offset).where(
            table.c.topic == topic, table.c.finished_at.is_not(None)
        )
        rows = await self._run(lambda conn: conn.execute(query).all())
        return {(int(p), int(o)) for p, o in rows}
