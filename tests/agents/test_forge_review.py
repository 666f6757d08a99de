"""Approval from either side, the review page or the forge, yields exactly one apply."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agents import applier, forge_review, revalidator
from agents.edges.forge_fake import InMemoryForge
from agents.edges.forge_poll import poll_once, watch_pull_requests
from agents.edges.git_repo import GitPipelineRepo
from agents.edges.kafka import Destinations, Outgoing
from agents.edges.kb_fake import InMemoryKnowledgeBase
from agents.edges.pull_requests import PullRequests
from agents.edges.store_fake import InMemoryStore
from core.config import KafkaSettings
from core.lifecycle import Transition
from core.models import FixApplied, FixApproved
from tests.agents.edges.remote_repos import bare_remote, git, rename_proposal

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@dataclass
class Scene:
    remote: Path
    repo: GitPipelineRepo
    forge: InMemoryForge
    pulls: PullRequests
    store: InMemoryStore
    kb: InMemoryKnowledgeBase

    @property
    def review(self) -> forge_review.Deps:
        return forge_review.Deps(book=self.store, rejections=self.kb, clock=lambda: NOW)

    @property
    def applier(self) -> applier.Deps:
        return applier.Deps(book=self.store, repo=self.pulls, kb=self.kb, clock=lambda: NOW)

    async def propose(self, proposal_id: str) -> tuple[str, int]:
        """The healer's last step: open the change, keep the proposal pending."""
        proposal = rename_proposal(self.repo, proposal_id)
        branch, _commit = await self.pulls.open_change(proposal)
        await self.store.save_proposal(proposal.model_copy(update={"branch": branch}))
        number = self.pulls.number(branch)
        assert number is not None
        return proposal_id, number

    async def apply(self, approvals: list[FixApproved]) -> list[FixApplied]:
        """Every approval handed to the applier, twice (at-least-once delivery)."""
        applied: list[FixApplied] = []
        for event in [*approvals, *approvals]:
            applied += await applier.handle(event, self.applier)
        return applied


@pytest.fixture(params=["master", "trunk"])
def scene(tmp_path: Path, request: pytest.FixtureRequest) -> Scene:
    remote = bare_remote(tmp_path, request.param)
    repo = GitPipelineRepo.clone(str(remote), tmp_path / "clone")
    forge = InMemoryForge(remote)
    kb = InMemoryKnowledgeBase()
    return Scene(remote, repo, forge, PullRequests(repo, forge), InMemoryStore(), kb)


async def test_approval_on_the_review_page_merges_through_the_forge_once(scene: Scene) -> None:
    proposal_id, number = await scene.propose("aaaa000011112222")
    await scene.store.transition(
        Transition(
            proposal_id=proposal_id,
            from_status="pending",
            to_status="approved",
            by="reviewer",
            reviewer="ann",
        )
    )  # what the web endpoint does before it publishes the approval
    assert await poll_once(scene.pulls, scene.store, scene.review) == []

    [applied] = await scene.apply([FixApproved(proposal_id=proposal_id, reviewer="ann")])

    assert scene.forge.merges == [number]
    record = await scene.store.get_proposal(proposal_id)
    assert record.status == "applied" and record.applied_commit == applied.merge_commit
    default = scene.repo.main_branch
    assert git(scene.remote, "rev-parse", default).strip() == applied.merge_commit
    assert scene.repo.head() == applied.merge_commit  # the clone moved forward
    assert "customer_id as" in (scene.repo.path / "models/stg_orders.sql").read_text()


async def test_an_approving_review_on_the_forge_is_applied_once(scene: Scene) -> None:
    proposal_id, number = await scene.propose("bbbb000011112222")
    scene.forge.decide(number, state="approved", decided_by="bob")

    approvals = await poll_once(scene.pulls, scene.store, scene.review)
    assert [a.proposal_id for a in approvals] == [proposal_id]
    assert await poll_once(scene.pulls, scene.store, scene.review) == []  # decided already
    [applied] = await scene.apply(approvals)

    assert scene.forge.merges == [number]
    record = await scene.store.get_proposal(proposal_id)
    assert record.applied_commit == applied.merge_commit
    assert record.status == "applied" and "bob on the forge" in (record.reviewer or "")
    assert len(await scene.kb.similar("orders", limit=5)) == 1


