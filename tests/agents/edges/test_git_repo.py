"""Tests of the git-backed pipeline repository, on repos made in tmp_path."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from agents.edges.git_repo import GitPipelineRepo, branch_for
from agents.edges.pipeline_files import load_contract_file
from core.errors import RepoError
from core.models import FixProposed, ModelPatch, SchemaMapping, ValidationReport
from core.ports import ProposalSink

SHOP = Path(__file__).resolve().parents[3] / "examples" / "shop"


def _git(repo: GitPipelineRepo, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo.path), *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def _proposal(repo: GitPipelineRepo, model: str, old: str, new: str, pid: str) -> FixProposed:
    before = (repo.path / "models" / f"{model}.sql").read_text(encoding="utf-8")
    assert old in before
    return FixProposed(
        proposal_id=pid,
        alert_id="alert-1",
        dataset="orders",
        signature="sig",
        mapping=SchemaMapping(),
        patches=[ModelPatch(model=model, before_sql=before, after_sql=before.replace(old, new))],
        validation=ValidationReport(),
        title=f"Fix {model}: {old} -> {new}",
        description="Evidence: 10 of 10 events.\nMapping: cust_id -> customer_id",
    )


@pytest.fixture
def repo(tmp_path: Path) -> GitPipelineRepo:
    return GitPipelineRepo.create(SHOP, tmp_path / "repo")


def test_create_copies_the_template_into_one_commit(repo: GitPipelineRepo) -> None:
    models = repo.read_models()
    expected = {p.stem: p.read_text(encoding="utf-8") for p in (SHOP / "models").glob("*.sql")}
    assert models == expected
    assert _git(repo, "rev-list", "--count", "main").strip() == "1"
    assert _git(repo, "config", "user.email").strip() == "suture@localhost"
    assert _git(repo, "status", "--porcelain") == ""


def test_create_refuses_a_non_empty_directory(repo: GitPipelineRepo) -> None:
    with pytest.raises(RepoError, match="not empty"):
        GitPipelineRepo.create(SHOP, repo.path)


def test_opening_a_plain_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RepoError, match="not a git repository"):
        GitPipelineRepo(tmp_path)


async def test_open_change_commits_on_a_branch_without_touching_main(
    repo: GitPipelineRepo,
) -> None:
    main_before = repo.head()
    file_before = (repo.path / "models" / "stg_orders.sql").read_text(encoding="utf-8")
    proposal = _proposal(repo, "stg_orders", "cust_id as", "customer_id as", "abcdef1234567890")
    sink: ProposalSink = repo
    branch, sha = await sink.open_change(proposal)
    assert branch == "suture/fix-abcdef12" == branch_for(proposal.proposal_id)
    assert _git(repo, "rev-parse", branch).strip() == sha
    assert _git(repo, "show", f"{sha}:models/stg_orders.sql") == proposal.patches[0].after_sql
    assert _git(repo, "log", "-1", "--format=%B", sha).startswith(
        f"{proposal.title}\n\nEvidence: 10 of 10 events."
    )
    assert _git(repo, "rev-parse", f"{sha}^").strip() == main_before
    assert repo.head() == main_before
    assert _git(repo, "symbolic-ref", "--short", "HEAD").strip() == "main"
    assert (repo.path / "models" / "stg_orders.sql").read_text(encoding="utf-8") == file_before
    assert _git(repo, "status", "--porcelain") == ""


async def test_open_change_again_for_the_same_proposal_returns_the_same_commit(
    repo: GitPipelineRepo,
) -> None:
    proposal = _proposal(repo, "stg_orders", "cust_id as", "customer_id as", "p1p1p1p1xx")
    first = await repo.open_change(proposal)
    assert await repo.open_change(proposal) == first


async def test_open_change_that_changes_nothing_is_refused(repo: GitPipelineRepo) -> None:
    proposal = _proposal(repo, "stg_orders", "cust_id", "cust_id", "nochange00")
    with pytest.raises(RepoError, match="changes nothing"):
        await repo.open_change(proposal)


async def test_open_change_for_an_unknown_model_is_refused(repo: GitPipelineRepo) -> None:
    proposal = _proposal(repo, "stg_orders", "cust_id", "customer_id", "unknown000")
    patch = proposal.patches[0].model_copy(update={"model": "stg_nowhere"})
    with pytest.raises(RepoError, match="'stg_nowhere' has no file"):
        await repo.open_change(proposal.model_copy(update={"patches": [patch]}))


async def test_open_change_refuses_a_path_outside_the_repo(repo: GitPipelineRepo) -> None:
    proposal = _proposal(repo, "stg_orders", "cust_id", "customer_id", "escape0000")
    patch = proposal.patches[0].model_copy(update={"path": "../outside.sql"})
    with pytest.raises(RepoError, match="inside the repo"):
        await repo.open_change(proposal.model_copy(update={"patches": [patch]}))


async def test_diff_shows_the_branch_changes(repo: GitPipelineRepo) -> None:
    proposal = _proposal(repo, "stg_orders", "cust_id as", "customer_id as", "diff000000")
    branch, _ = await repo.open_change(proposal)
    diff = await repo.diff(branch)
    assert "--- a/models/stg_orders.sql" in diff
    assert "-  cust_id as customer_id," in diff
    assert "+  customer_id as customer_id," in diff


async def test_merge_fast_forwards_main_and_updates_the_work_tree(repo: GitPipelineRepo) -> None:
    proposal = _proposal(repo, "stg_orders", "cust_id as", "customer_id as", "merge00000")
    branch, sha = await repo.open_change(proposal)
    assert await repo.merge(branch) == sha
    assert repo.head() == sha
    path = repo.path / "models" / "stg_orders.sql"
    assert path.read_text(encoding="utf-8") == proposal.patches[0].after_sql
    assert (await repo.current_models())["stg_orders"] == proposal.patches[0].after_sql
    pipeline, contracts = await repo.snapshot()
    assert pipeline.models["stg_orders"] == proposal.patches[0].after_sql
    assert "orders" in contracts
    assert await repo.merge(branch) == sha  # merging again changes nothing


async def test_merge_takes_the_reviewed_commit_though_the_branch_moves_after_the_check(
    repo: GitPipelineRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The healer may move a branch (a newer revision) between the applier's check that the
    branch is still at the reviewed commit and the merge itself: the reviewed commit is merged,
    never the unreviewed revision the branch's name points at by then."""
    reviewed = _proposal(repo, "stg_orders", "cust_id as", "customer_id as", "race000000")
    branch, sha = await repo.open_change(reviewed)
    newer = _proposal(repo, "stg_orders", "cust_id as", "client_id as", "race000001")
    newer = newer.model_copy(update={"branch": branch, "supersedes": reviewed.proposal_id})
    checked = repo.branch_head

    def moved_right_after(name: str) -> str:
        seen = checked(name)
        repo.open_change_sync(newer)  # the successor lands on the same branch
        return seen

    monkeypatch.setattr(repo, "branch_head", moved_right_after)
    assert await repo.merge(branch, sha) == sha
    assert repo.head() == sha and checked(branch) != sha
    text = (repo.path / "models" / "stg_orders.sql").read_text(encoding="utf-8")
    assert "customer_id as" in text and "client_id" not in text


