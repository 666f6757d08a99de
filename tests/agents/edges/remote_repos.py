"""Bare remotes for the forge tests: the shop example on a default branch of any name."""

from __future__ import annotations

import subprocess
from pathlib import Path

from agents.edges.git_repo import GitPipelineRepo, seed_remote
from core.models import FixProposed, ModelPatch, SchemaMapping, ValidationReport

SHOP = Path(__file__).resolve().parents[3] / "examples" / "shop"


def git(path: Path, *args: str) -> str:
    """Run git in `path` (a work tree or a bare repository); its output."""
    done = subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def bare_remote(tmp_path: Path, default: str) -> Path:
    """A bare repository whose default branch `default` holds the shop example."""
    remote = tmp_path / f"remote-{default}.git"
    subprocess.run(
        ["git", "init", "--quiet", "--bare", f"--initial-branch={default}", str(remote)],
        check=True,
    )
    seed = GitPipelineRepo.create(SHOP, tmp_path / f"seed-{default}", main_branch=default)
    assert seed_remote(seed, str(remote))
    return remote


def rename_proposal(repo: GitPipelineRepo, proposal_id: str, note: str = "") -> FixProposed:
    """The demo's fix (cust_id -> customer_id in stg_orders) as a proposal on `repo`."""
    before = (repo.path / "models" / "stg_orders.sql").read_text(encoding="utf-8")
    after = before.replace("cust_id as", "customer_id as")
    assert after != before
    return FixProposed(
        proposal_id=proposal_id,
        alert_id=f"alert-{proposal_id}",
        dataset="orders",
        signature="sig-rename",
        mapping=SchemaMapping(),
        patches=[ModelPatch(model="stg_orders", before_sql=before, after_sql=after)],
        validation=ValidationReport(),
        title="suture: heal orders after rename of cust_id",
        description=f"## What changed on `orders`\n\n- rename of `cust_id`{note}",
    )
