"""The applier merges only approved proposals, once, remembers the fix, and records the outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from agents import applier
from agents.edges.kb_fake import InMemoryKnowledgeBase
from agents.edges.store_fake import InMemoryStore
from core.errors import ApprovalError, RepoError
from core.lifecycle import ProposalStatus, Transition
from core.models import (
    FixApproved,
    FixProposed,
    ModelPatch,
    SchemaMapping,
    ValidationReport,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@dataclass
class Repo:
    merged: list[str] = field(default_factory=list)
    refuse: str | None = None
    moved_to: str | None = None  # the default branch's head, when it moved past the branch

    async def behind(self, branch: str) -> str | None:
        return self.moved_to

    async def merge(self, branch: str) -> str:
        if self.refuse is not None:
            raise RepoError(self.refuse)
        self.merged.append(branch)
        return "f" * 40


def proposal(branch: str | None = "suture/fix-1") -> FixProposed:
    return FixProposed(
        alert_id="a1",
        dataset="orders",
        signature="sig",
        branch=branch,
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


async def stored(fix: FixProposed, status: ProposalStatus) -> InMemoryStore:
    """A store holding `fix`, moved to `status` the way the lifecycle allows."""
    store = InMemoryStore()
    await store.save_proposal(fix)
    path: dict[ProposalStatus, list[ProposalStatus]] = {
        "pending": [],
        "approved": ["approved"],
        "rejected": ["rejected"],
        "applied": ["approved", "applied"],
        "failed": ["approved", "failed"],
    }
    current: ProposalStatus = "pending"
    for to in path[status]:
        by = "applier" if current == "approved" else "reviewer"
        await store.transition(
            Transition(
                proposal_id=fix.proposal_id,
                from_status=current,
                to_status=to,
                by=by,
                reviewer="ana" if by == "reviewer" else None,
                note="looks right" if to == "approved" else None,
                applied_commit="c0ffee" if to == "applied" else None,
                failure="earlier failure" if to == "failed" else None,
            )
        )
        current = to
    return store


def deps(book: InMemoryStore, repo: Repo, kb: InMemoryKnowledgeBase) -> applier.Deps:
    return applier.Deps(book=book, repo=repo, kb=kb, clock=lambda: NOW)


async def test_merges_an_approved_proposal_and_records_the_verified_fix() -> None:
    fix = proposal()
    book, repo, kb = await stored(fix, "approved"), Repo(), InMemoryKnowledgeBase()
    [applied] = await applier.handle(FixApproved(proposal_id=fix.proposal_id), deps(book, repo, kb))
    assert applied.merge_commit == "f" * 40 and applied.models == ["stg"]
    assert repo.merged == ["suture/fix-1"]
    known = await kb.lookup("sig")
    assert known is not None and known.mapping.as_dict() == {"cust_id": "customer_id"}
    assert known.applied_at == NOW


async def test_records_the_applied_commit_and_keeps_the_reviewers_note() -> None:
    fix = proposal()
    book = await stored(fix, "approved")
    await applier.handle(
        FixApproved(proposal_id=fix.proposal_id), deps(book, Repo(), kb=InMemoryKnowledgeBase())
    )
    record = await book.get_proposal(fix.proposal_id)
    assert record.status == "applied"
    assert record.applied_commit == "f" * 40
    assert record.note == "looks right" and record.reviewer == "ana"


async def test_a_failed_merge_moves_the_proposal_to_failed_with_the_reason() -> None:
    fix = proposal()
    book, kb = await stored(fix, "approved"), InMemoryKnowledgeBase()
    repo = Repo(refuse="CONFLICT (content): Merge conflict in models/stg.sql")
    outcome = await applier.handle(FixApproved(proposal_id=fix.proposal_id), deps(book, repo, kb))
    assert outcome == []
    record = await book.get_proposal(fix.proposal_id)
    assert record.status == "failed"
    assert record.failure is not None and "Merge conflict in models/stg.sql" in record.failure
    assert record.applied_commit is None and await kb.lookup("sig") is None


async def test_a_proposal_without_a_branch_fails_instead_of_staying_approved() -> None:
    fix = proposal(branch=None)
    book = await stored(fix, "approved")
    await applier.handle(
        FixApproved(proposal_id=fix.proposal_id), deps(book, Repo(), InMemoryKnowledgeBase())
    )
    record = await book.get_proposal(fix.proposal_id)
    assert record.status == "failed" and record.failure == "the proposal has no branch to merge"


@pytest.mark.parametrize("status", ["applied", "failed"])
async def test_a_redelivered_approval_applies_nothing_twice(status: ProposalStatus) -> None:
    fix = proposal()
    book, repo, kb = await stored(fix, status), Repo(), InMemoryKnowledgeBase()
    assert (
        await applier.handle(FixApproved(proposal_id=fix.proposal_id), deps(book, repo, kb)) == []
    )
    assert repo.merged == []
    assert (await book.get_proposal(fix.proposal_id)).status == status


@pytest.mark.parametrize("status", ["pending", "rejected"])
async def test_nothing_is_applied_without_an_approval(status: ProposalStatus) -> None:
    fix = proposal()
    book, repo, kb = await stored(fix, status), Repo(), InMemoryKnowledgeBase()
    with pytest.raises(ApprovalError, match="not approved"):
        await applier.handle(FixApproved(proposal_id=fix.proposal_id), deps(book, repo, kb))
    assert repo.merged == [] and await kb.lookup("sig") is None


async def test_an_approval_main_moved_past_goes_stale_and_wakes_the_revalidator() -> None:
    fix = proposal()
    book, kb = await stored(fix, "approved"), InMemoryKnowledgeBase()
    repo = Repo(moved_to="b" * 40)
    woken: list[str] = []
    deps = applier.Deps(
        book=book, repo=repo, kb=kb, clock=lambda: NOW, on_moved=lambda: woken.append("x")
    )
    assert await applier.handle(FixApproved(proposal_id=fix.proposal_id), deps) == []
    record = await book.get_proposal(fix.proposal_id)
    assert record.status == "stale" and "moved to bbbbbbbbbbbb" in (record.failure or "")
    assert repo.merged == [] and await kb.lookup("sig") is None and woken == ["x"]
    # A redelivered approval of the stale proposal does nothing either.
    assert await applier.handle(FixApproved(proposal_id=fix.proposal_id), deps) == []
    assert repo.merged == [] and woken == ["x"]


async def test_a_merge_wakes_the_revalidator_for_the_proposals_made_on_the_old_head() -> None:
    fix = proposal()
    book, kb, woken = await stored(fix, "approved"), InMemoryKnowledgeBase(), []
    deps = applier.Deps(
        book=book, repo=Repo(), kb=kb, clock=lambda: NOW, on_moved=lambda: woken.append(1)
    )
    [applied] = await applier.handle(FixApproved(proposal_id=fix.proposal_id), deps)
    assert applied.proposal_id == fix.proposal_id and woken == [1]
