"""The revalidator: a proposal the default branch moved past is rebased and validated again
(back to review, or failed with the reason); an approved one is never merged on a moved base."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from agents import applier, healer, revalidator
from agents.edges.git_repo import GitPipelineRepo
from agents.edges.kb_fake import InMemoryKnowledgeBase
from agents.edges.store_fake import InMemoryStore
from core.contracts import Contract, Pipeline
from core.lifecycle import ProposalRecord, Transition
from core.models import AlertRaised, FixApproved, FixProposed
from tools.monitoring.detect_all import detect_all

ORDERS = Contract.model_validate(
    {
        "dataset": "orders",
        "fields": [
            {"name": "order_id", "type": "string", "required": True, "unique": True},
            {"name": "cust_id", "type": "integer", "required": True},
            {"name": "amount_cents", "type": "integer", "min": 0},
        ],
        "invariants": [
            {"name": "customer_known", "model": "stg_orders", "check": "customer_id is not null"}
        ],
    }
)
STG_ORDERS = "select order_id, cust_id as customer_id, amount_cents / 100.0 as amount from orders\n"
BEFORE = [{"order_id": f"o{i}", "cust_id": 7 + i, "amount_cents": 100 * i} for i in range(1, 6)]
AFTER = [{"order_id": f"n{i}", "customer_id": 7 + i, "amount_cents": 90 * i} for i in range(1, 6)]


DBT_STG_ORDERS = (
    "{{ config(materialized='view') }}\n"
    "select order_id, cust_id as customer_id, amount_cents / 100.0 as amount\n"
    "from {{ source('shop', 'orders') }}\n"
)
DBT_SOURCES = "sources:\n  - name: shop\n    tables:\n      - name: orders\n"


class Scene:
    """A pipeline repository under git, the in-memory store, and a proposal the healer made."""

    def __init__(self, root: Path, *, dbt: bool = False) -> None:
        template = root / "template"
        (template / "models").mkdir(parents=True)
        if dbt:
            (template / "dbt_project.yml").write_text("name: shop\n")
            (template / "models" / "sources.yml").write_text(DBT_SOURCES)
            (template / "models" / "stg_orders.sql").write_text(DBT_STG_ORDERS)
        else:
            (template / "contracts").mkdir()
            (template / "pipeline.yaml").write_text("name: shop\ndialect: duckdb\n")
            (template / "models" / "stg_orders.sql").write_text(STG_ORDERS)
            contract = yaml.safe_dump(ORDERS.model_dump(mode="json", exclude_defaults=True))
            (template / "contracts" / "orders.yaml").write_text(contract)
        self.repo = GitPipelineRepo.create(template, root / "repo")
        self.store = InMemoryStore()
        self.kb = InMemoryKnowledgeBase()

    async def snapshot(self) -> tuple[Pipeline, dict[str, Contract]]:
        """The work tree's models, with the orders contract (a dbt source declares none here)."""
        pipeline, _contracts = await self.repo.snapshot()
        return pipeline, {"orders": ORDERS}

    async def revision(self) -> str:
        return await self.repo.revision()

    async def propose(self) -> FixProposed:
        """The healer's proposal for the rename of cust_id, on a branch of the repository."""
        found = detect_all(ORDERS, BEFORE, AFTER)
        alert = AlertRaised(source="test", category="drift", dataset="orders", detections=found)
        await self.store.save_samples(alert.event_id, "orders", BEFORE, AFTER)
        deps = healer.Deps(
            llm=None,
            kb=self.kb,
            repo=self,
            samples=self.store,
            book=self.store,
            sink=self.repo,
        )
        [proposal] = await healer.handle(alert, deps)
        assert isinstance(proposal, FixProposed) and proposal.validation.passed
        return proposal

    def commit_on_main(self, path: str, text: str) -> str:
        """A human's commit on the default branch; its sha."""
        (self.repo.path / path).parent.mkdir(parents=True, exist_ok=True)
        (self.repo.path / path).write_text(text)
        self.git("add", path)
        self.git("commit", "--quiet", "-m", f"edit {path}")
        return self.repo.head()

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(self.repo.path), *args], capture_output=True, text=True, check=True
        )
        return done.stdout

    def revalidator(self) -> revalidator.Deps:
        return revalidator.Deps(book=self.store, samples=self.store, repo=self.repo, view=self.repo)

    async def approve(self, proposal_id: str) -> list[object]:
        """A reviewer approves; the applier handles the approval (the real merge)."""
        await self.store.transition(
            Transition(
                proposal_id=proposal_id,
                from_status="pending",
                to_status="approved",
                by="reviewer",
                reviewer="ana",
            )
        )
        deps = applier.Deps(
            book=self.store, repo=self.repo, kb=self.kb, clock=lambda: datetime.now(UTC)
        )
        return list(await applier.handle(FixApproved(proposal_id=proposal_id), deps))

    async def record(self, proposal_id: str) -> ProposalRecord:
        return await self.store.get_proposal(proposal_id)


