"""A reviewer approves a proposal in headless Chromium, against the app served by uvicorn."""

from __future__ import annotations

import asyncio
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Page, sync_playwright
from pydantic import SecretStr

from agents.edges.store import Store, open_store
from agents.edges.web import create_app
from agents.edges.web_auth import RoleTokens
from agents.edges.web_deps import WebDeps
from core.lifecycle import Transition
from core.models import AlertRaised, IncidentEscalated
from tests.agents.edges.test_web import make_proposal

pytestmark = pytest.mark.browser

TOKEN = "browser-token"
VIEWER_TOKEN = "browser-viewer"
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


@dataclass
class Approvals:
    """Approvals the app asked for; each is applied a moment later by a thread standing in
    for the applier (uvicorn runs in its own thread, so the list is locked)."""

    store: Store
    calls: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    appliers: list[threading.Thread] = field(default_factory=list)

    async def on_approve(self, proposal_id: str, reviewer: str) -> None:
        """Record one approval and let the applier record its outcome after a while."""
        with self.lock:
            self.calls.append((proposal_id, reviewer))
        applier = threading.Timer(1.0, self._apply, args=(proposal_id,))
        self.appliers.append(applier)
        applier.start()

    def _apply(self, proposal_id: str) -> None:
        move = Transition(
            proposal_id=proposal_id,
            from_status="approved",
            to_status="applied",
            by="applier",
            applied_commit="c0ffee1234567890",
        )
        asyncio.run(self.store.transition(move))


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
    approvals = Approvals(store)
    tokens = RoleTokens(reviewer=SecretStr(TOKEN), viewer=SecretStr(VIEWER_TOKEN))
    deps = WebDeps(store, tokens, approvals.on_approve, _no_alerts)
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
        for applier in approvals.appliers:
            applier.join(timeout=10)
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
        store.close()
    assert not thread.is_alive(), "uvicorn did not stop"


def seed(store: Store) -> tuple[str, str]:
    """Two proposals and an incident; returns the proposals' ids."""
    proposal = make_proposal(title="Map cust_id to customer_id <b>not bold</b>")
    other = make_proposal(alert_id="alert-2", title="Map ts to event_time")
    incident = IncidentEscalated(
        alert_id="alert-3",
        dataset="payments",
        reason="two fields fit equally",
        candidates=["event_time", "ingest_time"],
    )

    async def save() -> None:
        for item in (proposal, other):
            await store.save_proposal(item)
        await store.save_samples(
            proposal.alert_id,
            "orders",
            [{"cust_id": 7, "amount": 1250}, {"cust_id": 8, "amount": 990}],
            [{"customer_id": 7, "amount": 1250}, {"customer_id": 8, "amount": 990}],
        )
        await store.save_incident(incident)

    asyncio.run(save())
    return proposal.proposal_id, other.proposal_id


def sign_in(page: Page, base_url: str, token: str, name: str) -> None:
    """Sign in through the login form."""
    page.goto(base_url + "/")
    page.wait_for_url("**/login**")
    page.fill("input[name=token]", token)
    page.fill("input[name=name]", name)
    with page.expect_navigation():
        page.click("button.primary")


def test_reviewer_signs_in_approves_and_sees_it_applied_without_reload(served: Served) -> None:
    proposal_id, _ = seed(served.store)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            sign_in(page, served.base_url, TOKEN, "ana")
            assert "2 waiting for review" in page.inner_text("main")
            page.click("text=Map cust_id to customer_id <b>not bold</b>")
            page.wait_for_url(f"**/proposals/{proposal_id}")
            assert page.inner_text("#state .status") == "pending"
            assert page.locator("table.diff tr.change").count() >= 1
            assert "stg_orders after the fix" in page.inner_text("main")
            page.fill("textarea[name=note]", "mapping checked against replay")
            with page.expect_navigation():
                page.click("button.approve")
            assert page.inner_text("#state .status") == "approved"
            navigations: list[str] = []
            page.on("framenavigated", lambda frame: navigations.append(frame.url))
            page.wait_for_selector("#state .status-applied", timeout=10_000)
            assert "c0ffee123456" in page.inner_text("#state")
            assert navigations == [], "the page reloaded instead of updating in place"
            assert page.locator("form.decide").count() == 0
        finally:
            browser.close()
    assert served.approvals.calls == [(proposal_id, "ana")]


def test_a_viewer_reads_but_cannot_approve(served: Served) -> None:
    proposal_id, _ = seed(served.store)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            sign_in(page, served.base_url, VIEWER_TOKEN, "vic")
            page.goto(f"{served.base_url}/proposals/{proposal_id}")
            assert "Map cust_id" in page.inner_text("h1")
            assert page.locator("button.approve").count() == 0
            assert "reviewers decide" in page.inner_text("main")
            csrf = page.context.cookies()  # the viewer's own session posts without a form
            assert any(c["name"] == "suture_session" for c in csrf)
            answer = page.request.post(
                f"{served.base_url}/proposals/{proposal_id}/decide",
                form={"decision": "approve", "csrf": "guess"},
            )
            assert answer.status == 403
        finally:
            browser.close()
    assert served.approvals.calls == []


def test_a_forged_form_post_without_the_csrf_token_is_refused(served: Served) -> None:
    proposal_id, _ = seed(served.store)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            sign_in(page, served.base_url, TOKEN, "ana")
            # The signed-in reviewer's browser sends the forged post with its session cookie.
            forged = page.request.post(
                f"{served.base_url}/proposals/{proposal_id}/decide", form={"decision": "approve"}
            )
            assert forged.status == 403
            assert "CSRF" in forged.text()
        finally:
            browser.close()
    assert served.approvals.calls == []
    assert asyncio.run(served.store.get_proposal(proposal_id)).status == "pending"


def test_docs_load_without_a_network(served: Served) -> None:
    with urllib.request.urlopen(served.base_url + "/docs") as response:
        html = response.read().decode()
    assert "/static/swagger/swagger-ui-bundle.js" in html and "cdn" not in html.lower()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            outside: list[str] = []
            page.on(
                "request",
                lambda r: outside.append(r.url) if not r.url.startswith(served.base_url) else None,
            )
            page.goto(served.base_url + "/docs")
            page.wait_for_selector(".opblock-summary-path", timeout=10_000)
            assert outside == []
        finally:
            browser.close()
    try:
        urllib.request.urlopen(served.base_url + "/static/swagger/index.html")
    except urllib.error.HTTPError as error:
        assert error.code == 404


def test_the_screenshot_script_saves_the_list_and_proposal_pages(tmp_path: Path) -> None:
    from suture.screenshots import take

    shots = take(tmp_path)
    assert [s.name for s in shots] == ["review-list.png", "review-proposal.png"]
    assert all(s.read_bytes().startswith(b"\x89PNG") and s.stat().st_size > 10_000 for s in shots)
