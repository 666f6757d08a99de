"""A newer drift (or the same one again) on a topic with a pending proposal updates that
proposal's branch and pull request: one PR, the old proposal superseded, exactly one apply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from agents import applier, forge_review, healer, revalidator
from agents.edges.forge_fake import InMemoryForge
from agents.edges.forge_poll import poll_once
from agents.edges.git_repo import GitPipelineRepo
from agents.edges.kb_fake import InMemoryKnowledgeBase
from agents.edges.local_forge import LocalBranches
from agents.edges.pull_requests import PullRequests
from agents.edges.store_fake import InMemoryStore
from agents.supersede import carried
from core.errors import ApprovalError
from core.lifecycle import Transition
from core.models import AlertRaised, Detection, FixApproved, FixProposed
from core.ports import ProposalSink
from tests.agents.edges.remote_repos import SHOP, bare_remote, git
from tools.monitoring.detect_all import detect_all

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
BEFORE = [
    {
        "order_id": f"o{i}",
        "cust_id": i,
        "amount_cents": 100 * i,
        "status": "placed",
        "created_at": "2026-01-01T10:00:00Z",
    }
    for i in range(1, 9)
]


def renamed(rows: list[dict[str, Any]], **names: str) -> list[dict[str, Any]]:
    """New orders (new ids) as a producer sends them after renaming fields old=new."""
    return [
        {names.get(k, k): ("n" + v[1:] if k == "order_id" else v) for k, v in row.items()}
        for row in rows
    ]


@dataclass
class Scene:
    """The healer, the applier and the forge's reader over one clone, store and forge."""

    remote: Path
    repo: GitPipelineRepo
    forge: InMemoryForge
    sink: ProposalSink
    store: InMemoryStore
    kb: InMemoryKnowledgeBase

    @property
    def heal(self) -> healer.Deps:
        return healer.Deps(
            llm=None,
            kb=self.kb,
            repo=self.repo,
            samples=self.store,
            book=self.store,
            sink=self.sink,
        )

    @property
    def apply(self) -> applier.Deps:
        assert isinstance(self.sink, PullRequests | LocalBranches)
        return applier.Deps(book=self.store, repo=self.sink, kb=self.kb, clock=lambda: NOW)

    async def alert(self, after: list[dict[str, Any]], only: set[str] | None = None) -> AlertRaised:
        """An alert as the monitor raises it (and stores it, with its samples): about the fields
        in `only` when given, the changes it alerted on before being in cool-down."""
        contracts = (await self.repo.snapshot())[1]
        found = detect_all(contracts["orders"], BEFORE, after)
        if only is not None:
            found = [d for d in found if d.field in only]
        alert = AlertRaised(source="test", category="drift", dataset="orders", detections=found)
        await self.store.save_alert(alert)
        await self.store.save_samples(alert.event_id, "orders", BEFORE, after)
        return alert

    async def propose(self, alert: AlertRaised) -> FixProposed:
        [made] = await healer.handle(alert, self.heal)
        assert isinstance(made, FixProposed), made
        return made


@pytest.fixture
def on_forge(tmp_path: Path) -> Scene:
    remote = bare_remote(tmp_path, "trunk")
    repo = GitPipelineRepo.clone(str(remote), tmp_path / "clone")
    forge = InMemoryForge(remote)
    return Scene(
        remote, repo, forge, PullRequests(repo, forge), InMemoryStore(), InMemoryKnowledgeBase()
    )


@pytest.fixture
def local(tmp_path: Path) -> Scene:
    yours = GitPipelineRepo.create(SHOP, tmp_path / "yours", main_branch="master").path
    forge = LocalBranches.open(yours, tmp_path / "clone")
    return Scene(
        yours, forge.repo, InMemoryForge(), forge, InMemoryStore(), InMemoryKnowledgeBase()
    )