@pytest.fixture
def scene(tmp_path: Path) -> Scene:
    return Scene(tmp_path)


async def test_a_proposal_main_moved_past_cleanly_is_revalidated_and_applies_onto_the_new_head(
    scene: Scene,
) -> None:
    proposal = await scene.propose()
    head = scene.commit_on_main("models/order_count.sql", "select count(*) as n from orders\n")
    [settled] = (await revalidator.revalidate_once(scene.revalidator())).settled
    assert settled.status == "pending" and settled.failure is None
    revised = settled.proposal
    assert revised.commit is not None and revised.commit != proposal.commit
    assert scene.git("rev-parse", f"{revised.commit}^").strip() == head
    assert scene.repo.branch_head(revised.branch or "") == revised.commit
    assert revised.validation.passed and revised.validation.checks
    [applied] = await scene.approve(proposal.proposal_id)
    assert (await scene.record(proposal.proposal_id)).status == "applied"
    merged = scene.repo.read_models()
    assert merged["stg_orders"] == proposal.patches[0].file_text  # the fix, on the new head
    assert merged["order_count"] == "select count(*) as n from orders\n"
    assert scene.git("merge-base", "--is-ancestor", head, applied.merge_commit or "") == ""


async def test_a_conflicting_commit_on_main_fails_the_proposal_naming_the_file(
    scene: Scene,
) -> None:
    proposal = await scene.propose()
    edited = STG_ORDERS.replace("amount_cents / 100.0", "amount_cents / 100.00")
    head = scene.commit_on_main("models/stg_orders.sql", edited)
    [settled] = (await revalidator.revalidate_once(scene.revalidator())).settled
    assert settled.status == "failed"
    assert settled.failure is not None
    assert "conflicts" in settled.failure and "models/stg_orders.sql" in settled.failure
    # Nothing half-applied: main, its work tree and the proposal's branch are as they were.
    assert scene.repo.head() == head
    assert scene.git("status", "--porcelain") == ""
    assert scene.repo.read_models()["stg_orders"] == edited
    assert scene.repo.branch_head(proposal.branch or "") == proposal.commit
    assert settled.proposal == proposal


async def test_a_commit_that_breaks_the_fix_without_a_textual_conflict_fails_revalidation(
    scene: Scene,
) -> None:
    proposal = await scene.propose()
    # A new model still reads the renamed field: the rebased fix no longer replays the new events.
    scene.commit_on_main("models/vip_orders.sql", "select order_id, cust_id from orders\n")
    [settled] = (await revalidator.revalidate_once(scene.revalidator())).settled
    assert settled.status == "failed"
    assert settled.failure is not None and "fails validation" in settled.failure
    assert scene.repo.branch_head(proposal.branch or "") == proposal.commit


async def test_an_approved_proposal_main_moved_past_goes_stale_instead_of_merging(
    scene: Scene,
) -> None:
    proposal = await scene.propose()
    head = scene.commit_on_main("models/order_count.sql", "select count(*) as n from orders\n")
    assert await scene.approve(proposal.proposal_id) == []
    stale = await scene.record(proposal.proposal_id)
    assert stale.status == "stale"
    assert stale.failure is not None and head[:12] in stale.failure
    assert scene.repo.head() == head  # nothing merged on the moved base
    [settled] = (await revalidator.revalidate_once(scene.revalidator())).settled
    assert settled.status == "pending"
    [applied] = await scene.approve(proposal.proposal_id)
    assert applied.proposal_id == proposal.proposal_id
    assert (await scene.record(proposal.proposal_id)).status == "applied"


