"""One contract for the store, run against SQLite and against the local PostgreSQL server."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agents.edges.store import Store, open_store
from core.errors import ApprovalError, ConfigError, NotFoundError, StoreError
from core.lifecycle import ProposalRecord, ProposalStatus, Transition
from core.models import (
    AlertRaised,
    CheckResult,
    DeadLetter,
    Detection,
    FieldMapping,
    FixProposed,
    IncidentEscalated,
    ModelPatch,
    SchemaMapping,
    ValidationReport,
)
from core.records import AuditEntry

HOSTILE = [
    "Robert'); DROP TABLE proposals;--",
    '" OR 1=1 --',
    "\\'; SELECT pg_sleep(10); --",
    "<script>alert('x')</script>",
    "naïve 数据 🚀 ‮rtl",
    "%s %(name)s {0} $1 :param ?",
]


async def move(
    store: Store,
    proposal_id: str,
    from_status: ProposalStatus,
    to_status: ProposalStatus,
    reviewer: str | None = None,
    note: str | None = None,
    **recorded: str,
) -> ProposalRecord:
    """One lifecycle move, by whoever owns it (the applier records outcomes)."""
    by = "applier" if from_status == "approved" else "reviewer"
    return await store.transition(
        Transition(
            proposal_id=proposal_id,
            from_status=from_status,
            to_status=to_status,
            by=by,
            reviewer=reviewer,
            note=note,
            **recorded,
        ),
    )


def make_alert(dataset: str = "orders", field: str = "cust_id") -> AlertRaised:
    """A rename alert about `dataset`."""
    detection = Detection(kind="rename", field=field, to="customer_id")
    return AlertRaised(
        source="schema_monitor", category="drift", dataset=dataset, detections=[detection]
    )


def make_proposal(alert_id: str = "alert-1", title: str = "Map cust_id") -> FixProposed:
    """A proposal with one patch and one passing check."""
    return FixProposed(
        alert_id=alert_id,
        dataset="orders",
        signature="sig",
        mapping=SchemaMapping(entries=[FieldMapping(source="cust_id", target="customer_id")]),
        patches=[
            ModelPatch(
                model="stg_orders",
                before_sql="select cust_id from orders",
                after_sql="select customer_id as cust_id from orders",
            )
        ],
        validation=ValidationReport(checks=[CheckResult(name="replay", passed=True)]),
        title=title,
        description="body",
    )


class TestStoreContract:
    """What every store backend must do."""

    async def test_saving_an_alert_twice_keeps_one(self, store: Store) -> None:
        alert = make_alert()
        assert await store.save_alert(alert) is True
        assert await store.save_alert(alert) is False
        assert await store.list_alerts() == [alert]

    async def test_lists_alerts_of_one_dataset_in_order(self, store: Store) -> None:
        first, other, second = make_alert("a"), make_alert("b"), make_alert("a", field="x")
        for alert in (first, other, second):
            await store.save_alert(alert)
        assert await store.list_alerts("a") == [first, second]
        assert await store.list_alerts("missing") == []

    async def test_samples_round_trip_as_json(self, store: Store) -> None:
        before = [{"id": 1, "nested": {"a": [1, 2.5, None, True]}, "text": HOSTILE[0]}]
        after = [{"id": 2, "text": HOSTILE[4]}, {}]
        assert await store.save_samples("alert-1", "orders", before, after) is True
        assert await store.save_samples("alert-1", "orders", [], []) is False
        assert await store.load_samples("alert-1") == (before, after)

    async def test_an_alert_without_samples_has_empty_evidence(self, store: Store) -> None:
        assert await store.load_samples("nope") == ([], [])

    async def test_samples_that_are_not_json_are_refused(self, store: Store) -> None:
        with pytest.raises(StoreError, match="JSON objects"):
            await store.save_samples("a", "d", [{"at": datetime.now(UTC)}], [])

    async def test_one_alert_yields_one_proposal(self, store: Store) -> None:
        proposal = make_proposal()
        assert await store.save_proposal(proposal) is True
        assert await store.save_proposal(make_proposal()) is False  # same alert, new id
        assert await store.save_proposal(proposal) is False
        assert await store.proposal_for_alert("alert-1") == proposal
        record = await store.record_for_alert("alert-1")
        assert record is not None
        assert record.proposal == proposal
        assert record.status == "pending"
        assert record.reviewer is None and record.decided_at is None
        assert [r.proposal_id for r in await store.list_proposals()] == [proposal.proposal_id]
        assert await store.proposal_for_alert("other") is None
        assert await store.record_for_alert("other") is None

    async def test_unknown_proposal_is_not_found(self, store: Store) -> None:
        with pytest.raises(NotFoundError, match="no proposal 'ghost'"):
            await store.get_proposal("ghost")
        with pytest.raises(NotFoundError):
            await move(store, "ghost", "pending", "approved")

    async def test_approval_records_reviewer_and_time(self, store: Store) -> None:
        proposal = make_proposal()
        await store.save_proposal(proposal)
        record = await move(store, proposal.proposal_id, "pending", "approved", "ana", "ok")
        assert (record.status, record.reviewer, record.note) == ("approved", "ana", "ok")
        assert record.decided_at is not None and record.decided_at.tzinfo is not None
        applied = await move(
            store, proposal.proposal_id, "approved", "applied", applied_commit="abc123"
        )
        assert (applied.status, applied.reviewer, applied.applied_commit) == (
            "applied",
            "ana",
            "abc123",
        )
        assert applied.decided_at == record.decided_at

    async def test_a_failure_is_recorded_with_its_reason_and_can_go_back_to_review(
        self, store: Store
    ) -> None:
        proposal = make_proposal()
        await store.save_proposal(proposal)
        await move(store, proposal.proposal_id, "pending", "approved", "ana", "ok")
        failed = await move(
            store, proposal.proposal_id, "approved", "failed", failure="merge conflict in stg"
        )
        assert (failed.status, failed.failure, failed.note) == (
            "failed",
            "merge conflict in stg",
            "ok",
        )
        again = await move(store, proposal.proposal_id, "failed", "pending", "bob")
        assert again.status == "pending" and again.reviewer == "bob"

    async def test_a_proposal_cannot_be_approved_twice(self, store: Store) -> None:
        proposal = make_proposal()
        await store.save_proposal(proposal)
        await move(store, proposal.proposal_id, "pending", "approved", "ana")
        with pytest.raises(ApprovalError, match="is 'approved', not 'pending'"):
            await move(store, proposal.proposal_id, "pending", "approved", "bob")
        assert (await store.get_proposal(proposal.proposal_id)).reviewer == "ana"

    async def test_concurrent_approvals_let_exactly_one_win(self, store: Store) -> None:
        proposal = make_proposal()
        await store.save_proposal(proposal)
        outcomes = await asyncio.gather(
            *(move(store, proposal.proposal_id, "pending", "approved", f"r{i}") for i in range(6)),
            return_exceptions=True,
        )
        winners = [o for o in outcomes if not isinstance(o, BaseException)]
        assert len(winners) == 1
        assert all(isinstance(o, ApprovalError) for o in outcomes if o not in winners)

    async def test_counts_proposals_by_status_without_loading_them(self, store: Store) -> None:
        assert await store.count_proposals() == 0
        assert await store.count_proposals("pending") == 0
        made = [make_proposal(f"alert-{i}", title=HOSTILE[i % len(HOSTILE)]) for i in range(5)]
        for proposal in made:
            await store.save_proposal(proposal)
        await move(store, made[0].proposal_id, "pending", "approved", "ana")
        await move(store, made[1].proposal_id, "pending", "rejected", "ana")
        await move(store, made[2].proposal_id, "pending", "approved", "ana")
        await move(store, made[2].proposal_id, "approved", "applied", applied_commit="abc")
        assert await store.count_proposals() == 5
        counts = {s: await store.count_proposals(s) for s in ("pending", "approved", "rejected")}
        assert counts == {"pending": 2, "approved": 1, "rejected": 1}
        assert await store.count_proposals("applied") == 1
        assert await store.count_proposals("stale") == 0
        for status in ("pending", "approved", "applied", "rejected", "failed", "stale"):
            assert await store.count_proposals(status) == len(await store.list_proposals(status))

    async def test_a_stale_proposal_comes_back_to_review_revised_and_without_its_reason(
        self, store: Store
    ) -> None:
        proposal = make_proposal()
        await store.save_proposal(proposal)
        stale = await store.transition(
            Transition(
                proposal_id=proposal.proposal_id,
                from_status="pending",
                to_status="stale",
                by="revalidator",
                failure="the default branch moved from aaa to bbb",
            )
        )
        assert (stale.status, stale.failure) == (
            "stale",
            "the default branch moved from aaa to bbb",
        )
        assert await store.count_proposals("stale") == 1
        with pytest.raises(ApprovalError, match=r"is stale .*moved from aaa to bbb.*revalidated"):
            await move(store, proposal.proposal_id, "pending", "approved", "ana")
        revised = proposal.model_copy(update={"commit": "c" * 40, "title": HOSTILE[0]})
        back = await store.transition(
            Transition(
                proposal_id=proposal.proposal_id,
                from_status="stale",
                to_status="pending",
                by="revalidator",
                revised=revised,
            )
        )
        assert (back.status, back.failure, back.proposal) == ("pending", None, revised)
        assert (await store.get_proposal(proposal.proposal_id)).proposal == revised
        assert await store.proposal_for_alert(proposal.alert_id) == revised

    async def test_only_the_revalidator_settles_a_stale_proposal(self, store: Store) -> None:
        proposal = make_proposal()
        await store.save_proposal(proposal)
        await move(store, proposal.proposal_id, "pending", "approved", "ana")
        await store.transition(
            Transition(
                proposal_id=proposal.proposal_id,
                from_status="approved",
                to_status="stale",
                by="applier",
                failure="main moved",
            )
        )
        with pytest.raises(ApprovalError, match="that is the revalidator's move"):
            await move(store, proposal.proposal_id, "stale", "failed", failure="conflict")
        with pytest.raises(ApprovalError, match="with its revalidated proposal"):
            await store.transition(
                Transition(
                    proposal_id=proposal.proposal_id,
                    from_status="stale",
                    to_status="pending",
                    by="revalidator",
                )
            )
        failed = await store.transition(
            Transition(
                proposal_id=proposal.proposal_id,
                from_status="stale",
                to_status="failed",
                by="revalidator",
                failure="conflict in models/stg_orders.sql",
            )
        )
        assert (failed.status, failed.failure) == ("failed", "conflict in models/stg_orders.sql")
        assert failed.reviewer == "ana" and failed.proposal == proposal

    async def test_disallowed_moves_are_refused(self, store: Store) -> None:
        proposal = make_proposal()
        await store.save_proposal(proposal)
        with pytest.raises(ApprovalError, match="cannot go from 'pending' to 'applied'"):
            await move(store, proposal.proposal_id, "pending", "applied", applied_commit="abc")
        with pytest.raises(ApprovalError, match="that is the reviewer's move"):
            await store.transition(
                Transition(
                    proposal_id=proposal.proposal_id,
                    from_status="pending",
                    to_status="approved",
                    by="applier",
                )
            )
        await move(store, proposal.proposal_id, "pending", "approved", "ana")
        with pytest.raises(ApprovalError, match="records why it failed"):
            await move(store, proposal.proposal_id, "approved", "failed")
        assert (await store.get_proposal(proposal.proposal_id)).status == "approved"

    async def test_lists_proposals_by_status(self, store: Store) -> None:
        kept, dropped = make_proposal("a1"), make_proposal("a2")
        await store.save_proposal(kept)
        await store.save_proposal(dropped)
        await move(store, dropped.proposal_id, "pending", "rejected", "ana", "wrong field")
        assert [r.proposal for r in await store.list_proposals("pending")] == [kept]
        [rejected] = await store.list_proposals("rejected")
        assert (rejected.proposal, rejected.note) == (dropped, "wrong field")

    async def test_incidents_are_kept_once(self, store: Store) -> None:
        incident = IncidentEscalated(
            alert_id="a1", dataset="orders", reason="two fit", candidates=["x", "y"]
        )
        assert await store.save_incident(incident) is True
        assert await store.save_incident(incident) is False
        assert await store.list_incidents() == [incident]

    async def test_dead_letters_are_listed_by_topic(self, store: Store) -> None:
        first = DeadLetter(
            topic="orders", offset=3, value="{not json", reason="bad", error_type="EventDecodeError"
        )
        second = DeadLetter(topic="http:/alerts", value="x", reason="r", error_type="E")
        await store.save_dead_letter(first)
        await store.save_dead_letter(second)
        await store.save_dead_letter(first)  # dead letters are a log: repeats are kept
        assert await store.list_dead_letters() == [first, second, first]
        assert await store.list_dead_letters("http:/alerts") == [second]

    @pytest.mark.parametrize("text", HOSTILE)
    async def test_hostile_strings_round_trip(self, store: Store, text: str) -> None:
        alert = make_alert(dataset=text, field=text)
        proposal = make_proposal(alert_id=text, title=text)
        await store.save_alert(alert)
        await store.save_proposal(proposal)
        await store.save_samples(text, text, [{text: text}], [])
        await move(store, proposal.proposal_id, "pending", "rejected", text, text)
        assert await store.list_alerts(text) == [alert]
        record = await store.record_for_alert(text)
        assert record is not None
        assert (record.proposal, record.reviewer, record.note) == (proposal, text, text)
        assert await store.load_samples(text) == ([{text: text}], [])


def test_default_store_is_a_wal_sqlite_file_in_the_workdir(tmp_path: Path) -> None:
    store = open_store(None, tmp_path / "work")
    store.close()
    assert (tmp_path / "work" / "suture.db").exists()
    with closing(sqlite3.connect(tmp_path / "work" / "suture.db")) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_store_reopened_keeps_its_records(tmp_path: Path) -> None:
    alert = make_alert()
    first = open_store(None, tmp_path)
    assert asyncio.run(first.save_alert(alert)) is True
    first.close()
    second = open_store(f"sqlite:///{tmp_path / 'suture.db'}", tmp_path)
    assert asyncio.run(second.list_alerts()) == [alert]
    second.close()


def test_an_unsupported_store_url_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="neither SQLite nor PostgreSQL"):
        open_store("mysql://localhost/x", tmp_path)
    with pytest.raises(ConfigError, match="not a database URL"):
        open_store("::nonsense::", tmp_path)


def test_an_unreachable_server_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open the store"):
        open_store("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2", tmp_path)


class TestConsoleRecordsContract:
    """The review console's records on every store backend."""

    async def test_audit_log_lists_newest_first_and_pages(self, store: Store) -> None:
        for action in ("approve", "reject", "replay"):
            await store.append_audit(
                AuditEntry(
                    actor="ana", role="reviewer", action=action, subject="p-1", detail={"n": 1}
                )
            )
        newest = await store.list_audit(limit=2)
        assert [e.action for e in newest] == ["replay", "reject"]
        assert [e.action for e in await store.list_audit(limit=2, offset=2)] == ["approve"]
        assert newest[0].detail == {"n": 1} and newest[0].at.tzinfo is not None

    async def test_an_incident_is_assigned_acknowledged_and_resolved(self, store: Store) -> None:
        incident = IncidentEscalated(alert_id="a-1", dataset="orders", reason="two fit")
        await store.save_incident(incident)
        assert (await store.get_incident_record(incident.event_id)).status == "open"
        await store.act_on_incident(incident.event_id, "assign", "ana")
        acked = await store.act_on_incident(incident.event_id, "acknowledge")
        assert (acked.status, acked.assignee) == ("acknowledged", "ana")
        with pytest.raises(ApprovalError, match="acknowledge"):
            await store.act_on_incident(incident.event_id, "acknowledge")
        await store.act_on_incident(incident.event_id, "resolve")
        [listed] = await store.list_incident_records()
        assert (listed.status, listed.assignee) == ("resolved", "ana")
        with pytest.raises(NotFoundError):
            await store.act_on_incident("nope", "resolve")

    async def test_lists_page_newest_first(self, store: Store) -> None:
        for n in range(5):
            await store.save_proposal(make_proposal(alert_id=f"a-{n}", title=f"t{n}"))
            await store.save_dead_letter(
                DeadLetter(topic="orders", value=str(n), reason="r", error_type="E")
            )
        page = await store.list_proposals(limit=2, offset=1, newest_first=True)
        assert [r.proposal.title for r in page] == ["t3", "t2"]
        letters = await store.list_dead_letter_records(limit=2)
        assert [r.letter.value for r in letters] == ["4", "3"]
        assert (await store.get_dead_letter(letters[1].seq)).letter.value == "3"
        with pytest.raises(NotFoundError):
            await store.get_dead_letter(10_000)
