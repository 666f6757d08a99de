"""The Forge port on GitHub's REST API, through githubkit (async, typed by GitHub's OpenAPI).

Approval is read from the pull request itself: merged (by whom, which merge commit), closed
without merging (by whom, and the last comment as the reason), or open with an approving review
of the current head commit and no later request for changes from the same reviewer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Any, Literal, TypeVar

from githubkit import GitHub
from githubkit.exception import GitHubException, RequestFailed, RequestTimeout
from githubkit.response import Response
from githubkit_schemas.v2022_11_28.models import (
    IssueComment,
    PullRequestReview,
    PullRequestSimple,
)

from core.config import ForgeSettings
from core.errors import ConfigError, ForgeError, ForgeUnavailableError
from core.ports import PullRequest, PullRequestDraft, ReviewState

GITHUB_API = "https://api.github.com"
API_VERSION: Literal["2022-11-28"] = "2022-11-28"
# GitHub's recommended media type first; its OpenAPI description names plain JSON, which GitHub
# serves as well, so a validating mock of that description accepts the request too.
_HEADERS = {"Accept": "application/vnd.github+json, application/json"}
MergeMethod = Literal["merge", "squash", "rebase"]
R = TypeVar("R")


def split_repo(repo: str) -> tuple[str, str]:
    """('owner', 'name') of 'owner/name'; ConfigError otherwise.

    >>> split_repo("acme/pipelines")
    ('acme', 'pipelines')
    """
    owner, _, name = repo.partition("/")
    if not owner or not name or "/" in name:
        raise ConfigError(f"SUTURE_FORGE_REPO must be 'owner/name' on GitHub, got {repo!r}")
    return owner, name


def review_state(reviews: Sequence[tuple[str, str, str]], head: str) -> tuple[bool, str | None]:
    """(approved, by whom) from reviews as (login, state, commit) in the order they were given.

    Only reviews of the current head commit count: a re-pushed branch needs a new approval.
    Each reviewer's latest decisive review stands; one request for changes blocks approval.

    >>> review_state([("ann", "APPROVED", "c1"), ("bob", "COMMENTED", "c1")], "c1")
    (True, 'ann')
    >>> review_state([("ann", "APPROVED", "c0")], "c1")
    (False, None)
    >>> review_state([("ann", "APPROVED", "c1"), ("bob", "CHANGES_REQUESTED", "c1")], "c1")
    (False, None)
    """
    latest: dict[str, str] = {}
    for login, state, commit in reviews:
        if commit == head and state in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
            latest[login] = state
    if "CHANGES_REQUESTED" in latest.values():
        return False, None
    approvers = [login for login, state in latest.items() if state == "APPROVED"]
    return (True, approvers[0]) if approvers else (False, None)


class GitHubForge:
    """Pull requests on one GitHub repository."""

    def __init__(
        self, client: GitHub[Any], repo: str, *, merge_method: MergeMethod = "merge"
    ) -> None:
        self._client = client
        # The version GitHub's published OpenAPI description (@octokit/openapi) describes.
        self._rest = client.rest(API_VERSION)
        self._owner, self._name = split_repo(repo)
        self._merge_method = merge_method

    @classmethod
    def from_settings(cls, settings: ForgeSettings) -> GitHubForge:
        """A client for the configured repository (token from SUTURE_FORGE_TOKEN)."""
        if settings.token is None or settings.repo is None:
            raise ConfigError("the GitHub forge needs SUTURE_FORGE_TOKEN and SUTURE_FORGE_REPO")
        client = GitHub(
            settings.token.get_secret_value(),
            base_url=settings.api_url or GITHUB_API,
            timeout=30.0,
            http_cache=False,
            auto_retry=False,  # the edge's retry policy decides, keyed on `retriable`
        )
        return cls(client, settings.repo)

    async def _call(self, what: str, request: Awaitable[Response[R, Any]]) -> R:
        """The parsed answer of one request; the forge's refusal as a ForgeError."""
        try:
            response = await request
            return response.parsed_data
        except RequestFailed as error:
            status = error.response.status_code
            detail = error.response.text[:500]
            kind = ForgeUnavailableError if status >= 500 or status == 429 else ForgeError
            raise kind(f"GitHub refused to {what}: HTTP {status} {detail}", status) from error
        except RequestTimeout as error:
            raise ForgeUnavailableError(f"GitHub did not answer in time to {what}") from error
        except GitHubException as error:
            raise ForgeUnavailableError(f"cannot reach GitHub to {what}: {error!r}") from error

    async def open_pull_request(self, draft: PullRequestDraft) -> PullRequest:
        """POST /repos/{owner}/{repo}/pulls, then label it."""
        created = await self._call(
            f"open a pull request for {draft.branch!r}",
            self._rest.pulls.async_create(
                self._owner,
                self._name,
                headers=_HEADERS,
                data={
                    "title": draft.title,
                    "head": draft.branch,
                    "base": draft.base,
                    "body": draft.body,
                    "maintainer_can_modify": True,
                },
            ),
        )
        await self._label(created.number, draft.labels)
        return PullRequest(
            number=created.number, url=created.html_url, branch=draft.branch, state="open"
        )

    async def find_pull_request(self, branch: str) -> int | None:
        """GET /repos/{owner}/{repo}/pulls?head=owner:branch&state=open: its number, if any."""
        found = await self._call(
            f"look for the pull request of {branch!r}",
            self._rest.pulls.async_list(
                self._owner,
                self._name,
                head=f"{self._owner}:{branch}",
                state="open",
                per_page=1,
                headers=_HEADERS,
            ),
        )
        pulls: list[PullRequestSimple] = list(found)
        return pulls[0].number if pulls else None

    async def update_pull_request(self, number: int, draft: PullRequestDraft) -> PullRequest:
        """PATCH /repos/{owner}/{repo}/pulls/{number}: the new title and evidence."""
        updated = await self._call(
            f"update pull request #{number}",
            self._rest.pulls.async_update(
                self._owner,
                self._name,
                number,
                headers=_HEADERS,
                data={"title": draft.title, "body": draft.body, "state": "open"},
            ),
        )
        await self._label(number, draft.labels)
        return PullRequest(
            number=updated.number, url=updated.html_url, branch=draft.branch, state="open"
        )

    async def _label(self, number: int, labels: Sequence[str]) -> None:
        if labels:
            await self._call(
                f"label pull request #{number}",
                self._rest.issues.async_add_labels(
                    self._owner, self._name, number, headers=_HEADERS, data={"labels": [*labels]}
                ),
            )

    async def pull_request(self, number: int) -> PullRequest:
        """Where PR `number` stands: merged, closed, approved or open."""
        pull = await self._call(
            f"read pull request #{number}",
            self._rest.pulls.async_get(self._owner, self._name, number, headers=_HEADERS),
        )
        state: ReviewState = "open"
        decided_by: str | None = None
        note: str | None = None
        if pull.merged:
            state = "merged"
            decided_by = pull.merged_by.login if pull.merged_by else None
        elif pull.state == "closed":
            state = "closed"
            decided_by, note = await self._closing(number)
        else:
            approved, decided_by = review_state(await self._reviews(number), pull.head.sha)
            state = "approved" if approved else "open"
        return PullRequest(
            number=pull.number,
            url=pull.html_url,
            branch=pull.head.ref,
            state=state,
            decided_by=decided_by,
            merge_commit=pull.merge_commit_sha if state == "merged" else None,
            head_commit=pull.head.sha,
            note=note,
        )

    async def _reviews(self, number: int) -> list[tuple[str, str, str]]:
        reviews = await self._call(
            f"read the reviews of pull request #{number}",
            self._rest.pulls.async_list_reviews(
                self._owner, self._name, number, per_page=100, headers=_HEADERS
            ),
        )
        found: list[PullRequestReview] = list(reviews)
        return [
            (review.user.login if review.user else "", review.state, review.commit_id or "")
            for review in found
        ]

    async def _closing(self, number: int) -> tuple[str | None, str | None]:
        """Who closed PR `number`, and the last comment on it (taken as the reason)."""
        issue = await self._call(
            f"read issue #{number}",
            self._rest.issues.async_get(self._owner, self._name, number, headers=_HEADERS),
        )
        comments = await self._call(
            f"read the comments of #{number}",
            self._rest.issues.async_list_comments(
                self._owner, self._name, number, per_page=100, headers=_HEADERS
            ),
        )
        closed_by = issue.closed_by.login if issue.closed_by else None
        said: list[IssueComment] = list(comments)
        note = said[-1].body if said and said[-1].body else None
        return closed_by, note

    async def merge_pull_request(self, number: int, head_commit: str) -> str:
        """PUT /repos/{owner}/{repo}/pulls/{number}/merge, only if the head is `head_commit`."""
        merged = await self._call(
            f"merge pull request #{number}",
            self._rest.pulls.async_merge(
                self._owner,
                self._name,
                number,
                headers=_HEADERS,
                data={"sha": head_commit, "merge_method": self._merge_method},
            ),
        )
        if not merged.merged:
            raise ForgeError(f"GitHub did not merge pull request #{number}: {merged.message}")
        return merged.sha

    async def close_pull_request(self, number: int, comment: str) -> None:
        """POST the reason as a comment, then PATCH the PR closed."""
        await self._call(
            f"comment on pull request #{number}",
            self._rest.issues.async_create_comment(
                self._owner, self._name, number, headers=_HEADERS, data={"body": comment}
            ),
        )
        await self._call(
            f"close pull request #{number}",
            self._rest.pulls.async_update(
                self._owner, self._name, number, headers=_HEADERS, data={"state": "closed"}
            ),
        )