async def test_merge_after_main_moved_makes_a_merge_commit_with_both_fixes(
    repo: GitPipelineRepo,
) -> None:
    first = _proposal(repo, "stg_orders", "cust_id as", "customer_id as", "first00000")
    second = _proposal(repo, "customer_orders", "o.cust_id,", "o.cust_id as cust_id,", "second0000")
    branch_one, _ = await repo.open_change(first)
    branch_two, _ = await repo.open_change(second)
    await repo.merge(branch_one)
    merged = await repo.merge(branch_two)
    assert len(_git(repo, "rev-list", "--parents", "-1", merged).split()) == 3
    models = repo.read_models()
    assert models["stg_orders"] == first.patches[0].after_sql
    assert models["customer_orders"] == second.patches[0].after_sql


async def test_conflicting_merge_is_aborted_and_main_stays_clean(repo: GitPipelineRepo) -> None:
    one = _proposal(repo, "stg_orders", "cust_id as", "customer_id as", "aaaa0001")
    two = _proposal(repo, "stg_orders", "cust_id as", "client_id as", "bbbb0002")
    branch_one, _ = await repo.open_change(one)
    branch_two, _ = await repo.open_change(two)
    merged = await repo.merge(branch_one)
    with pytest.raises(RepoError, match=r"(?s)cannot merge .*CONFLICT"):
        await repo.merge(branch_two)
    assert repo.head() == merged
    assert _git(repo, "status", "--porcelain") == ""


async def test_two_proposals_sharing_a_branch_name_are_not_mixed_up(
    repo: GitPipelineRepo,
) -> None:
    one = _proposal(repo, "stg_orders", "cust_id as", "customer_id as", "same8chr-one")
    two = _proposal(repo, "stg_orders", "cust_id as", "client_id as", "same8chr-two")
    branch, sha = await repo.open_change(one)
    with pytest.raises(RepoError, match="already holds proposal 'same8chr-one'"):
        await repo.open_change(two)
    assert _git(repo, "rev-parse", branch).strip() == sha


async def test_reopening_a_proposal_after_main_moved_rebases_its_branch(
    repo: GitPipelineRepo,
) -> None:
    late = _proposal(repo, "customer_orders", "o.cust_id,", "o.cust_id as cust_id,", "late0000")
    early = _proposal(repo, "stg_orders", "cust_id as", "customer_id as", "early000")
    await repo.open_change(late)
    await repo.merge((await repo.open_change(early))[0])
    branch, sha = await repo.open_change(late)
    assert _git(repo, "rev-parse", f"{sha}^").strip() == repo.head()
    assert _git(repo, "rev-parse", branch).strip() == sha


async def test_merging_an_unknown_branch_is_refused(repo: GitPipelineRepo) -> None:
    with pytest.raises(RepoError, match="suture/fix-nothing"):
        await repo.merge("suture/fix-nothing")


async def test_the_updated_contract_is_committed_beside_the_models(repo: GitPipelineRepo) -> None:
    proposal = _proposal(repo, "stg_orders", "cust_id as", "customer_id as", "c0ffee01")
    original = (repo.path / "contracts" / "orders.yaml").read_text(encoding="utf-8")
    contract = load_contract_file(repo.path / "contracts" / "orders.yaml")
    renamed = [
        f.model_copy(update={"name": "customer_id"}) if f.name == "cust_id" else f
        for f in contract.fields
    ]
    proposal = proposal.model_copy(
        update={"contract": contract.model_copy(update={"fields": renamed})}
    )
    branch, _ = await repo.open_change(proposal)
    on_branch = _git(repo, "show", f"{branch}:contracts/orders.yaml")
    changed = [
        (a, b) for a, b in zip(original.splitlines(), on_branch.splitlines(), strict=True) if a != b
    ]
    assert len(changed) == 1 and "customer_id" in changed[0][1] and "cust_id" in changed[0][0]
    assert (repo.path / "contracts" / "orders.yaml").read_text(encoding="utf-8") == original
