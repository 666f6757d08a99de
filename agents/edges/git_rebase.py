"""Carrying a proposal's branch onto the default branch's new head (the Rebaser port).

A proposal's branch is one commit on top of the default branch's head at the time it was made
and validated. When the default branch moves, the change is merged onto the new head in git's
object store only (`git merge-tree`): nothing moves, neither a ref nor the work tree, until the
change was validated again and `move_branch` commits it and moves the branch (compare-and-set on
the branch's old commit, so a branch someone else moved meanwhile is never overwritten).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path

from agents.edges.pipeline_files import read_pipeline_dir
from core.contracts import Pipeline
from core.errors import RebaseConflictError, RepoError
from core.models import FixProposed
from core.ports import Rebase


class BranchRebasing:
    """The Rebaser half of GitPipelineRepo; it needs the repository's `_git` and `_git_ok`."""

    path: Path
    main_branch: str

    # Provided by GitPipelineRepo, the class this half is mixed into.
    _git: Callable[..., str]
    _git_ok: Callable[..., bool]

    def head(self) -> str:
        """The commit main points at."""
        return self._git("rev-parse", f"refs/heads/{self.main_branch}").strip()

    def branch_head(self, branch: str) -> str:
        """The commit `branch` points at; RepoError naming it when there is no such branch."""
        try:
            return self._git("rev-parse", "--verify", f"refs/heads/{branch}").strip()
        except RepoError as error:
            raise RepoError(
                f"there is no branch {branch!r} in {str(self.path)!r} (deleted?); the proposal "
                "must be made again"
            ) from error

    def base_of_sync(self, branch: str) -> str | None:
        """The commit `branch` was made on (its tip's parent); None when main holds the tip."""
        tip = self.branch_head(branch)
        if self._git_ok("merge-base", "--is-ancestor", tip, self.head()):
            return None
        return self._git("rev-parse", f"{tip}^").strip()

    def behind_sync(self, branch: str) -> str | None:
        """Main's head when it moved past the commit `branch` was made on; else None."""
        base, head = self.base_of_sync(branch), self.head()
        return None if base is None or base == head else head

    def rebase_sync(self, branch: str) -> Rebase:
        """The branch's change merged onto main's head, as a tree; refs and work tree untouched.

        Raises RebaseConflictError naming the files when the change no longer merges."""
        tip, head = self.branch_head(branch), self.head()
        base = self._git("rev-parse", f"{tip}^").strip()
        # --name-only: a conflict lists the conflicting files after the tree (exit status 1).
        lines = self._git(
            "merge-tree", "--write-tree", "--name-only", "--no-messages", head, tip, ok=(0, 1)
        ).splitlines()
        conflicts = tuple(line for line in lines[1:] if line.strip())
        if conflicts:
            raise RebaseConflictError(
                f"the change on {branch!r} conflicts with {self.main_branch!r} at "
                f"{head[:12]} in {', '.join(conflicts)}",
                conflicts,
            )
        tree = lines[0].strip()
        listing = self._git("diff-tree", "-r", "--name-only", "-z", head, tree)
        changed = {p: self._git("show", f"{tree}:{p}") for p in listing.split("\0") if p}
        return Rebase(branch=branch, tip=tip, base=base, head=head, tree=tree, changed=changed)

    def pipeline_at_sync(self, ref: str) -> Pipeline:
        """The models committed at `ref`, read as the running pipeline reads its directory."""
        with tempfile.TemporaryDirectory(prefix="suture-tree-") as folder:
            env = {"GIT_INDEX_FILE": str(Path(folder) / "index")}
            root = Path(folder) / "tree"
            self._git("read-tree", ref, env=env)
            self._git("checkout-index", "--all", f"--prefix={root}/", env=env)
            return read_pipeline_dir(root, lenient=True).pipeline

    def move_branch_sync(self, proposal: FixProposed, rebase: Rebase) -> str:
        """Commit the rebased tree on main's head and move the branch there; the new commit."""
        tree_of_tip = self._git("rev-parse", f"{rebase.tip}^{{tree}}").strip()
        if rebase.base == rebase.head and tree_of_tip == rebase.tree:
            return rebase.tip  # already on the head (a revalidation that was cut short)
        message = self._git("log", "-1", "--format=%B", rebase.tip)
        commit = self._git(
            "-c", "commit.gpgsign=false", "commit-tree", rebase.tree, "-p", rebase.head, "-F", "-",
            stdin=message,
        ).strip()  # fmt: skip
        try:
            self._git("update-ref", f"refs/heads/{rebase.branch}", commit, rebase.tip)
        except RepoError as error:
            raise RepoError(
                f"branch {rebase.branch!r} of proposal {proposal.proposal_id!r} moved while it "
                f"was revalidated ({error}); it is revalidated again at the next pass"
            ) from error
        return commit

    async def refresh(self) -> str:
        """Main's head now (a local repository has nothing to fetch)."""
        return await asyncio.to_thread(self.head)

    async def base_of(self, branch: str) -> str | None:
        """The commit `branch` was made on; None when main holds it already."""
        return await asyncio.to_thread(self.base_of_sync, branch)

    async def behind(self, branch: str) -> str | None:
        """Main's head when it moved past the commit `branch` was made on; else None."""
        return await asyncio.to_thread(self.behind_sync, branch)

    async def rebase(self, branch: str) -> Rebase:
        """The branch's change merged onto main's head (no ref moves)."""
        return await asyncio.to_thread(self.rebase_sync, branch)

    async def pipeline_at(self, ref: str) -> Pipeline:
        """The models committed at `ref`."""
        return await asyncio.to_thread(self.pipeline_at_sync, ref)

    async def move_branch(self, proposal: FixProposed, rebase: Rebase) -> str:
        """Commit the rebased change on main's head and move the branch; the new commit."""
        return await asyncio.to_thread(self.move_branch_sync, proposal, rebase)
