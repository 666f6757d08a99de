"""The local forge: suture heals and applies on its clone; the user's working copy is never
written, and what was applied is the branch `suture/applied` of their repository."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from agents import applier, healer
from agents.edges.git_repo import GitPipelineRepo
from agents.edges.kb_fake import InMemoryKnowledgeBase
from agents.edges.local_forge import APPLIED_BRANCH, LocalBranches
from agents.edges.store_fake import InMemoryStore
from agents.main import open_repo
from core.config import Settings
from core.errors import RepoError
from core.lifecycle import Transition
from core.models import AlertRaised, FixApproved, FixProposed
from tests.agents.edges.remote_repos import SHOP, git
from tools.monitoring.detect_all import detect_all

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
BEFORE = [
    {
        "order_id": f"o{i}",
        "cust_id": i,
        "amount_cents": 100 * i,
        "status": "placed",
        "created_at": "2026-01-01T10:00:00Z",
    }
    for i in range(1, 9)
]
AFTER = [  # new orders, whose producer renamed cust_id
    {**{k: v for k, v in e.items() if k != "cust_id"}, "order_id": f"n{i}", "customer_id": i}
    for i, e in enumerate(BEFORE, start=1)
]
STAGING = "models/stg_orders.sql"


def users_repo(tmp_path: Path, default: str = "trunk") -> Path:
    """The user's repository, mid-work: an edit staged, another not, and an untracked file."""
    path = GitPipelineRepo.create(SHOP, tmp_path / "yours", main_branch=default).path
    (path / STAGING).write_text("-- work in progress\n" + (path / STAGING).read_text())
    git(path, "add", STAGING)
    (path / STAGING).write_text((path / STAGING).read_text() + "-- and more, unstaged\n")
    (path / "notes.txt").write_text("untracked\n")
    return path


def state(path: Path) -> tuple[str, str, str, str, str, str]:
    """Everything of a working copy a user would miss: branch, its commit, status, index, files."""
    return (
        git(path, "symbolic-ref", "HEAD"),
        git(path, "rev-parse", "HEAD"),
        git(path, "status", "--porcelain"),
        git(path, "diff", "--cached"),
        (path / STAGING).read_text(),
        (path / "notes.txt").read_text(),
    )


async def heal_and_apply(local: LocalBranches) -> FixProposed:
    """One drift, healed on the clone, approved and applied."""
    store, kb = InMemoryStore(), InMemoryKnowledgeBase()
    contracts = (await local.repo.snapshot())[1]
    alert = AlertRaised(
        source="test",
        category="drift",
        dataset="orders",
        detections=detect_all(contracts["orders"], BEFORE, AFTER),
    )
    await store.save_alert(alert)
    await store.save_samples(alert.event_id, "orders", BEFORE, AFTER)
    deps = healer.Deps(llm=None, kb=kb, repo=local.repo, samples=store, book=store, sink=local)
    [proposal] = await healer.handle(alert, deps)
    assert isinstance(proposal, FixProposed)
    await store.transition(
        Transition(
            proposal_id=proposal.proposal_id,
            from_status="pending",
            to_status="approved",
            by="reviewer",
        )
    )
    approval = FixApproved(proposal_id=proposal.proposal_id, reviewer="ann")
    [applied] = await applier.handle(
        approval, applier.Deps(book=store, repo=local, kb=kb, clock=lambda: NOW)
    )
    assert applied.proposal_id == proposal.proposal_id
    return proposal


async def test_a_dirty_working_copy_survives_a_heal_and_approve_cycle_untouched(
    tmp_path: Path,
) -> None:
    yours = users_repo(tmp_path)
    before = state(yours)
    local = LocalBranches.open(yours, tmp_path / "work" / "clone")

    proposal = await heal_and_apply(local)

    assert state(yours) == before
    assert proposal.branch is not None
    assert "customer_id as customer_id" in git(yours, "show", f"{proposal.branch}:{STAGING}")
    applied = git(yours, "show", f"{APPLIED_BRANCH}:{STAGING}")
    assert "customer_id as customer_id" in applied
    assert git(yours, "rev-parse", APPLIED_BRANCH).strip() == local.repo.head()
    assert "cust_id as customer_id" in git(yours, "show", f"trunk:{STAGING}")  # never pushed
    assert "customer_id as customer_id" in (local.repo.path / STAGING).read_text()