async def test_a_newer_drift_updates_the_pending_pull_request_and_supersedes_its_proposal(
    on_forge: Scene,
) -> None:
    scene = on_forge
    first = await scene.propose(await scene.alert(renamed(BEFORE, cust_id="customer_id")))
    both = renamed(BEFORE, cust_id="customer_id", amount_cents="amount_minor")
    second = await scene.propose(await scene.alert(both, only={"amount_cents", "amount_minor"}))

    assert [c.split()[0] for c in scene.forge.calls] == ["find", "open", "update"]
    assert second.branch == first.branch and second.supersedes == first.proposal_id
    assert second.mapping.as_dict() == {"cust_id": "customer_id", "amount_cents": "amount_minor"}
    assert (await scene.store.get_proposal(first.proposal_id)).status == "superseded"
    assert (await scene.store.get_proposal(second.proposal_id)).status == "pending"
    pushed = git(scene.remote, "show", f"{second.branch}:models/stg_orders.sql")
    assert "customer_id as customer_id" in pushed and "amount_minor / 100.0" in pushed
    body = scene.forge.drafts[1].body
    assert body.startswith("## Revised: what changed since the last revision")
    assert "mapping added: `amount_cents` <- `amount_minor`" in body
    assert f"Suture-Proposal: {second.proposal_id}" in body


async def test_the_outdated_proposal_cannot_be_approved_and_the_new_one_applies_once(
    on_forge: Scene,
) -> None:
    scene = on_forge
    first = await scene.propose(await scene.alert(renamed(BEFORE, cust_id="customer_id")))
    second = await scene.propose(await scene.alert(renamed(BEFORE, cust_id="client_id")))

    with pytest.raises(ApprovalError, match="'superseded'"):
        await scene.store.transition(_approve(first.proposal_id))
    scene.forge.decide(1, state="approved", decided_by="ann")
    review = forge_review.Deps(book=scene.store, rejections=scene.kb, clock=lambda: NOW)
    approvals = await poll_once(scene.sink, scene.store, review)  # type: ignore[arg-type]

    assert [a.proposal_id for a in approvals] == [second.proposal_id]
    applied = [a for e in [*approvals, *approvals] for a in await applier.handle(e, scene.apply)]
    assert [a.proposal_id for a in applied] == [second.proposal_id]
    assert scene.forge.merges == [1]
    merged = git(scene.remote, "show", "trunk:models/stg_orders.sql")
    assert "client_id as customer_id" in merged


async def test_the_same_drift_raised_again_revalidates_onto_the_same_pull_request(
    on_forge: Scene,
) -> None:
    scene = on_forge
    after = renamed(BEFORE, cust_id="customer_id")
    first = await scene.propose(await scene.alert(after))
    again = await scene.propose(await scene.alert(after))

    assert again.branch == first.branch and again.commit != first.commit
    assert [c.split()[0] for c in scene.forge.calls] == ["find", "open", "update"]
    assert "the same fix, validated again on the newest events" in scene.forge.drafts[1].body
    third = await scene.propose(await scene.alert(after))  # a chain of revisions stays one PR
    assert third.supersedes == again.proposal_id and third.branch == first.branch
    assert [r.proposal_id for r in await scene.store.open_proposals("orders")] == [
        third.proposal_id
    ]


async def test_an_outdated_proposal_approved_before_it_was_superseded_is_not_merged(
    on_forge: Scene,
) -> None:
    scene = on_forge
    first = await scene.propose(await scene.alert(renamed(BEFORE, cust_id="customer_id")))

    class Racing:
        """A reviewer approves the first proposal while the healer writes its successor."""

        def __getattr__(self, name: str) -> Any:
            return getattr(scene.store, name)

        async def save_proposal(self, proposal: FixProposed) -> bool:
            await scene.store.transition(_approve(first.proposal_id))
            return await scene.store.save_proposal(proposal)

    deps = healer.Deps(
        llm=None, kb=scene.kb, repo=scene.repo, samples=scene.store, book=Racing(), sink=scene.sink
    )
    [second] = await healer.handle(await scene.alert(renamed(BEFORE, cust_id="client_id")), deps)
    assert isinstance(second, FixProposed)

    outcome = await applier.handle(
        FixApproved(proposal_id=first.proposal_id, reviewer="bo"), scene.apply
    )
    assert outcome == [] and scene.forge.merges == []
    failed = await scene.store.get_proposal(first.proposal_id)
    assert failed.status == "failed" and "head" in (failed.failure or "")
    assert (await scene.store.get_proposal(second.proposal_id)).status == "pending"