async def test_a_merge_by_a_human_on_the_forge_is_recorded_not_merged_again(
    scene: Scene,
) -> None:
    proposal_id, number = await scene.propose("cccc000011112222")
    head = scene.repo.branch_head(scene.forge.pulls[number].branch)
    by_human = scene.forge.merge_in_remote(number, head)
    scene.forge.decide(number, state="merged", decided_by="carol", merge_commit=by_human)

    [applied] = await scene.apply(await poll_once(scene.pulls, scene.store, scene.review))

    assert scene.forge.merges == []  # suture never merged
    assert applied.merge_commit == by_human
    record = await scene.store.get_proposal(proposal_id)
    assert record.status == "applied" and record.applied_commit == by_human
    assert scene.repo.head() == by_human


async def test_approval_on_both_sides_at_once_still_applies_once(scene: Scene) -> None:
    proposal_id, number = await scene.propose("dddd000011112222")
    await scene.store.transition(
        Transition(
            proposal_id=proposal_id,
            from_status="pending",
            to_status="approved",
            by="reviewer",
            reviewer="ann",
        )
    )
    head = scene.repo.branch_head(scene.forge.pulls[number].branch)
    by_human = scene.forge.merge_in_remote(number, head)
    scene.forge.decide(number, state="merged", decided_by="carol", merge_commit=by_human)

    approvals = [FixApproved(proposal_id=proposal_id, reviewer="ann")]
    approvals += await poll_once(scene.pulls, scene.store, scene.review)
    applied = await scene.apply(approvals)

    assert len(applied) == 1 and applied[0].merge_commit == by_human
    assert scene.forge.merges == []


async def test_closing_the_pull_request_unmerged_rejects_and_keeps_the_reason(
    scene: Scene,
) -> None:
    proposal_id, number = await scene.propose("eeee000011112222")
    scene.forge.decide(
        number, state="closed", decided_by="dave", note="customer_id is a hashed id, not ours"
    )

    assert await poll_once(scene.pulls, scene.store, scene.review) == []

    record = await scene.store.get_proposal(proposal_id)
    assert record.status == "rejected"
    assert "customer_id is a hashed id" in (record.note or "")
    [kept] = await scene.kb.rejections("sig-rename")
    assert kept.proposal_id == proposal_id and "closed unmerged" in kept.reason
    assert "dave" in kept.rejected_by
    assert scene.forge.merges == []


async def test_proposing_again_updates_the_same_pull_request(scene: Scene) -> None:
    proposal = rename_proposal(scene.repo, "ffff000011112222")
    branch, _ = await scene.pulls.open_change(proposal)
    revalidated = proposal.model_copy(update={"description": proposal.description + "\nre-run"})
    again, _ = await scene.pulls.open_change(revalidated)

    assert again == branch
    assert [c.split()[0] for c in scene.forge.calls] == ["find", "open", "update"]
    [number] = scene.forge.drafts
    assert scene.forge.drafts[number].body.startswith(revalidated.description)
    assert "Suture-Proposal: ffff000011112222" in scene.forge.drafts[number].body
    assert scene.forge.drafts[number].labels == ("suture",)


async def test_the_poll_loop_publishes_the_forges_approvals(scene: Scene) -> None:
    proposal_id, number = await scene.propose("9999000011112222")
    scene.forge.decide(number, state="approved", decided_by="erin")
    published: list[Outgoing] = []

    class Bus:
        async def publish_all(self, messages: list[Outgoing]) -> None:
            published.extend(messages)

    async def tick() -> None:
        return None

    destinations = Destinations.from_settings(KafkaSettings())
    rounds = await watch_pull_requests(
        scene.pulls,
        scene.store,
        scene.review,
        Bus(),
        60.0,
        destinations=destinations,
        tick=tick,
        limit=2,
    )

    assert rounds == 2
    assert [(m.topic, getattr(m.event, "proposal_id", None)) for m in published] == [
        ("suture.approvals", proposal_id)
    ]


