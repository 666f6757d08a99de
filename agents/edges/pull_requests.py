"""Proposals as pull requests: commit and push the branch, then open or update its PR.

`PullRequests` is the healer's ProposalSink, the applier's Merger and the revalidator's Rebaser
when a forge is configured:
- open_change: commit on suture's clone, push the branch, open a PR (or update the one the
  branch has, so a re-validation of the same proposal never opens a second);
- move_branch: a proposal carried onto the default branch's new head is committed, its branch
  force-pushed and its PR updated the same way;
- merge: if a human merged on the forge already, take that merge commit (never merge twice),
  else merge through the forge's API, checking the head is the commit that was reviewed; then
  move the clone forward so the pipeline reads the merged models.
The PR number of each branch is kept in the clone's git config; a clone made anew asks the forge
for the branch's open PR before opening one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from agents.edges.git_repo import GitPipelineRepo
from core.contracts import Pipeline
from core.errors import ForgeError
from core.models import FixProposed
from core.ports import Forge, PullRequest, PullRequestDraft, Rebase

_log = logging.getLogger(__name__)
_NUMBER = "pullRequest"
_CLOSED = "closedBySuture"


def proposal_footer(proposal_id: str) -> str:
    """The last lines of a PR body: how to decide, and which proposal this is."""
    return (
        "\n\n---\nApprove by an approving review or by merging this pull request, or on "
        "suture's review page; close it unmerged to reject it (a last comment is kept as the "
        f"reason).\n\nSuture-Proposal: {proposal_id}"
    )


class PullRequests:
    """ProposalSink and Merger over suture's clone of the remote and a forge."""

    def __init__(
        self, repo: GitPipelineRepo, forge: Forge, *, labels: Sequence[str] = ("suture",)
    ) -> None:
        self.repo, self.forge, self.labels = repo, forge, tuple(labels)

    def number(self, branch: str) -> int | None:
        """The PR opened for `branch`, if any."""
        found = self.repo.recall(branch, _NUMBER)
        return int(found) if found else None

    async def open_change(self, proposal: FixProposed) -> tuple[str, str]:
        """Commit and push the proposal's branch; open its PR, or update the one it has."""
        branch, commit = await self.repo.open_change(proposal)
        await self._publish(proposal, branch)
        return branch, commit

    async def move_branch(self, proposal: FixProposed, rebase: Rebase) -> str:
        """Commit the rebased change on the head, force-push the branch and update its PR."""
        commit = await self.repo.move_branch(proposal, rebase)
        await self._publish(proposal, rebase.branch)
        return commit

    async def refresh(self) -> str:
        """Fetch the remote; its default branch's head."""
        return await self.repo.sync()

    async def base_of(self, branch: str) -> str | None:
        """The commit `branch` was made on; None when the default branch holds it already."""
        return await self.repo.base_of(branch)

    async def rebase(self, branch: str) -> Rebase:
        """The branch's change merged onto the default branch's head (no ref moves)."""
        return await self.repo.rebase(branch)

    async def pipeline_at(self, ref: str) -> Pipeline:
        """The models committed at `ref`."""
        return await self.repo.pipeline_at(ref)

    async def behind(self, branch: str) -> str | None:
        """The remote default branch's head when it moved past the branch's base, unless a
        human merged the branch's PR already (then merging takes that merge: nothing moved)."""
        number = await asyncio.to_thread(self.number, branch)
        if number is not None and (await self.forge.pull_request(number)).state == "merged":
            return None
        await self.repo.sync()
        return await self.repo.behind(branch)

    async def _publish(self, proposal: FixProposed, branch: str) -> None:
        """Push the branch; open its PR, or update the one it has."""
        await self.repo.push(branch)
        draft = PullRequestDraft(
            branch=branch,
            base=self.repo.main_branch,
            title=proposal.title,
            body=proposal.description + proposal_footer(proposal.proposal_id),
            labels=self.labels,
        )
        number = await asyncio.to_thread(self.number, branch)
        if number is None:  # a clone made anew forgot it: ask the forge before opening one
            number = await self.forge.find_pull_request(branch)
            if number is not None:
                await asyncio.to_thread(self.repo.remember, branch, _NUMBER, str(number))
        if number is None:
            pull = await self.forge.open_pull_request(draft)
            await asyncio.to_thread(self.repo.remember, branch, _NUMBER, str(pull.number))
            _log.info("opened pull request %s for %s", pull.url, branch)
        else:
            pull = await self.forge.update_pull_request(number, draft)
            _log.info("updated pull request %s for %s", pull.url, branch)

    async def state(self, branch: str) -> PullRequest | None:
        """Where the branch's PR stands on the forge; None when it has none."""
        number = await asyncio.to_thread(self.number, branch)
        return None if number is None else await self.forge.pull_request(number)

    async def merge(self, branch: str) -> str:
        """The merge commit of the branch's PR: the forge's, if a human merged it, else ours."""
        number = await asyncio.to_thread(self.number, branch)
        if number is None:
            raise ForgeError(f"branch {branch!r} has no pull request; open the change first")
        pull = await self.forge.pull_request(number)
        if pull.state == "closed":
            raise ForgeError(f"pull request #{number} was closed unmerged; nothing to apply")
        if pull.state == "merged" and pull.merge_commit:
            merged = pull.merge_commit  # merged by a human on the forge: never merge again
        else:
            head = await asyncio.to_thread(self.repo.branch_head, branch)
            merged = await self.forge.merge_pull_request(number, head)
        await self.repo.sync()
        return merged

    async def close_rejected(self, branch: str, reason: str) -> bool:
        """Close the branch's PR if it is still open (rejected on the review page), once."""
        number = await asyncio.to_thread(self.number, branch)
        closed = await asyncio.to_thread(self.repo.recall, branch, _CLOSED)
        if number is None or closed is not None:
            return False
        pull = await self.forge.pull_request(number)
        if pull.state in ("open", "approved"):
            await self.forge.close_pull_request(number, reason)
        await asyncio.to_thread(self.repo.remember, branch, _CLOSED, "true")
        return pull.state in ("open", "approved")
