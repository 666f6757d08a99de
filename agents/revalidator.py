"""Keeps proposals true to the default branch: rebases those it moved past and validates again.

A proposal was validated on one commit of the default branch. When the branch moves (a fix
merged, a human's commit), what a reviewer would approve is no longer what would be merged:
the revalidator marks a pending one `stale` (the applier does the same with an approved one),
merges its change onto the new head (a conflict fails it, naming the files), and runs the
healer's replay gate again on the new head's models with the alert's evidence. A proposal that
passes goes back to review with its rebased branch (force-pushed, its pull request updated); one
that does not is `failed` with the reason. Nothing moves on the branch before validation passed.

One pass settles every stale proposal, whoever marked it and whenever (a pass cut short by a
crash is finished by the next), so none stays stale. It runs on one replica at a time (a lease,
agents/edges/leadership.py); the store's compare-and-set keeps it off a proposal a reviewer
decided meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from core.contracts import FileText, Pipeline
from core.errors import ApprovalError, AssistantError, RebaseConflictError
from core.lifecycle import ProposalRecord, ProposalStatus, Transition
from core.models import FixProposed, ModelPatch
from core.ports import AlertStore, PipelineView, Rebase, Rebaser
from guardrails.replay_gate import validate_patch

_log = logging.getLogger(__name__)


class ProposalBook(Protocol):
    """The proposals and their lifecycle: the store."""

    async def list_proposals(self, status: ProposalStatus | None = None) -> list[ProposalRecord]:
        """Proposals, optionally only those in `status`."""
        ...

    async def transition(self, move: Transition) -> ProposalRecord:
        """Make one lifecycle move by compare-and-set; ApprovalError if it is not allowed."""
        ...


@dataclass(frozen=True)
class Deps:
    """What the revalidator needs: the store, the repository, and the contracts the healer reads."""

    book: ProposalBook
    samples: AlertStore
    repo: Rebaser
    view: PipelineView


@dataclass(frozen=True)
class Pass:
    """What one revalidation pass saw and did."""

    head: str  # the default branch's head it checked against
    settled: list[ProposalRecord]  # stale proposals it sent back to review, or failed


async def revalidate_once(deps: Deps, seen_head: str | None = None) -> Pass:
    """One pass: mark stale the pending proposals the default branch moved past, then settle
    every stale proposal. Pending proposals are checked only when the head is not `seen_head`
    (a pass checked them against it already; the applier checks an approval's base anyway)."""
    head = await deps.repo.refresh()
    if head != seen_head:
        for record in await deps.book.list_proposals("pending"):
            await _mark_if_moved(record, head, deps)
    settled = [await settle(record, deps) for record in await deps.book.list_proposals("stale")]
    return Pass(head, settled)


async def run(deps: Deps, interval_s: float, wake: asyncio.Event | None = None) -> None:
    """Revalidate every `interval_s` (and when woken) until cancelled; a pass that fails on a
    passing outage (an unreachable forge) leaves its proposals stale for the next one."""
    wake = wake or asyncio.Event()
    seen: str | None = None
    while True:
        wake.clear()
        try:
            seen = (await revalidate_once(deps, seen)).head
        except AssistantError as error:
            if not error.retriable:
                raise
            _log.warning("revalidation pass cut short, trying again later: %s", error)
        try:
            async with asyncio.timeout(interval_s):
                await wake.wait()
        except TimeoutError:
            pass


async def _mark_if_moved(record: ProposalRecord, head: str, deps: Deps) -> None:
    branch = record.proposal.branch
    if branch is None:
        return
    try:
        base = await deps.repo.base_of(branch)
    except AssistantError as error:
        if error.retriable:
            raise
        base, reason = "", f"its branch cannot be read ({error}); checking it against the head"
    else:
        if base is None or base == head:
            return  # up to date, or merged on the default branch already
        reason = (
            f"the default branch moved from {base[:12]} to {head[:12]} since this fix was "
            "validated; it is being revalidated on the new head"
        )
    try:
        await _move(deps, record, "pending", "stale", reason=reason)
    except ApprovalError:
        _log.info("%s was decided meanwhile; the applier checks its base", record.proposal_id)


async def settle(record: ProposalRecord, deps: Deps) -> ProposalRecord:
    """Rebase a stale proposal onto the head and validate it again: back to review, or failed."""
    proposal = record.proposal
    try:
        outcome = await _revalidated(proposal, deps)
    except RebaseConflictError as error:
        outcome = (
            f"it no longer applies on the default branch: {error}; resolve the conflict on the "
            "branch (rebase it onto the default branch), then send it back to review"
        )
    except AssistantError as error:
        if error.retriable:
            raise
        outcome = f"it could not be revalidated: {error}"
    if isinstance(outcome, str):
        _log.warning("proposal %s failed revalidation: %s", proposal.proposal_id, outcome)
        return await _move(deps, record, "stale", "failed", reason=outcome[:2000])
    _log.info("proposal %s revalidated on %s", proposal.proposal_id, outcome.commit)
    return await _move(deps, record, "stale", "pending", revised=outcome)


async def _revalidated(proposal: FixProposed, deps: Deps) -> FixProposed | str:
    """The proposal carried onto the head and validated, its branch moved; or why it fails."""
    if proposal.branch is None:
        return "the proposal has no branch to carry onto the new head"
    rebase = await deps.repo.rebase(proposal.branch)
    if not rebase.changed:
        return f"the default branch at {rebase.head[:12]} holds this change already"
    before = await deps.repo.pipeline_at(rebase.head)
    after = await deps.repo.pipeline_at(rebase.tree)
    patches = rebased_patches(proposal.patches, before, after)
    if not patches and proposal.contract is None:
        return f"the default branch at {rebase.head[:12]} holds this change already"
    validation = proposal.validation  # a change of the contract alone: no model to replay
    if patches:
        _, contracts = await deps.view.snapshot()
        old_events, new_events = await deps.samples.load_samples(proposal.alert_id)
        validation = validate_patch(
            before,
            patches,
            contracts,
            old_events,
            new_events,
            dataset=proposal.dataset,
            mapping=proposal.mapping,
        )
    if not validation.passed:
        failed = "; ".join(f"{c.name}: {c.detail}" for c in validation.failures())
        return f"on the default branch at {rebase.head[:12]} it fails validation ({failed})"
    revised = proposal.model_copy(
        update={
            "patches": patches,
            "validation": validation,
            "contract_file": _rebased_file(proposal.contract_file, rebase),
        }
    )
    commit = await deps.repo.move_branch(revised, rebase)
    return revised.model_copy(update={"commit": commit})


def rebased_patches(
    original: Sequence[ModelPatch], before: Pipeline, after: Pipeline
) -> list[ModelPatch]:
    """The models the rebased change makes differ from the head's, as patches (keeping each
    original patch's path, dialect and recipe)."""
    made = {p.model: p for p in original}
    patches = []
    for model, sql in after.models.items():
        if before.models.get(model) == sql:
            continue
        old, template_before = made.get(model), before.templates.get(model)
        template_after = after.templates.get(model)
        patches.append(
            ModelPatch(
                model=model,
                path=old.path if old is not None else None,
                dialect=old.dialect if old is not None else after.dialect,
                before_sql=before.models.get(model, ""),
                after_sql=sql,
                template_before=None if template_before is None else template_before.text,
                template_after=None if template_after is None else template_after.text,
                recipe=None if old is None else old.recipe,
            )
        )
    return patches


def _rebased_file(file: FileText | None, rebase: Rebase) -> FileText | None:
    """The contract file as the rebased change writes it (main's edits merged in)."""
    if file is None or file.path not in rebase.changed:
        return file
    return file.model_copy(update={"text": rebase.changed[file.path]})


async def _move(
    deps: Deps,
    record: ProposalRecord,
    from_status: ProposalStatus,
    to_status: ProposalStatus,
    *,
    reason: str | None = None,
    revised: FixProposed | None = None,
) -> ProposalRecord:
    return await deps.book.transition(
        Transition(
            proposal_id=record.proposal_id,
            from_status=from_status,
            to_status=to_status,
            by="revalidator",
            failure=reason,
            revised=revised,
        )
    )
