"""The `local` forge: proposals and approvals on suture's clone of your repository, never on it.

`suture up --repo DIR` (with no SUTURE_GIT_REMOTE) clones DIR into `<workdir>/clone` and works
there; DIR's working copy, index and checked-out branch are never written. What DIR receives are
branches it can look at, like a forge's:

- `suture/fix-<id>`: each proposal's branch, pushed when the healer opens (or revises) it;
- `suture/applied`: the clone's default branch after each approved fix was merged there: DIR's
  default branch plus every applied fix. Take it with `git merge suture/applied`.

suture never pushes DIR's default branch. On start, a `suture/applied` DIR has not merged yet is
merged into the clone again, so applied fixes stay applied across restarts.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from agents.edges.git_repo import GitPipelineRepo
from core.contracts import Pipeline
from core.errors import RepoError
from core.models import FixProposed
from core.ports import Rebase

_log = logging.getLogger(__name__)
APPLIED_BRANCH = "suture/applied"


class LocalBranches:
    """ProposalSink, Merger and Rebaser of the local forge, over suture's clone of the repository.

    The clone's default branch is where fixes are merged, so it is the head proposals are kept
    true to (agents/revalidator.py); a branch moved onto it is pushed to the repository again."""

    def __init__(self, repo: GitPipelineRepo) -> None:
        self.repo = repo

    @classmethod
    def open(cls, repository: Path, clone: Path) -> LocalBranches:
        """suture's clone of `repository` at `clone` (made, or refreshed), with the fixes applied
        before (`suture/applied`) merged into its default branch."""
        repo = GitPipelineRepo.clone(str(Path(repository).resolve()), clone)
        if repo.merge_remote_sync(APPLIED_BRANCH):
            _log.info("merged the fixes applied before (%s) into the clone", APPLIED_BRANCH)
        return cls(repo)

    async def open_change(self, proposal: FixProposed) -> tuple[str, str]:
        """Commit the proposal on its branch in the clone and push that branch to the repository."""
        branch, commit = await self.repo.open_change(proposal)
        await self.repo.push(branch)
        return branch, commit

    async def move_branch(self, proposal: FixProposed, rebase: Rebase) -> str:
        """Commit the rebased change on the clone's head, move the branch and push it."""
        commit = await self.repo.move_branch(proposal, rebase)
        await self.repo.push(rebase.branch)
        return commit

    async def refresh(self) -> str:
        """The clone's default branch's head."""
        return await self.repo.refresh()

    async def base_of(self, branch: str) -> str | None:
        """The commit `branch` was made on; None when the clone's default branch holds it."""
        return await self.repo.base_of(branch)

    async def behind(self, branch: str) -> str | None:
        """The clone's head when it moved past the branch's base; else None."""
        return await self.repo.behind(branch)

    async def rebase(self, branch: str) -> Rebase:
        """The branch's change merged onto the clone's head (no ref moves)."""
        return await self.repo.rebase(branch)

    async def pipeline_at(self, ref: str) -> Pipeline:
        """The models committed at `ref`."""
        return await self.repo.pipeline_at(ref)

    async def merge(self, branch: str, commit: str | None = None) -> str:
        """Merge the branch (at the reviewed `commit`) into the clone's default branch, which the
        running pipeline reads, and publish the result as `suture/applied`."""
        merged = await self.repo.merge(branch, commit)
        await self.publish()
        return merged

    async def publish(self) -> bool:
        """Push the clone's default branch as `suture/applied`; False (logged) if the repository
        refused it, e.g. while that branch is checked out there: the next apply publishes it."""
        try:
            await asyncio.to_thread(self.repo.push_as_sync, APPLIED_BRANCH)
        except RepoError as error:
            _log.warning("could not publish %s: %s", APPLIED_BRANCH, error)
            return False
        return True
