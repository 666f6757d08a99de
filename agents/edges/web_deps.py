"""What the web endpoint is given: the store, the role tokens, the callbacks into the running
agents, and its limits. The app (web.py), its pages and its review actions all read it."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agents.edges.store import Store
from agents.edges.web_auth import RoleTokens
from agents.edges.web_metrics import LagReader
from core.models import AlertRaised, DeadLetter

Check = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class WebDeps:
    """What the web endpoint needs: the store, the role tokens, callbacks and its limits."""

    store: Store
    tokens: RoleTokens
    on_approve: Callable[[str, str], Awaitable[None]]
    on_external_alert: Callable[[AlertRaised], Awaitable[None]]
    ask: Callable[[str], Awaitable[dict[str, Any]]] | None = None
    alerts_dead_letter_topic: str = "suture.alerts.dlq"
    on_replay_dead_letter: Callable[[DeadLetter], Awaitable[None]] | None = None
    on_release: Callable[[str], Awaitable[int]] | None = None
    quarantine_policies: Mapping[str, str] = field(default_factory=dict)
    pii_fields: Mapping[str, frozenset[str]] = field(default_factory=dict)
    readiness: Mapping[str, Check] = field(default_factory=dict)
    own_lag: LagReader | None = None
    trusted_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "::1", "[::1]")
    max_body_bytes: int = 1_000_000
    session_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    page_size: int = 50
    health: Callable[[], Awaitable[dict[str, Any]]] | None = None  # None: the process answers

    def all_pii(self) -> frozenset[str]:
        """Every PII-marked field name of every contract (for payloads of unknown origin)."""
        return frozenset().union(*self.pii_fields.values())
