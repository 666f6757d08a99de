"""suture's own clone of a remote: any default branch, proposal branches pushed, default never."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.edges.git_repo import GitPipelineRepo, seed_remote
from core.errors import RepoError
from tests.agents.edges.remote_repos import SHOP, bare_remote, git, rename_proposal


@pytest.mark.parametrize("default", ["master", "trunk", "main"])
async def test_a_clone_pushes_its_proposal_branch_and_leaves_the_default_branch(
    tmp_path: Path, default: str
) -> None:
    remote = bare_remote(tmp_path, default)
    before = git(remote, "rev-parse", default).strip()
    repo = GitPipelineRepo.clone(str(remote), tmp_path / "work" / "clone")
    assert repo.main_branch == default

    branch, commit = await repo.open_change(rename_proposal(repo, "abcdef0123456789"))
    await repo.push(branch)

    assert git(remote, "rev-parse", branch).strip() == commit
    assert git(remote, "rev-parse", default).strip() == before
    assert "customer_id as" in git(remote, "show", f"{branch}:models/stg_orders.sql")


async def test_the_default_branch_is_never_pushed(tmp_path: Path) -> None:
    repo = GitPipelineRepo.clone(str(bare_remote(tmp_path, "trunk")), tmp_path / "clone")
    with pytest.raises(RepoError, match="the default branch changes through the pull request"):
        await repo.push("trunk")


async def test_sync_moves_the_clone_to_what_was_merged_on_the_remote(tmp_path: Path) -> None:
    remote = bare_remote(tmp_path, "master")
    repo = GitPipelineRepo.clone(str(remote), tmp_path / "clone")
    branch, commit = await repo.open_change(rename_proposal(repo, "1234567890abcdef"))
    await repo.push(branch)
    # A human merges the pull request on the forge: the remote's master moves to the branch.
    git(remote, "update-ref", "refs/heads/master", commit)

    assert await repo.sync() == commit
    text = (repo.path / "models" / "stg_orders.sql").read_text(encoding="utf-8")
    assert "customer_id as" in text


def test_a_working_copy_on_trunk_opens_without_naming_its_branch(tmp_path: Path) -> None:
    made = GitPipelineRepo.create(SHOP, tmp_path / "repo", main_branch="trunk")
    reopened = GitPipelineRepo(made.path)
    assert reopened.main_branch == "trunk"
    assert reopened.head() == made.head()


def test_a_branch_that_does_not_exist_is_named_in_the_error(tmp_path: Path) -> None:
    made = GitPipelineRepo.create(SHOP, tmp_path / "repo", main_branch="trunk")
    with pytest.raises(RepoError, match="has no branch 'main'"):
        GitPipelineRepo(made.path, main_branch="main")


def test_a_remote_with_branches_is_not_seeded_again(tmp_path: Path) -> None:
    remote = bare_remote(tmp_path, "master")
    other = GitPipelineRepo.create(SHOP, tmp_path / "other")
    assert seed_remote(other, str(remote)) is False


def test_a_workdir_holding_a_clone_of_another_remote_is_refused(tmp_path: Path) -> None:
    GitPipelineRepo.clone(str(bare_remote(tmp_path, "master")), tmp_path / "clone")
    with pytest.raises(RepoError, match="is a clone of"):
        GitPipelineRepo.clone(str(bare_remote(tmp_path, "trunk")), tmp_path / "clone")


def test_a_clone_at_a_relative_path_lands_there_and_opens_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`suture demo` keeps its workdir at `.suture`: the clone must be `.suture/clone`, not
    `.suture/.suture/clone` (git clones from inside the parent folder)."""
    remote = bare_remote(tmp_path, "trunk")
    monkeypatch.chdir(tmp_path)
    first = GitPipelineRepo.clone(str(remote), Path(".suture") / "clone")
    assert first.path == tmp_path / ".suture" / "clone"
    assert not (tmp_path / ".suture" / ".suture").exists()
    again = GitPipelineRepo.clone(str(remote), Path(".suture") / "clone")
    assert again.head() == first.head()
