"""Tells people what suture did: one structured log line per alert, proposal, incident and
apply, and a Slack-compatible webhook message when a proposal waits for review."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from core.models import AlertRaised, FixApplied, FixProposed, IncidentEscalated

logger = logging.getLogger("suture.events")


class Announcer:
    """Logs each published event of note; posts proposals to `webhook_url` when set."""

    def __init__(
        self, review_url: str, webhook_url: str | None = None, *, timeout_s: float = 5.0
    ) -> None:
        self._review_url, self._webhook_url, self._timeout_s = review_url, webhook_url, timeout_s

    async def announce(self, event: BaseModel) -> None:
        """Log `event` as one line (if it is one of note) and notify reviewers of proposals."""
        match event:
            case AlertRaised():
                kinds = ",".join(sorted({d.kind for d in event.detections}))
                self._line(
                    "alert", event.event_id, event.dataset, category=event.category, kinds=kinds
                )
            case FixProposed():
                self._line(
                    "proposal",
                    event.proposal_id,
                    event.dataset,
                    alert_id=event.alert_id,
                    checks_passed=event.validation.passed,
                    origin=event.origin,
                )
                await self.notify(event)
            case IncidentEscalated():
                self._line("incident", event.event_id, event.dataset, reason=event.reason)
            case FixApplied():
                self._line(
                    "apply", event.proposal_id, event.dataset, merge_commit=event.merge_commit
                )

    async def notify(self, proposal: FixProposed) -> None:
        """Post a Slack-compatible message about a proposal waiting for review."""
        if self._webhook_url is None:
            return
        link = f"{self._review_url}/proposals/{quote(proposal.proposal_id, safe='')}"
        checks = "all checks passed" if proposal.validation.passed else "some checks FAILED"
        text = (
            f"suture: a fix for *{proposal.dataset}* waits for review: {proposal.title} "
            f"({checks})\n<{link}|Review it>"
        )
        body = {
            "text": text,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        }
        try:
            async with httpx.AsyncClient(timeout=self._timeout_s) as client:
                async with asyncio.timeout(self._timeout_s * 2):
                    response = await client.post(self._webhook_url, json=body)
            response.raise_for_status()
        except (httpx.HTTPError, TimeoutError) as error:
            # A notification is a courtesy: the proposal is stored and listed either way.
            logger.warning("review webhook failed for proposal %s: %s", proposal.proposal_id, error)

    @staticmethod
    def _line(kind: str, subject: str, dataset: str, **fields: object) -> None:
        details = " ".join(f"{k}={v}" for k, v in fields.items())
        logger.info(
            "%s %s on %s %s",
            kind,
            subject,
            dataset,
            details,
            extra={"kind": kind, "subject": subject, "dataset": dataset, **fields},
        )