async def test_a_proposal_on_the_current_head_is_left_alone(scene: Scene) -> None:
    proposal = await scene.propose()
    assert (await revalidator.revalidate_once(scene.revalidator())).settled == []
    record = await scene.record(proposal.proposal_id)
    assert record.status == "pending" and record.proposal == proposal


async def test_a_stale_proposal_a_crash_left_behind_is_settled_by_the_next_pass(
    scene: Scene,
) -> None:
    proposal = await scene.propose()
    await scene.store.transition(
        Transition(
            proposal_id=proposal.proposal_id,
            from_status="pending",
            to_status="stale",
            by="revalidator",
            failure="the default branch moved",
        )
    )
    [settled] = (await revalidator.revalidate_once(scene.revalidator())).settled
    assert settled.status == "pending" and settled.proposal.commit == proposal.commit


async def test_a_dbt_fix_is_rebased_in_its_jinja_and_revalidated(tmp_path: Path) -> None:
    scene = Scene(tmp_path, dbt=True)
    proposal = await scene.propose()
    [patch] = proposal.patches
    assert patch.template_before == DBT_STG_ORDERS
    count = "select count(*) as n from {{ source('shop', 'orders') }}\n"
    head = scene.commit_on_main("models/order_count.sql", count)
    [settled] = (await revalidator.revalidate_once(scene.revalidator())).settled
    assert settled.status == "pending", settled.failure
    [revised] = settled.proposal.patches
    assert (revised.path, revised.template_after) == (patch.path, patch.template_after)
    assert revised.after_sql == patch.after_sql
    assert scene.git("rev-parse", f"{settled.proposal.commit}^").strip() == head
    assert await scene.approve(proposal.proposal_id) != []
    assert (scene.repo.path / "models/stg_orders.sql").read_text() == patch.file_text


async def test_pending_proposals_are_checked_again_only_when_the_head_moved(scene: Scene) -> None:
    proposal = await scene.propose()
    first = await revalidator.revalidate_once(scene.revalidator())
    assert first.settled == [] and first.head == scene.repo.head()
    head = scene.commit_on_main("models/order_count.sql", "select count(*) as n from orders\n")
    again = await revalidator.revalidate_once(scene.revalidator(), seen_head=head)
    assert again.settled == []  # checked against this head already: nothing read
    [settled] = (await revalidator.revalidate_once(scene.revalidator(), first.head)).settled
    assert settled.proposal_id == proposal.proposal_id and settled.status == "pending"


class _Watched(InMemoryStore):
    """The store, telling when a stale proposal was settled."""

    def __init__(self) -> None:
        super().__init__()
        self.settled = asyncio.Event()

    async def transition(self, move: Transition) -> ProposalRecord:
        record = await super().transition(move)
        if move.from_status == "stale":
            self.settled.set()
        return record


async def test_the_loop_settles_a_proposal_main_moved_past(scene: Scene) -> None:
    scene.store = _Watched()
    proposal = await scene.propose()
    wake = asyncio.Event()
    loop = asyncio.create_task(revalidator.run(scene.revalidator(), 3600, wake))
    try:
        scene.commit_on_main("models/order_count.sql", "select count(*) as n from orders\n")
        wake.set()
        async with asyncio.timeout(30):
            await scene.store.settled.wait()
    finally:
        loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loop
    record = await scene.record(proposal.proposal_id)
    assert record.status == "pending" and record.proposal.commit != proposal.commit


async def test_a_pending_proposal_whose_branch_is_gone_fails_with_the_reason(scene: Scene) -> None:
    proposal = await scene.propose()
    scene.git("branch", "-D", proposal.branch or "")
    [settled] = (await revalidator.revalidate_once(scene.revalidator())).settled
    assert settled.status == "failed"
    assert settled.failure is not None and (proposal.branch or "") in settled.failure
    assert "could not be revalidated" in settled.failure
