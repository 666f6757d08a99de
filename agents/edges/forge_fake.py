"""InMemoryForge: the Forge port's fake; tests play the humans (approve, merge, close)."""

from __future__ import annotations

import hashlib

from core.errors import ForgeError
from core.ports import PullRequest, PullRequestDraft


class InMemoryForge:
    """Pull requests in a dict, with every call recorded; merges are counted, never repeated."""

    def __init__(self) -> None:
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
        """Merge an open or approved PR; ForgeError for a merged or closed one."""
        self.calls.append(f"merge {number}")
        pull = self._get(number)
        if pull.state in ("merged", "closed"):
            raise ForgeError(f"pull request #{number} is {pull.state}; it cannot be merged", 405)
        self.merges.append(number)
        commit = hashlib.sha1(f"merge:{number}:{head_commit}".encode()).hexdigest()
        self.pulls[number] = pull.model_copy(update={"state": "merged", "merge_commit": commit})
        return commit

    def _get(self, number: int) -> PullRequest:
        if number not in self.pulls:
            raise ForgeError(f"no pull request #{number}", 404)
        return self.pulls[number]

    def decide(self, number: int, **changes: object) -> None:
        """What a human does on the forge: approve, merge or close (with a note)."""
        self.pulls[number] = self._get(number).model_copy(update=changes)
