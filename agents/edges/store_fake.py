"""InMemoryStore: the fake of the store's ports (AlertStore, ProposalStore, ReplayBook).

It keeps the real Store's promises: idempotent inserts, lifecycle moves by compare-and-set with
the same errors, samples that must be JSON objects. tests/agents/edges/test_store.py runs one
contract test class against it, SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import JsonValue, TypeAdapter, ValidationError

from core.errors import ApprovalError, NotFoundError, StoreError
from core.lifecycle import ProposalRecord, ProposalStatus, Transition, refusal
from core.models import AlertRaised, DeadLetter, FixProposed, IncidentEscalated
from core.ports import Position
from core.records import AuditEntry, DeadLetterRecord, IncidentAction, IncidentRecord

Rows = list[dict[str, Any]]
T = TypeVar("T")


def _page(items: list[T], limit: int | None, offset: int, newest_first: bool) -> list[T]:
    ordered = items[::-1] if newest_first else items
    return ordered[offset : None if limit is None else offset + limit]


_ROWS: TypeAdapter[list[dict[str, JsonValue]]] = TypeAdapter(list[dict[str, JsonValue]])


class InMemoryStore:
    """Every record in dictionaries, in insertion order."""

    def __init__(self) -> None:
        self.alerts: dict[str, AlertRaised] = {}
        self.samples: dict[str, tuple[Rows, Rows]] = {}
        self.proposals: dict[str, ProposalRecord] = {}
        self.incidents: dict[str, IncidentEscalated] = {}
        self.dead_letters: list[DeadLetter] = []
        self.replays: dict[tuple[str, Position], bool] = {}  # -> finished
        self.audit: list[AuditEntry] = []
        self.incident_states: dict[str, IncidentRecord] = {}

    async def save_alert(self, alert: AlertRaised) -> bool:
        """Store an alert; False if one with its event_id is stored already."""
        return self._insert_new(self.alerts, alert.event_id, alert)

    async def list_alerts(
        self,
        dataset: str | None = None,
        *,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = False,
    ) -> list[AlertRaised]:
        """Stored alerts, oldest first (or newest first), optionally only those about `dataset`."""
        found = [a for a in self.alerts.values() if dataset is None or a.dataset == dataset]
        return _page(found, limit, offset, newest_first)

    async def save_samples(self, alert_id: str, dataset: str, before: Rows, after: Rows) -> bool:
        """Keep an alert's samples; False if it has some already."""
        try:
            kept = (_ROWS.validate_python(before), _ROWS.validate_python(after))
        except ValidationError as error:
            raise StoreError(f"samples of alert {alert_id!r} must be lists of JSON objects") from (
                error
            )
        return self._insert_new(self.samples, alert_id, kept)

    async def load_samples(self, alert_id: str) -> tuple[Rows, Rows]:
        """The (before, after) events kept for an alert; empty if none."""
        before, after = self.samples.get(alert_id, ([], []))
        return list(before), list(after)

    async def save_proposal(self, proposal: FixProposed) -> bool:
        """Store a pending proposal; False if its id or its alert already has one."""
        if await self.proposal_for_alert(proposal.alert_id) is not None:
            return False
        record = ProposalRecord(proposal=proposal, status="pending")
        return self._insert_new(self.proposals, proposal.proposal_id, record)

    async def proposal_for_alert(self, alert_id: str) -> FixProposed | None:
        """The proposal made for an alert, if any."""
        record = await self.record_for_alert(alert_id)
        return None if record is None else record.proposal

    async def record_for_alert(self, alert_id: str) -> ProposalRecord | None:
        """The proposal made for an alert with its review state, if any."""
        found = (r for r in self.proposals.values() if r.proposal.alert_id == alert_id)
        return next(found, None)

    async def get_proposal(self, proposal_id: str) -> ProposalRecord:
        """One proposal with its review state; NotFoundError if the id is unknown."""
        if proposal_id not in self.proposals:
            raise NotFoundError(f"no proposal {proposal_id!r}; list_proposals() shows the ids")
        return self.proposals[proposal_id]

    async def list_proposals(
        self,
        status: ProposalStatus | None = None,
        *,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = False,
    ) -> list[ProposalRecord]:
        """Proposals, oldest first (or newest first), optionally only those in `status`."""
        found = [r for r in self.proposals.values() if status is None or r.status == status]
        return _page(found, limit, offset, newest_first)

    async def count_proposals(self, status: ProposalStatus | None = None) -> int:
        """How many proposals there are, optionally only those in `status`."""
        return sum(1 for r in self.proposals.values() if status is None or r.status == status)

    async def transition(self, move: Transition) -> ProposalRecord:
        """Make one lifecycle move by compare-and-set, as the real store does."""
        move.check()
        record = await self.get_proposal(move.proposal_id)
        if record.status != move.from_status:
            raise ApprovalError(
                refusal(move.proposal_id, record.status, move.from_status, record.failure or "")
            )
        changes: dict[str, Any] = move.changes()
        if move.revised is not None:
            changes["proposal"] = move.revised
        if move.by == "reviewer":
            changes["decided_at"] = datetime.now(UTC)
        self.proposals[move.proposal_id] = record.model_copy(update=changes)
        return self.proposals[move.proposal_id]

    async def save_incident(self, incident: IncidentEscalated) -> bool:
        """Store an escalation; False if one with the same event_id is stored already."""
        return self._insert_new(self.incidents, incident.event_id, incident)

    async def list_incidents(self) -> list[IncidentEscalated]:
        """Stored escalations, oldest first."""
        return list(self.incidents.values())

    async def save_dead_letter(self, letter: DeadLetter) -> None:
        """Keep a message suture could not use."""
        self.dead_letters.append(letter)

    async def list_dead_letters(self, topic: str | None = None) -> list[DeadLetter]:
        """Dead letters, oldest first, optionally only those from `topic`."""
        return [d for d in self.dead_letters if topic is None or d.topic == topic]

    async def claim_replays(
        self, topic: str, positions: Sequence[Position], fix: str
    ) -> set[Position]:
        """Claim positions for replay; returns those no earlier replay had claimed."""
        fresh = {p for p in positions if (topic, p) not in self.replays}
        self.replays.update({(topic, p): False for p in fresh})
        return fresh

    async def finish_replays(self, topic: str, positions: Sequence[Position]) -> None:
        """Mark claimed positions as published."""
        for position in positions:
            if (topic, position) in self.replays:
                self.replays[(topic, position)] = True

    async def unfinished_replays(self, topic: str) -> set[Position]:
        """Positions claimed but not known to be published."""
        return {p for (t, p), done in self.replays.items() if t == topic and not done}

    async def replayed_positions(self, topic: str) -> set[Position]:
        """Positions whose replay is finished."""
        return {p for (t, p), done in self.replays.items() if t == topic and done}

    async def append_audit(self, entry: AuditEntry) -> None:
        """Append one entry to the audit log."""
        self.audit.append(entry)

    async def list_audit(self, limit: int = 100, offset: int = 0) -> list[AuditEntry]:
        """Audit entries, newest first."""
        return _page(self.audit, limit, offset, newest_first=True)

    async def list_incident_records(
        self, limit: int = 100, offset: int = 0
    ) -> list[IncidentRecord]:
        """Incidents with their status and assignee, newest first."""
        records = [await self.get_incident_record(key) for key in self.incidents]
        return _page(records, limit, offset, newest_first=True)

    async def get_incident_record(self, event_id: str) -> IncidentRecord:
        """One incident with its state; NotFoundError if the id is unknown."""
        if event_id not in self.incidents:
            raise NotFoundError(f"no incident {event_id!r}; the incidents page lists them")
        default = IncidentRecord(incident=self.incidents[event_id])
        return self.incident_states.get(event_id, default)

    async def act_on_incident(
        self, event_id: str, action: IncidentAction, assignee: str | None = None
    ) -> IncidentRecord:
        """Assign, acknowledge, resolve or reopen an incident."""
        moved = (await self.get_incident_record(event_id)).after(action, assignee)
        self.incident_states[event_id] = moved
        return moved

    async def list_dead_letter_records(
        self, topic: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[DeadLetterRecord]:
        """Dead letters with their ids (1-based, as the database counts), newest first."""
        records = [
            DeadLetterRecord(seq=i, letter=d)
            for i, d in enumerate(self.dead_letters, start=1)
            if topic is None or d.topic == topic
        ]
        return _page(records, limit, offset, newest_first=True)

    async def get_dead_letter(self, seq: int) -> DeadLetterRecord:
        """One dead letter by id; NotFoundError if there is none."""
        if not 1 <= seq <= len(self.dead_letters):
            raise NotFoundError(f"no dead letter {seq}; the dead letters page lists them")
        return DeadLetterRecord(seq=seq, letter=self.dead_letters[seq - 1])

    def close(self) -> None:
        """Nothing to release."""

    @staticmethod
    def _insert_new(table: dict[str, Any], key: str, value: Any) -> bool:
        if key in table:
            return False
        table[key] = value
        return True
