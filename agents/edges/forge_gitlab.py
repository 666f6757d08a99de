"""The Forge port on GitLab's REST API (v4), through python-gitlab; merge requests are the PRs.

python-gitlab blocks, so every call runs in a worker thread. Approval is read from the merge
request: merged (by whom, its merge commit), closed (by whom, the last human note as the reason),
or open with at least one approval (GitLab resets approvals on a new push when the project says
so; that is the project's rule, not suture's).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import gitlab
import requests
from gitlab.exceptions import GitlabError
from gitlab.v4.objects import Project

from core.config import ForgeSettings
from core.errors import ConfigError, ForgeError, ForgeUnavailableError
from core.ports import PullRequest, PullRequestDraft, ReviewState

GITLAB_URL = "https://gitlab.com"
_STATES: dict[str, ReviewState] = {"opened": "open", "merged": "merged", "closed": "closed"}
R = TypeVar("R")


def _login(user: Any) -> str | None:
    """The username in a GitLab user object (a dict in python-gitlab's answers)."""
    return str(user["username"]) if isinstance(user, dict) and "username" in user else None


class GitLabForge:
    """Merge requests on one GitLab project."""

    def __init__(self, client: gitlab.Gitlab, project: str) -> None:
        if not project or project.startswith("/") or "/" not in project:
            raise ConfigError(
                f"SUTURE_FORGE_REPO must be the project's path on GitLab (group/name), "
                f"got {project!r}"
            )
        self._project: Project = client.projects.get(project, lazy=True)

    @classmethod
    def from_settings(cls, settings: ForgeSettings) -> GitLabForge:
        """A client for the configured project (token from SUTURE_FORGE_TOKEN)."""
        if settings.token is None or settings.repo is None:
            raise ConfigError("the GitLab forge needs SUTURE_FORGE_TOKEN and SUTURE_FORGE_REPO")
        client = gitlab.Gitlab(
            settings.api_url or GITLAB_URL,
            private_token=settings.token.get_secret_value(),
            timeout=30,
            retry_transient_errors=False,  # the edge's retry policy decides
        )
        return cls(client, settings.repo)

    async def _call(self, what: str, work: Callable[[], R]) -> R:
        """Run one blocking python-gitlab call; the server's refusal as a ForgeError."""
        try:
            return await asyncio.to_thread(work)
        except GitlabError as error:
            status = error.response_code
            kind = (
                ForgeUnavailableError
                if status is None or status >= 500 or status == 429
                else ForgeError
            )
            raise kind(
                f"GitLab refused to {what}: HTTP {status} {error.error_message}", status
            ) from error
        except requests.RequestException as error:
            raise ForgeUnavailableError(f"cannot reach GitLab to {what}: {error!r}") from error

    async def open_pull_request(self, draft: PullRequestDraft) -> PullRequest:
        """POST /projects/:id/merge_requests, labelled."""
        created = await self._call(
            f"open a merge request for {draft.branch!r}",
            lambda: self._project.mergerequests.create(
                {
                    "source_branch": draft.branch,
                    "target_branch": draft.base,
                    "title": draft.title,
                    "description": draft.body,
                    "labels": ",".join(draft.labels),
                }
            ),
        )
        return PullRequest(
            number=int(created.iid), url=str(created.web_url), branch=draft.branch, state="open"
        )

    async def find_pull_request(self, branch: str) -> int | None:
        """GET /projects/:id/merge_requests?source_branch=...&state=opened: its iid, if any."""
        found = await self._call(
            f"look for the merge request of {branch!r}",
            lambda: self._project.mergerequests.list(
                source_branch=branch, state="opened", per_page=1, get_all=False
            ),
        )
        return int(found[0].iid) if found else None

    async def update_pull_request(self, number: int, draft: PullRequestDraft) -> PullRequest:
        """PUT /projects/:id/merge_requests/:iid: the new title, evidence and labels."""
        updated = await self._call(
            f"update merge request !{number}",
            lambda: self._project.mergerequests.update(
                number,
                {"title": draft.title, "description": draft.body, "labels": ",".join(draft.labels)},
            ),
        )
        return PullRequest(
            number=int(updated["iid"]),
            url=str(updated["web_url"]),
            branch=draft.branch,
            state="open",
        )

    async def pull_request(self, number: int) -> PullRequest:
        """Where merge request `number` stands: merged, closed, approved or open."""
        request = await self._call(
            f"read merge request !{number}", lambda: self._project.mergerequests.get(number)
        )
        state = _STATES.get(str(request.state), "closed")
        decided_by: str | None = None
        note: str | None = None
        if state == "merged":
            decided_by = _login(request.merged_by)
        elif state == "closed":
            decided_by = _login(request.closed_by)
            notes = await self._call(
                f"read the notes of !{number}",
                lambda: request.notes.list(
                    order_by="created_at", sort="desc", per_page=20, get_all=False
                ),
            )
            said = [n for n in notes if not getattr(n, "system", False)]
            note = str(said[0].body) if said else None
        else:
            approvals = await self._call(
                f"read the approvals of !{number}", lambda: request.approvals.get()
            )
            approvers = [_login(a.get("user")) for a in approvals.approved_by or []]
            approvers = [a for a in approvers if a]
            if approvers:
                state, decided_by = "approved", approvers[0]
        return PullRequest(
            number=int(request.iid),
            url=str(request.web_url),
            branch=str(request.source_branch),
            state=state,
            decided_by=decided_by,
            merge_commit=str(request.merge_commit_sha) if state == "merged" else None,
            head_commit=str(request.sha) if getattr(request, "sha", None) else None,
            note=note,
        )

    async def merge_pull_request(self, number: int, head_commit: str) -> str:
        """PUT /projects/:id/merge_requests/:iid/merge, only if the head is `head_commit`."""
        lazy = self._project.mergerequests.get(number, lazy=True)
        merged = await self._call(
            f"merge merge request !{number}", lambda: lazy.merge(sha=head_commit)
        )
        commit = merged.get("merge_commit_sha")
        if merged.get("state") != "merged" or not commit:
            raise ForgeError(f"GitLab did not merge !{number}: state {merged.get('state')!r}")
        return str(commit)

    async def close_pull_request(self, number: int, comment: str) -> None:
        """POST the reason as a note, then PUT state_event=close."""
        lazy = self._project.mergerequests.get(number, lazy=True)
        await self._call(f"comment on !{number}", lambda: lazy.notes.create({"body": comment}))
        await self._call(
            f"close !{number}",
            lambda: self._project.mergerequests.update(number, {"state_event": "close"}),
        )
