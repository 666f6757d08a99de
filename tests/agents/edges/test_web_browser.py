"""A reviewer approves a proposal in headless Chromium, against the app served by uvicorn."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import sync_playwright
from pydantic import SecretStr

from agents.edges.store import Store, open_store
from agents.edges.web import WebDeps, create_app
from core.models import AlertRaised, IncidentEscalated
from tests.agents.edges.test_web import make_proposal

pytestmark = pytest.mark.browser

TOKEN = "browser-token"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT = Path("/tmp/suture_review_page.png")


@dataclass
class Approvals:
    """Approvals the app asked for; thread-safe because uvicorn runs in its own thread."""

    calls: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def on_approve(self, proposal_id: str, reviewer: str) -> None:
        """Record one approval."""
        with self.lock:
            self.calls.append((proposal_id, reviewer))


async def _no_alerts(alert: AlertRaised) -> None:
    raise AssertionError(f"no external alert expected, got {alert.event_id}")


@dataclass(frozen=True)
class Served:
    """The running app: its base URL, store and recorded approvals."""

    base_url: str
    store: Store
    approvals: Approvals


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """The app on a free loopback port, served by uvicorn in a background thread."""
    store = open_store(None, tmp_path)
    approvals = Approvals()
    deps = WebDeps(store, SecretStr(TOKEN), approvals.on_approve, _no_alerts)
    # Binding first means the port is known and connections queue until uvicorn accepts.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    config = uvicorn.Config(create_app(deps), lifespan="off", log_level="warning", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield Served(f"http://127.0.0.1:{sock.getsockname()[1]}", store, approvals)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
        store.close()
    assert not thread.is_alive(), "uvicorn did not stop"


def test_reviewer_approves_a_proposal_in_the_browser(served: Served) -> None:
    proposal = make_proposal(title="Map cust_id to customer_id <b>not bold</b>")
    other = make_proposal(alert_id="alert-2", title="Map ts to event_time")
    incident = IncidentEscalated(
        alert_id="alert-3",
        dataset="payments",
        reason="two fields fit equally",
        candidates=["event_time", "ingest_time"],
    )

    async def seed() -> None:
        for item in (proposal, other):
            await served.store.save_proposal(item)
        await served.store.save_incident(incident)

    asyncio.run(seed())
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1000})
            page.goto(served.base_url + "/")
            assert "2 waiting for review" in page.inner_text("main")
            page.click("text=Map cust_id to customer_id <b>not bold</b>")
            page.wait_for_url(f"**/proposals/{proposal.proposal_id}")
            assert page.inner_text(".status") == "pending"
            page.fill("input[name=token]", TOKEN)
            page.fill("input[name=reviewer]", "ana")
            page.fill("textarea[name=note]", "mapping checked against replay")
            page.screenshot(path=str(SCREENSHOT), full_page=True)
            with page.expect_navigation():
                page.click("button.approve")
            assert page.inner_text(".status") == "approved"
            assert "ana" in page.inner_text("main")
            assert page.locator("form.decide").count() == 0
        finally:
            browser.close()
    assert served.approvals.calls == [(proposal.proposal_id, "ana")]
