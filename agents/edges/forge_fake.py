"""InMemoryForge: the Forge port's fake; tests play the humans (approve, merge, close)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from core.errors import ForgeError
from core.ports import PullRequest, PullRequestDraft


class InMemoryForge:
    """Pull requests in a dict, with every call recorded; merges are counted, never repeated.

    Given the bare `remote` the branches are pushed to, a merge is a real merge commit on the
    PR's base branch there, as a forge would make it."""

    def __init__(self, remote: Path | None = None) -> None:
        self.remote = remote
        self.pulls: dict[int, PullRequest] = {}
        self.drafts: dict[int, PullRequestDraft] = {}
        self.calls: list[str] = []
        self.merges: list[int] = []

    async def open_pull_request(self, draft: PullRequestDraft) -> PullRequest:
        """Open a PR; ForgeError if one is open for the branch already (as GitHub says)."""
        self.calls.append(f"open {draft.branch}")
        if any(p.branch == draft.branch and p.state == "open" for p in self.pulls.values()):
            raise ForgeError(f"a pull request for {draft.branch!r} exists already", 422)
        number = len(self.pulls) + 1
        pull = PullRequest(
            number=number, url=f"https://forge.test/pr/{number}", branch=draft.branch, state="open"
        )
        self.pulls[number], self.drafts[number] = pull, draft
        return pull

    async def find_pull_request(self, branch: str) -> int | None:
        """The open PR of `branch`, if any."""
        self.calls.append(f"find {branch}")
        found = [n for n, p in self.pulls.items() if p.branch == branch and p.state == "open"]
        return found[0] if found else None

    async def update_pull_request(self, number: int, draft: PullRequestDraft) -> PullRequest:
        """Replace title, body and labels; a decided PR stays decided."""
        self.calls.append(f"update {number}")
        self.drafts[number] = draft
        return self._get(number)

    async def pull_request(self, number: int) -> PullRequest:
        """The PR as the tests left it."""
        self.calls.append(f"read {number}")
        return self._get(number)

    async def merge_pull_request(self, number: int, head_commit: str) -> str:
        """Merge an open or approved PR; ForgeError for a merged or closed one, or (as GitHub's
        `sha`) when the branch's head in the remote is no longer `head_commit`."""
        self.calls.append(f"merge {number}")
        pull = self._get(number)
        if pull.state in ("merged", "closed"):
            raise ForgeError(f"pull request #{number} is {pull.state}; it cannot be merged", 405)
        if self.remote is not None:
            head = self._git("rev-parse", f"refs/heads/{self.drafts[number].branch}")
            if head != head_commit:
                raise ForgeError(f"head branch of #{number} was modified; review it again", 409)
        self.merges.append(number)
        commit = self.merge_in_remote(number, head_commit)
        self.pulls[number] = pull.model_copy(
            update={"state": "merged", "merge_commit": commit, "head_commit": head_commit}
        )
        return commit

    async def close_pull_request(self, number: int, comment: str) -> None:
        """Close the PR unmerged, keeping the comment as its note."""
        self.calls.append(f"close {number}")
        self.decide(number, state="closed", note=comment, decided_by="suture")

    def merge_in_remote(self, number: int, head_commit: str) -> str:
        """Make PR `number`'s merge commit on its base branch in the remote; its sha."""
        if self.remote is None:
            return f"{number:040x}"
        base = f"refs/heads/{self.drafts[number].base}"
        tree = self._git("rev-parse", f"{head_commit}^{{tree}}")
        commit = self._git(
            "-c",
            "user.name=forge",
            "-c",
            "user.email=forge@localhost",
            "commit-tree",
            tree,
            "-p",
            base,
            "-p",
            head_commit,
            "-m",
            f"Merge pull request #{number}",
        )
        self._git("update-ref", base, commit)
        return commit

    def _git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(self.remote), *args], capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    def _get(self, number: int) -> PullRequest:
        if number not in self.pulls:
            raise ForgeError(f"no pull request #{number}", 404)
        return self.pulls[number]

    def decide(self, number: int, **changes: object) -> None:
        """What a human does on the forge: approve, merge or close (with a note)."""
        self.pulls[number] = self._get(number).model_copy(update=changes)
