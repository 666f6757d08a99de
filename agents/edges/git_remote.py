"""Talking to the remote, for suture's own clone (GitPipelineRepo.clone): proposal branches are
pushed (never the default branch), and after a forge merged a pull request the clone's default
branch moves forward to the remote's (`sync`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from core.errors import RepoError

BRANCH_PREFIX = "suture/fix-"


class RemoteSync:
    """The remote half of GitPipelineRepo; it needs the repository's `_git`, `_git_ok` and
    `head`."""

    path: Path
    main_branch: str
    remote: str | None

    # Provided by GitPipelineRepo, the class this half is mixed into.
    _git: Callable[..., str]
    _git_ok: Callable[..., bool]
    head: Callable[[], str]

    def _remote_name(self) -> str:
        if self.remote is None:
            raise RepoError(
                f"{str(self.path)!r} is not suture's clone of a remote; set SUTURE_GIT_REMOTE"
            )
        return self.remote

    def push_sync(self, branch: str) -> None:
        """Push a proposal branch (moved forward or not) to the remote; never the default."""
        if branch == self.main_branch or not branch.startswith(BRANCH_PREFIX):
            raise RepoError(
                f"suture pushes only its own {BRANCH_PREFIX}* branches, not {branch!r}; "
                "the default branch changes through the pull request"
            )
        ref = f"refs/heads/{branch}"
        self._git("push", "--quiet", "--force", self._remote_name(), f"{ref}:{ref}")

    async def push(self, branch: str) -> None:
        """Push a proposal branch to the remote."""
        await asyncio.to_thread(self.push_sync, branch)

    def push_as_sync(self, name: str) -> None:
        """Push the default branch to the remote as branch `name`, which is neither the remote's
        default branch nor a proposal branch (the local forge's `suture/applied`)."""
        if name == self.main_branch or name.startswith(BRANCH_PREFIX):
            raise RepoError(f"suture does not push its default branch as {name!r}")
        main = f"refs/heads/{self.main_branch}"
        self._git("push", "--quiet", "--force", self._remote_name(), f"{main}:refs/heads/{name}")

    def merge_remote_sync(self, name: str) -> bool:
        """Merge the remote's branch `name` into the default branch when it holds commits the
        default branch lacks; False when it has none (or no such branch). Call after a fetch."""
        ref = f"refs/remotes/{self._remote_name()}/{name}"
        if not self._git_ok("rev-parse", "--verify", ref):
            return False
        if self._git_ok("merge-base", "--is-ancestor", ref, f"refs/heads/{self.main_branch}"):
            return False
        try:
            self._git(
                "-c", "commit.gpgsign=false", "merge", "--no-edit", "-m", f"Merge {name}", ref
            )
        except RepoError as error:
            if self._git_ok("rev-parse", "--verify", "MERGE_HEAD"):
                self._git("merge", "--abort")
            raise RepoError(
                f"{name!r} and {self.main_branch!r} of the remote conflict ({error}); merge "
                f"{name!r} into {self.main_branch!r} there, or delete {name!r}"
            ) from error
        return True

    def sync_sync(self) -> str:
        """Fetch, and move the clone's default branch and work tree to the remote's."""
        remote = self._remote_name()
        self._git("fetch", "--quiet", "--prune", remote)
        upstream = f"refs/remotes/{remote}/{self.main_branch}"
        # suture's own clone: its work tree holds nothing but what the remote holds.
        self._git("checkout", "--quiet", "-B", self.main_branch, upstream)
        self._git("reset", "--quiet", "--hard", upstream)
        return self.head()

    async def sync(self) -> str:
        """Fetch and move the clone's default branch to the remote's; its new commit."""
        return await asyncio.to_thread(self.sync_sync)