async def test_the_pull_request_names_similar_past_fixes() -> None:
    from agents import healer
    from core.models import FixProposed, SchemaMapping
    from core.ports import VerifiedFix
    from tests.agents.test_healer import AFTER, BEFORE, ORDERS, PIPELINE, drift_alert
    from tests.agents.test_healer import Scene as HealScene

    kb = InMemoryKnowledgeBase()
    await kb.record(
        VerifiedFix(
            signature="older",
            dataset="payments",
            summary="payments: cust_id renamed to client_id",
            mapping=SchemaMapping(),
            patches=[],
            proposal_id="77777777aaaa",
            applied_at=NOW,
        )
    )
    heal = HealScene(PIPELINE, ORDERS, BEFORE, AFTER)
    [proposal] = await healer.handle(drift_alert(heal), heal.deps(kb=kb))
    assert isinstance(proposal, FixProposed)
    assert "## Similar past fixes" in proposal.description
    assert "`77777777`: payments: cust_id renamed to client_id" in proposal.description


async def test_an_alert_redelivered_before_its_proposal_was_stored_updates_the_same_pr(
    scene: Scene,
) -> None:
    from agents import healer
    from core.models import AlertRaised, FixProposed
    from tools.monitoring.detect_all import detect_all

    contracts = (await scene.repo.snapshot())[1]
    before = [
        {
            "order_id": f"o{i}",
            "cust_id": i,
            "amount_cents": 100 * i,
            "status": "placed",
            "created_at": "2026-01-01T10:00:00Z",
        }
        for i in range(1, 9)
    ]
    after = [  # new orders, the customer sent under its new name
        {
            **{k: v for k, v in e.items() if k != "cust_id"},
            "order_id": f"n{e['cust_id']}",
            "customer_id": e["cust_id"],
        }
        for e in before
    ]
    alert = AlertRaised(
        source="test",
        category="drift",
        dataset="orders",
        detections=detect_all(contracts["orders"], before, after),
    )

    class Forgetful(InMemoryStore):
        """Crashes, in effect, between pushing the branch and storing the proposal."""

        async def save_proposal(self, proposal: FixProposed) -> bool:
            return True

    deps = healer.Deps(
        llm=None,
        kb=scene.kb,
        repo=scene.repo,
        samples=scene.store,
        book=Forgetful(),
        sink=scene.pulls,
    )
    await scene.store.save_samples(alert.event_id, "orders", before, after)
    [first] = await healer.handle(alert, deps)
    [again] = await healer.handle(alert, deps)

    assert isinstance(first, FixProposed) and isinstance(again, FixProposed)
    assert first.proposal_id == again.proposal_id and first.branch == again.branch
    assert [c.split()[0] for c in scene.forge.calls] == ["find", "open", "update"]


async def test_a_rejection_on_the_review_page_closes_the_pull_request_once(
    scene: Scene,
) -> None:
    proposal_id, number = await scene.propose("abab000011112222")
    await scene.store.transition(
        Transition(
            proposal_id=proposal_id,
            from_status="pending",
            to_status="rejected",
            by="reviewer",
            reviewer="ann",
            note="wrong customer key",
        )
    )

    await poll_once(scene.pulls, scene.store, scene.review)
    await poll_once(scene.pulls, scene.store, scene.review)

    assert scene.forge.calls.count(f"close {number}") == 1
    pull = scene.forge.pulls[number]
    assert pull.state == "closed"
    assert pull.note == "Rejected on suture's review page by ann: wrong customer key"


async def test_a_clone_made_anew_finds_the_open_pull_request_instead_of_opening_another(
    scene: Scene, tmp_path: Path
) -> None:
    proposal = rename_proposal(scene.repo, "cdcd000011112222")
    branch, _ = await scene.pulls.open_change(proposal)
    fresh = GitPipelineRepo.clone(str(scene.remote), tmp_path / "fresh-clone")

    again, _ = await PullRequests(fresh, scene.forge).open_change(proposal)

    assert again == branch and len(scene.forge.pulls) == 1
    assert [c.split()[0] for c in scene.forge.calls] == ["find", "open", "find", "update"]