async def test_fixes_applied_before_stay_applied_after_a_restart(tmp_path: Path) -> None:
    yours = users_repo(tmp_path)
    await heal_and_apply(LocalBranches.open(yours, tmp_path / "clone"))
    # Meanwhile the user commits on their default branch (without taking suture/applied).
    git(yours, "-c", "user.name=u", "-c", "user.email=u@u", "commit", "-qm", "wip")

    again = LocalBranches.open(yours, tmp_path / "clone")

    text = (again.repo.path / STAGING).read_text()
    assert "customer_id as customer_id" in text and "-- work in progress" in text
    assert git(again.repo.path, "merge-base", "--is-ancestor", "origin/trunk", "trunk") == ""


async def test_once_the_user_merged_suture_applied_the_clone_follows_their_branch(
    tmp_path: Path,
) -> None:
    yours = GitPipelineRepo.create(SHOP, tmp_path / "yours", main_branch="master").path
    await heal_and_apply(LocalBranches.open(yours, tmp_path / "clone"))
    git(yours, "merge", "--quiet", "--ff-only", APPLIED_BRANCH)

    again = LocalBranches.open(yours, tmp_path / "clone")

    assert again.repo.head() == git(yours, "rev-parse", "master").strip()


async def test_a_checked_out_suture_applied_is_not_overwritten(tmp_path: Path) -> None:
    yours = GitPipelineRepo.create(SHOP, tmp_path / "yours", main_branch="main").path
    local = LocalBranches.open(yours, tmp_path / "clone")
    # While suture runs, the user checks out the branch suture publishes to.
    git(yours, "checkout", "--quiet", "-b", APPLIED_BRANCH)
    before = git(yours, "rev-parse", APPLIED_BRANCH)

    await heal_and_apply(local)

    assert git(yours, "rev-parse", APPLIED_BRANCH) == before
    assert git(yours, "status", "--porcelain") == ""
    assert "customer_id as customer_id" in (local.repo.path / STAGING).read_text()


def test_suture_up_works_on_a_clone_in_the_workdir(tmp_path: Path) -> None:
    yours = users_repo(tmp_path, default="master")
    settings = Settings(_env_file=None, workdir=tmp_path / "work")  # type: ignore[call-arg]

    repo = open_repo(settings, yours)

    assert repo.path == (tmp_path / "work" / "clone").resolve()
    assert repo.main_branch == "master" and repo.remote == "origin"


async def test_the_default_branch_is_never_published_as_applied(tmp_path: Path) -> None:
    local = LocalBranches.open(users_repo(tmp_path), tmp_path / "clone")
    with pytest.raises(RepoError, match="does not push its default branch"):
        local.repo.push_as_sync("trunk")


async def test_a_proposal_the_clone_moved_past_is_revalidated_and_pushed_again(
    tmp_path: Path,
) -> None:
    from agents import revalidator

    yours = GitPipelineRepo.create(SHOP, tmp_path / "yours", main_branch="trunk").path
    local = LocalBranches.open(yours, tmp_path / "clone")
    store, kb = InMemoryStore(), InMemoryKnowledgeBase()
    contracts = (await local.repo.snapshot())[1]
    alert = AlertRaised(
        source="test",
        category="drift",
        dataset="orders",
        detections=detect_all(contracts["orders"], BEFORE, AFTER),
    )
    await store.save_alert(alert)
    await store.save_samples(alert.event_id, "orders", BEFORE, AFTER)
    deps = healer.Deps(llm=None, kb=kb, repo=local.repo, samples=store, book=store, sink=local)
    [proposal] = await healer.handle(alert, deps)
    assert isinstance(proposal, FixProposed) and proposal.branch is not None
    # Another fix lands on the clone's default branch (a file no proposal touches).
    (local.repo.path / "NOTES.md").write_text("applied elsewhere\n")
    git(local.repo.path, "add", "NOTES.md")
    git(local.repo.path, "-c", "user.name=s", "-c", "user.email=s@s", "commit", "-qm", "other")

    done = await revalidator.revalidate_once(
        revalidator.Deps(book=store, samples=store, repo=local, view=local.repo)
    )

    [record] = done.settled
    assert record.status == "pending" and record.proposal.commit != proposal.commit
    assert git(yours, "rev-parse", proposal.branch).strip() == record.proposal.commit
    assert git(yours, "status", "--porcelain") == ""