async def test_a_proposal_applied_while_its_successor_is_written_is_not_applied_again(
    local: Scene,
) -> None:
    """The race behind a double apply seen after a restart: the drift's batch, read again,
    raises the same drift; its proposal is made on the head of the time while the first one is
    approved and merged. Committed on the merged head, its whole-file patches would pass as a
    change of their own and be merged a second time: it is committed on the commit it was read
    at, so the applier refuses it (stale) and revalidation finds the head holds it already."""
    scene = local
    first = await scene.propose(await scene.alert(renamed(BEFORE, cust_id="customer_id")))
    read_at = scene.repo.head()

    class ApprovedMeanwhile:
        """The reviewer approves the first proposal, and the applier merges it, while the
        healer validates its successor (after it read the pipeline, before it commits)."""

        def __getattr__(self, name: str) -> Any:
            return getattr(scene.sink, name)

        async def open_change(self, proposal: FixProposed) -> tuple[str, str]:
            await scene.store.transition(_approve(first.proposal_id))
            [done] = await applier.handle(
                FixApproved(proposal_id=first.proposal_id, reviewer="ann"), scene.apply
            )
            assert done.proposal_id == first.proposal_id
            return await scene.sink.open_change(proposal)

    deps = healer.Deps(
        llm=None,
        kb=scene.kb,
        repo=scene.repo,
        samples=scene.store,
        book=scene.store,
        sink=ApprovedMeanwhile(),
    )
    [second] = await healer.handle(await scene.alert(renamed(BEFORE, cust_id="customer_id")), deps)
    assert isinstance(second, FixProposed) and second.base == read_at != scene.repo.head()
    assert git(scene.repo.path, "rev-parse", f"{second.commit}^").strip() == read_at

    await scene.store.transition(_approve(second.proposal_id))
    outcome = await applier.handle(
        FixApproved(proposal_id=second.proposal_id, reviewer="ann"), scene.apply
    )
    assert outcome == []
    assert (await scene.store.get_proposal(second.proposal_id)).status == "stale"
    await revalidator.revalidate_once(
        revalidator.Deps(book=scene.store, samples=scene.store, repo=scene.sink, view=scene.repo)
    )
    closed = await scene.store.get_proposal(second.proposal_id)
    assert closed.status == "failed" and "holds this change already" in (closed.failure or "")
    statuses = [r.status for r in await scene.store.list_proposals()]
    assert statuses.count("applied") == 1, statuses
    log = git(scene.remote, "log", "--format=%s", "suture/applied")
    assert sum("suture: heal orders" in line for line in log.splitlines()) == 1, log


async def test_a_commit_made_while_a_fix_is_validated_is_kept_when_the_fix_is_merged(
    local: Scene,
) -> None:
    """Patches are whole files read at one commit. Another change lands on the default branch
    while the healer validates: committed on that newer head, the fix would undo it unseen. It
    is committed on the commit it was read at, sent through revalidation, and merged with the
    other change kept."""
    scene = local
    model = scene.repo.path / "models" / "stg_orders.sql"

    class MovedMeanwhile:
        def __getattr__(self, name: str) -> Any:
            return getattr(scene.sink, name)

        async def open_change(self, proposal: FixProposed) -> tuple[str, str]:
            model.write_text(model.read_text() + "-- owned by the orders team\n")
            git(scene.repo.path, "commit", "-qam", "a note from the orders team")
            return await scene.sink.open_change(proposal)

    deps = healer.Deps(
        llm=None, kb=scene.kb, repo=scene.repo, samples=scene.store, book=scene.store,
        sink=MovedMeanwhile(),
    )  # fmt: skip
    [made] = await healer.handle(await scene.alert(renamed(BEFORE, cust_id="customer_id")), deps)
    assert isinstance(made, FixProposed)
    await revalidator.revalidate_once(
        revalidator.Deps(book=scene.store, samples=scene.store, repo=scene.sink, view=scene.repo)
    )
    record = await scene.store.get_proposal(made.proposal_id)
    assert record.status == "pending", record.failure
    await scene.store.transition(_approve(made.proposal_id))
    [applied] = await applier.handle(
        FixApproved(proposal_id=made.proposal_id, reviewer="ann"), scene.apply
    )
    assert applied.proposal_id == made.proposal_id
    text = git(scene.remote, "show", "suture/applied:models/stg_orders.sql")
    assert "customer_id as customer_id" in text and "owned by the orders team" in text, text


