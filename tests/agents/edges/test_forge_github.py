"""The GitHub adapter against Prism serving GitHub's official OpenAPI description.

Every request is validated by the mock (a request GitHub's description refuses is answered 4xx
and fails the test); responses are schema-valid random data, so the tests check the request
sequence and that what the adapter returns is what the response said.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from githubkit import GitHub

from agents.edges.forge_github import GitHubForge
from agents.edges.git_repo import GitPipelineRepo
from agents.edges.pull_requests import PullRequests
from core.errors import ForgeError
from core.ports import PullRequestDraft
from tests.agents.edges.remote_repos import bare_remote, git, rename_proposal

pytestmark = pytest.mark.integration

Exchange = tuple[str, str, int, Any]
violations: list[str] = []  # Prism's sl-violations header of each response, newest last


def _client(
    url: str, seen: list[Exchange], *, validate_locally: bool = True, static: bool = False
) -> GitHub[Any]:
    async def record(response: httpx.Response) -> None:
        await response.aread()
        body = response.json() if response.content else None
        seen.append(
            (response.request.method, response.request.url.path, response.status_code, body)
        )
        violations.append(response.headers.get("sl-violations", ""))

    async def prefer(request: httpx.Request) -> None:
        if static:  # Prism answers from the description's examples, not generated data
            request.headers["Prefer"] = "dynamic=false"

    return GitHub(
        "ghp_not-a-real-token",
        base_url=url,
        http_cache=False,
        auto_retry=False,
        rest_api_validate_body=validate_locally,
        async_event_hooks={"response": [record], "request": [prefer]},
    )


@pytest.mark.parametrize("default", ["master", "trunk"])
async def test_the_demo_fix_pushes_a_branch_opens_and_updates_one_pull_request(
    github_api: str, tmp_path: Path, default: str
) -> None:
    remote = bare_remote(tmp_path, default)
    repo = GitPipelineRepo.clone(str(remote), tmp_path / "clone")
    seen: list[Exchange] = []
    pulls = PullRequests(repo, GitHubForge(_client(github_api, seen), "acme/shop"))

    proposal = rename_proposal(repo, "0123456789abcdef")
    branch, commit = await pulls.open_change(proposal)
    assert git(remote, "rev-parse", branch).strip() == commit  # the branch was pushed
    (method, path, status, listed) = seen[0]
    assert (method, path, status) == ("GET", "/repos/acme/shop/pulls", 200)
    if listed:  # the mock's random answer says the branch has an open PR: it is updated
        number = listed[0]["number"]
        assert seen[1][:3] == ("PATCH", f"/repos/acme/shop/pulls/{number}", 200)
    else:
        assert seen[1][:3] == ("POST", "/repos/acme/shop/pulls", 201)
        number = seen[1][3]["number"]
    assert pulls.number(branch) == number
    assert seen[2][:3] == ("POST", f"/repos/acme/shop/issues/{number}/labels", 200)

    revalidated = proposal.model_copy(update={"description": proposal.description + "\nagain"})
    assert (await pulls.open_change(revalidated))[0] == branch

    assert [(m, p, s) for m, p, s, _ in seen[3:]] == [
        ("PATCH", f"/repos/acme/shop/pulls/{number}", 200),
        ("POST", f"/repos/acme/shop/issues/{number}/labels", 200),
    ]
    assert git(remote, "rev-parse", default).strip() != commit  # default branch untouched


async def test_a_superseding_proposal_force_pushes_the_branch_and_patches_the_same_pr(
    github_api: str, tmp_path: Path
) -> None:
    remote = bare_remote(tmp_path, "master")
    repo = GitPipelineRepo.clone(str(remote), tmp_path / "clone")
    seen: list[Exchange] = []
    pulls = PullRequests(repo, GitHubForge(_client(github_api, seen), "acme/shop"))
    first = rename_proposal(repo, "0123456789abcdef")
    branch, commit = await pulls.open_change(first)
    number = pulls.number(branch)
    opened = len(seen)

    newer = rename_proposal(repo, "fedcba9876543210", note="\n- rename of `amount_cents`")
    newer = newer.model_copy(update={"supersedes": first.proposal_id, "branch": branch})
    assert await pulls.open_change(newer) != (branch, commit)

    assert "fedcba9876543210" in git(remote, "log", "-1", "--format=%B", branch)
    assert [(m, p, s) for m, p, s, _ in seen[opened:]] == [
        ("PATCH", f"/repos/acme/shop/pulls/{number}", 200),
        ("POST", f"/repos/acme/shop/issues/{number}/labels", 200),
    ]
    assert not any(violations[-2:])  # Prism found nothing to object to in either request


async def test_reading_a_pull_request_reports_what_github_said(github_api: str) -> None:
    seen: list[Exchange] = []
    forge = GitHubForge(_client(github_api, seen), "acme/shop")

    pull = await forge.pull_request(7)

    raw = seen[0][3]
    assert seen[0][:3] == ("GET", "/repos/acme/shop/pulls/7", 200)
    assert pull.number == raw["number"] and pull.url == raw["html_url"]
    assert pull.branch == raw["head"]["ref"]
    if raw["merged"]:
        assert pull.state == "merged" and pull.merge_commit == raw["merge_commit_sha"]
    elif raw["state"] == "closed":
        assert pull.state == "closed"
        assert [p for _, p, _, _ in seen[1:]] == [
            "/repos/acme/shop/issues/7",
            "/repos/acme/shop/issues/7/comments",
        ]
    else:
        assert pull.state in ("open", "approved")
        assert [p for _, p, _, _ in seen[1:]] == ["/repos/acme/shop/pulls/7/reviews"]
    assert all(status == 200 for _, _, status, _ in seen)


async def test_merging_sends_the_reviewed_head_and_returns_githubs_answer(github_api: str) -> None:
    seen: list[Exchange] = []
    forge = GitHubForge(_client(github_api, seen), "acme/shop", merge_method="squash")
    try:
        sha = await forge.merge_pull_request(7, "a" * 40)
    except ForgeError as error:
        sha = None
        assert "did not merge" in str(error)
    [(method, path, status, raw)] = seen
    assert (method, path, status) == ("PUT", "/repos/acme/shop/pulls/7/merge", 200)
    assert sha == (raw["sha"] if raw["merged"] else None)


async def test_a_request_githubs_description_refuses_fails(github_api: str) -> None:
    seen: list[Exchange] = []
    # githubkit checks bodies itself; switched off, only the mock stands between us and GitHub.
    client = _client(github_api, seen, validate_locally=False, static=True)
    forge = GitHubForge(client, "acme/shop", merge_method="octopus")  # type: ignore[arg-type]

    with pytest.raises(ForgeError, match="HTTP 422") as refused:
        await forge.merge_pull_request(7, "a" * 40)

    assert refused.value.status == 422 and not refused.value.retriable
    assert "merge_method" in violations[-1] and '"request"' in violations[-1]


async def test_closing_comments_then_closes(github_api: str) -> None:
    seen: list[Exchange] = []
    forge = GitHubForge(_client(github_api, seen), "acme/shop")

    await forge.close_pull_request(7, "Rejected on suture's review page by ann.")

    assert [(m, p, s) for m, p, s, _ in seen] == [
        ("POST", "/repos/acme/shop/issues/7/comments", 201),
        ("PATCH", "/repos/acme/shop/pulls/7", 200),
    ]


async def test_opening_creates_the_pull_request_and_labels_it(github_api: str) -> None:
    seen: list[Exchange] = []
    forge = GitHubForge(_client(github_api, seen), "acme/shop")
    draft = PullRequestDraft(
        branch="suture/fix-0123abcd", base="trunk", title="t", body="b", labels=("suture", "data")
    )

    pull = await forge.open_pull_request(draft)

    [(m1, p1, s1, created), (m2, p2, s2, _)] = seen
    assert (m1, p1, s1) == ("POST", "/repos/acme/shop/pulls", 201)
    assert (pull.number, pull.url, pull.state) == (created["number"], created["html_url"], "open")
    assert (m2, p2, s2) == ("POST", f"/repos/acme/shop/issues/{pull.number}/labels", 200)