async def test_a_webhook_wakes_the_poll_loop_before_its_interval(scene: Scene) -> None:
    proposal_id, number = await scene.propose("efef000011112222")
    published: list[Outgoing] = []

    class Bus:
        async def publish_all(self, messages: list[Outgoing]) -> None:
            published.extend(messages)
            scene.forge.decide(number, state="approved", decided_by="erin")
            wake.set()  # the forge's webhook arrives after the first round

    wake = asyncio.Event()
    async with asyncio.timeout(10):  # the interval is an hour: only the webhook can end this
        rounds = await watch_pull_requests(
            scene.pulls,
            scene.store,
            scene.review,
            Bus(),
            3600.0,
            destinations=Destinations.from_settings(KafkaSettings()),
            limit=2,
            wake=wake,
        )
    assert rounds == 2
    assert [getattr(m.event, "proposal_id", None) for m in published] == [proposal_id]


def push_to_default(scene: Scene, tmp_path: Path, path: str, text: str) -> str:
    """A human's commit on the remote's default branch (from their own clone); its sha."""
    human = tmp_path / "human"
    if not human.exists():
        git(tmp_path, "clone", "--quiet", str(scene.remote), str(human))
    git(human, "pull", "--quiet")
    (human / path).write_text(text)
    git(human, "add", path)
    git(human, "-c", "user.name=h", "-c", "user.email=h@x", "commit", "--quiet", "-m", path)
    git(human, "push", "--quiet", "origin", "HEAD")
    return git(human, "rev-parse", "HEAD").strip()


async def test_a_moved_default_branch_makes_an_approval_stale_and_the_branch_is_pushed_rebased(
    scene: Scene, tmp_path: Path
) -> None:
    proposal_id, number = await scene.propose("eeee000011112222")
    branch = scene.forge.pulls[number].branch
    old_tip = git(scene.remote, "rev-parse", f"refs/heads/{branch}").strip()
    head = push_to_default(scene, tmp_path, "models/order_ids.sql", "select order_id from orders\n")
    await scene.store.transition(
        Transition(
            proposal_id=proposal_id,
            from_status="pending",
            to_status="approved",
            by="reviewer",
            reviewer="ann",
        )
    )
    assert await scene.apply([FixApproved(proposal_id=proposal_id, reviewer="ann")]) == []
    assert scene.forge.merges == []  # nothing merged on a base the approval did not see
    stale = await scene.store.get_proposal(proposal_id)
    assert stale.status == "stale" and head[:12] in (stale.failure or "")
    # The producer writes customer_id beside cust_id: the fix replays on the new head's models.
    before = [
        {"order_id": f"o{i}", "cust_id": i, "amount_cents": 100 * i, "status": "placed",
         "created_at": f"2026-01-0{i}T10:00:00Z"}
        for i in range(1, 5)
    ]  # fmt: skip
    after = [{**row, "customer_id": row["cust_id"]} for row in before]
    await scene.store.save_samples(stale.proposal.alert_id, "orders", before, after)

    deps = revalidator.Deps(
        book=scene.store, samples=scene.store, repo=scene.pulls, view=scene.repo
    )
    [settled] = (await revalidator.revalidate_once(deps)).settled

    assert settled.status == "pending", settled.failure
    pushed = git(scene.remote, "rev-parse", f"refs/heads/{branch}").strip()
    assert pushed == settled.proposal.commit and pushed != old_tip
    assert git(scene.remote, "rev-parse", f"{pushed}^").strip() == head
    assert scene.forge.calls[-1] == f"update {number}"  # the same PR, updated
    assert scene.forge.drafts[number].branch == branch
    await scene.store.transition(
        Transition(
            proposal_id=proposal_id,
            from_status="pending",
            to_status="approved",
            by="reviewer",
            reviewer="ann",
        )
    )
    [applied] = await scene.apply([FixApproved(proposal_id=proposal_id, reviewer="ann")])
    assert scene.forge.merges == [number]
    assert (scene.repo.path / "models/order_ids.sql").exists()
    assert "customer_id as" in (scene.repo.path / "models/stg_orders.sql").read_text()
    assert scene.repo.head() == applied.merge_commit
