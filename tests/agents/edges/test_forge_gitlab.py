"""The GitLab adapter against the recorded-fixture server (tests/fixtures/gitlab_server.py)."""

from __future__ import annotations

from pathlib import Path

import gitlab
import pytest

from agents.edges.forge_gitlab import GitLabForge
from agents.edges.git_repo import GitPipelineRepo
from agents.edges.pull_requests import PullRequests
from core.errors import ConfigError, ForgeError
from core.ports import PullRequestDraft
from tests.agents.edges.remote_repos import bare_remote, git, rename_proposal
from tests.fixtures.gitlab_server import GitLabFixture

MR = "/api/v4/projects/acme%2Fshop/merge_requests"


def _forge(server: GitLabFixture, token: str | None = "glpat-test") -> GitLabForge:
    client = gitlab.Gitlab(server.url, private_token=token, retry_transient_errors=False)
    return GitLabForge(client, "acme/shop")


async def test_the_fix_opens_one_merge_request_and_updates_it(
    gitlab_server: GitLabFixture, tmp_path: Path
) -> None:
    remote = bare_remote(tmp_path, "trunk")
    repo = GitPipelineRepo.clone(str(remote), tmp_path / "clone")
    pulls = PullRequests(repo, _forge(gitlab_server))
    proposal = rename_proposal(repo, "0123abcd00000000")

    branch, commit = await pulls.open_change(proposal)
    await pulls.open_change(proposal.model_copy(update={"description": "re-validated"}))

    assert git(remote, "rev-parse", branch).strip() == commit
    assert pulls.number(branch) == 12
    [(m0, p0, looked), (m1, p1, created), (m2, p2, updated)] = gitlab_server.seen
    assert (m0, p0, looked["source_branch"], looked["state"]) == ("GET", MR, branch, "opened")
    assert (m1, p1, m2, p2) == ("POST", MR, "PUT", f"{MR}/12")
    assert created["source_branch"] == branch and created["target_branch"] == "trunk"
    assert created["labels"] == "suture" and "Suture-Proposal" in created["description"]
    assert updated["description"].startswith("re-validated")


@pytest.mark.parametrize(
    ("recorded", "approvals", "state", "by"),
    [
        ("merge_request_opened", "approvals_none", "open", None),
        ("merge_request_opened", "approvals_given", "approved", "root"),
        ("merge_request_merged", "approvals_none", "merged", "DouweM"),
        ("merge_request_closed", "approvals_none", "closed", "root"),
    ],
)
async def test_the_merge_requests_state_is_read_back(
    gitlab_server: GitLabFixture, recorded: str, approvals: str, state: str, by: str | None
) -> None:
    gitlab_server.merge_request, gitlab_server.approvals = recorded, approvals

    pull = await _forge(gitlab_server).pull_request(12)

    assert (pull.state, pull.decided_by, pull.branch) == (state, by, "suture/fix-0123abcd")
    assert pull.merge_commit == ("9" * 40 if state == "merged" else None)
    if state == "closed":  # the last human note is the reason; system notes are skipped
        assert pull.note == "customer_id is a hashed id upstream; we keep cust_id"


async def test_merging_sends_the_reviewed_head(gitlab_server: GitLabFixture) -> None:
    assert await _forge(gitlab_server).merge_pull_request(12, "8" * 40) == "9" * 40
    [(method, path, sent)] = gitlab_server.seen
    assert (method, path, sent["sha"]) == ("PUT", f"{MR}/12/merge", "8" * 40)


async def test_gitlabs_refusals_become_forge_errors(gitlab_server: GitLabFixture) -> None:
    draft = PullRequestDraft(branch="suture/fix-1", base="", title="t", body="b")
    with pytest.raises(ForgeError, match="HTTP 400") as refused:
        await _forge(gitlab_server).open_pull_request(draft)
    assert not refused.value.retriable
    gitlab_server.merge_request = "merge_request_merged"
    with pytest.raises(ForgeError, match="HTTP 405"):
        await _forge(gitlab_server).merge_pull_request(12, "8" * 40)
    with pytest.raises(ForgeError, match="HTTP 401"):
        await _forge(gitlab_server, token=None).pull_request(12)


def test_a_project_path_must_name_its_group() -> None:
    with pytest.raises(ConfigError, match="group/name"):
        GitLabForge(gitlab.Gitlab("http://127.0.0.1:9"), "shop")


async def test_closing_notes_the_reason_then_closes(gitlab_server: GitLabFixture) -> None:
    await _forge(gitlab_server).close_pull_request(12, "Rejected by ann.")
    [(m1, p1, note), (m2, p2, closing)] = gitlab_server.seen
    assert (m1, p1, note["body"]) == ("POST", f"{MR}/12/notes", "Rejected by ann.")
    assert (m2, p2, closing["state_event"]) == ("PUT", f"{MR}/12", "close")
