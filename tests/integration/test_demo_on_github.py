"""`suture demo` with a GitHub forge configured: the drift becomes a pushed branch and a PR.

GitHub is Prism serving GitHub's OpenAPI description (every request validated); the remote is a
local bare repository whose default branch is `master`, seeded by the demo.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from agents.edges.store import open_store
from core.config import load_settings
from suture.demo import run_demo
from tests.agents.edges.remote_repos import git

pytestmark = [pytest.mark.kafka, pytest.mark.integration]


def _empty_remote(path: Path, default: str) -> Path:
    subprocess.run(
        ["git", "init", "--quiet", "--bare", f"--initial-branch={default}", str(path)], check=True
    )
    return path


async def test_the_demos_drift_opens_a_pull_request_on_github(
    tmp_path: Path, own_bootstrap: str, github_api: str, capsys: pytest.CaptureFixture[str]
) -> None:
    remote = _empty_remote(tmp_path / "shop.git", "master")
    settings = load_settings(
        workdir=tmp_path / "work",
        kafka={"bootstrap": own_bootstrap},
        # The mock's answers are random: no poll round may read a decision into this run.
        forge={
            "kind": "github",
            "api_url": github_api,
            "token": "t",
            "repo": "acme/shop",
            "poll_interval_s": 3600,
        },
        git={"remote": str(remote)},
    )

    assert await run_demo(settings, approve=False, wait_for_approval=False, timeout_s=90) == 0

    assert "pull request on github (acme/shop)" in capsys.readouterr().out
    store = open_store(None, settings.workdir)
    try:
        [record] = await store.list_proposals()
    finally:
        store.close()
    branch = record.proposal.branch
    assert record.status == "pending" and branch is not None
    assert git(remote, "rev-parse", branch).strip() == record.proposal.commit  # pushed
    assert git(remote, "rev-list", "--count", "master").strip() == "1"  # only the seed
    clone = settings.workdir / "clone"
    # The number GitHub answered (random, from the schema) is what the next update will use.
    number = git(clone, "config", "--get", f"suture.{branch}.pullRequest").strip()
    assert re.fullmatch(r"-?\d+", number)
