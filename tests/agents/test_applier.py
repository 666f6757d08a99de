"""The applier merges only approved proposals, once, and remembers the fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from agents import applier
from agents.edges.kb_fake import InMemoryKnowledgeBase
from core.errors import ApprovalError
from core.models import (
    FixApproved,
    FixProposed,
    ModelPatch,
    SchemaMapping,
    ValidationReport,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@dataclass
class Record:
    status: str
    proposal: FixProposed


@dataclass
class Book:
    records: dict[str, Record] = field(default_factory=dict)

    async def get_proposal(self, proposal_id: str) -> Record:
        return self.records[proposal_id]

    async def transition(
        self,
        proposal_id: str,
        from_status: str,
        to_status: str,
        reviewer: str | None = None,
        note: str | None = None,
    ) -> Record:
        record = self.records[proposal_id]
        assert record.status == from_status
        record.status = to_status
        return record


@dataclass
class Repo:
    merged: list[str] = field(default_factory=list)

    async def merge(self, branch: str) -> str:
        self.merged.append(branch)
        return "f" * 40


def proposal() -> FixProposed:
    return FixProposed(
        alert_id="a1",
        dataset="orders",
        signature="sig",
        branch="suture/fix-1",
        mapping=SchemaMapping.model_validate(
            {"entries": [{"source": "cust_id", "target": "customer_id"}]}
        ),
        patches=[
            ModelPatch(
                model="stg",
                before_sql="select cust_id from orders",
                after_sql="select customer_id as cust_id from orders",
            )
        ],
        validation=ValidationReport(),
        title="heal orders",
        description="body",
    )


def deps(book: Book, repo: Repo, kb: InMemoryKnowledgeBase) -> applier.Deps:
    return applier.Deps(book=book, repo=repo, kb=kb, clock=lambda: NOW)


async def test_merges_an_approved_proposal_and_records_the_verified_fix() -> None:
    fix = proposal()
    book, repo, kb = (
        Book({fix.proposal_id: Record("approved", fix)}),
        Repo(),
        InMemoryKnowledgeBase(),
    )
    [applied] = await applier.handle(FixApproved(proposal_id=fix.proposal_id), deps(book, repo, kb))
    assert applied.merge_commit == "f" * 40 and applied.models == ["stg"]
    assert repo.merged == ["suture/fix-1"]
    assert book.records[fix.proposal_id].status == "applied"
    known = await kb.lookup("sig")
    assert known is not None and known.mapping.as_dict() == {"cust_id": "customer_id"}
    assert known.applied_at == NOW


async def test_a_redelivered_approval_applies_nothing_twice() -> None:
    fix = proposal()
    book, repo, kb = (
        Book({fix.proposal_id: Record("applied", fix)}),
        Repo(),
        InMemoryKnowledgeBase(),
    )
    assert (
        await applier.handle(FixApproved(proposal_id=fix.proposal_id), deps(book, repo, kb)) == []
    )
    assert repo.merged == []


@pytest.mark.parametrize("status", ["pending", "rejected"])
async def test_nothing_is_applied_without_an_approval(status: str) -> None:
    fix = proposal()
    book, repo, kb = Book({fix.proposal_id: Record(status, fix)}), Repo(), InMemoryKnowledgeBase()
    with pytest.raises(ApprovalError, match="not approved"):
        await applier.handle(FixApproved(proposal_id=fix.proposal_id), deps(book, repo, kb))
    assert repo.merged == [] and await kb.lookup("sig") is None