async def test_a_crash_before_superseding_is_finished_by_the_redelivered_alert(
    on_forge: Scene,
) -> None:
    scene = on_forge
    first = await scene.propose(await scene.alert(renamed(BEFORE, cust_id="customer_id")))
    newer = await scene.alert(renamed(BEFORE, cust_id="client_id"))

    class Crashing:
        def __getattr__(self, name: str) -> Any:
            return getattr(scene.store, name)

        async def transition(self, move: Transition) -> Any:
            raise RuntimeError("crashed before superseding")

    deps = healer.Deps(
        llm=None,
        kb=scene.kb,
        repo=scene.repo,
        samples=scene.store,
        book=Crashing(),
        sink=scene.sink,
    )
    with pytest.raises(RuntimeError):
        await healer.handle(newer, deps)
    assert (await scene.store.get_proposal(first.proposal_id)).status == "pending"

    assert await healer.handle(newer, scene.heal) == []
    assert (await scene.store.get_proposal(first.proposal_id)).status == "superseded"


async def test_without_a_forge_a_newer_drift_moves_the_one_branch(local: Scene) -> None:
    scene = local
    first = await scene.propose(await scene.alert(renamed(BEFORE, cust_id="customer_id")))
    second = await scene.propose(await scene.alert(renamed(BEFORE, cust_id="client_id")))

    branches = git(scene.remote, "branch", "--list", "suture/*").split()  # the user's repository
    assert branches == [first.branch] and second.branch == first.branch
    assert git(scene.remote, "rev-parse", first.branch).strip() == second.commit
    await scene.store.transition(_approve(second.proposal_id))
    [applied] = await applier.handle(
        FixApproved(proposal_id=second.proposal_id, reviewer="ann"), scene.apply
    )
    assert applied.proposal_id == second.proposal_id
    text = git(scene.remote, "show", "suture/applied:models/stg_orders.sql")
    assert "client_id as customer_id" in text


async def test_a_pending_proposal_of_another_topic_or_kind_is_left_alone(on_forge: Scene) -> None:
    scene = on_forge
    first = await scene.propose(await scene.alert(renamed(BEFORE, cust_id="customer_id")))
    other = AlertRaised(
        source="test",
        category="quality",
        dataset="orders",
        detections=[Detection(kind="duplicates", field="order_id")],
    )
    await scene.store.save_alert(other)
    await scene.store.save_samples(other.event_id, "orders", BEFORE, BEFORE + BEFORE[:2])
    await healer.handle(other, scene.heal)
    assert (await scene.store.get_proposal(first.proposal_id)).status == "pending"


def test_newer_detections_win_for_a_field_both_name() -> None:
    rename = Detection(kind="rename", field="cust_id", to="customer_id")
    again = Detection(kind="rename", field="cust_id", to="client_id")
    gone = Detection(kind="remove", field="coupon")
    topic = Detection(kind="freshness", seconds=900)
    assert carried([rename, gone, topic], [again]) == [again, gone, topic]
    later = Detection(kind="freshness", seconds=1200)
    assert carried([topic], [later]) == [later]


def _approve(proposal_id: str) -> Transition:
    return Transition(
        proposal_id=proposal_id, from_status="pending", to_status="approved", by="reviewer"
    )


async def test_a_pr_a_human_merged_at_an_earlier_revision_fails_the_newer_one_honestly(
    on_forge: Scene,
) -> None:
    scene = on_forge
    first = await scene.propose(await scene.alert(renamed(BEFORE, cust_id="customer_id")))
    assert first.commit is not None
    # A human merges the PR on the forge before suture read it back; then a newer drift comes.
    by_human = scene.forge.merge_in_remote(1, first.commit)
    second = await scene.propose(await scene.alert(renamed(BEFORE, cust_id="client_id")))
    scene.forge.decide(1, state="merged", merge_commit=by_human, head_commit=first.commit)

    review = forge_review.Deps(book=scene.store, rejections=scene.kb, clock=lambda: NOW)
    approvals = await poll_once(scene.sink, scene.store, review)  # type: ignore[arg-type]
    assert [a.proposal_id for a in approvals] == [second.proposal_id]
    assert await applier.handle(approvals[0], scene.apply) == []

    failed = await scene.store.get_proposal(second.proposal_id)
    assert failed.status == "failed" and "not at the reviewed commit" in (failed.failure or "")
    assert scene.forge.merges == []
    assert scene.repo.head() == by_human  # the clone reads what the human merged
