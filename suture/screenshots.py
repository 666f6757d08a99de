"""Screenshots of the review console for the README: `python -m suture.screenshots docs/`.

Seeds a fresh store with a proposal built from a real rename (with sample events), serves the
app, signs in with headless Chromium and saves the list and proposal pages.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import sys
import tempfile
import threading
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright
from pydantic import SecretStr

from agents.edges.store import Store, open_store
from agents.edges.web import create_app
from agents.edges.web_auth import RoleTokens
from agents.edges.web_deps import WebDeps
from core.models import (
    AlertRaised,
    CheckResult,
    Detection,
    FieldMapping,
    FixProposed,
    ModelPatch,
    SchemaMapping,
    ValidationReport,
)

BEFORE_SQL = (
    "select\n    order_id,\n    cust_id as customer_id,\n    amount_cents / 100.0 as amount,\n"
    "    created_at\nfrom orders\nwhere status <> 'test'"
)
AFTER_SQL = (
    "select\n    order_id,\n    customer.id as customer_id,\n    amount_cents / 100.0 as amount,\n"
    "    created_at\nfrom orders\nwhere status <> 'test'"
)


async def _seed(store: Store) -> str:
    events = [
        {
            "order_id": n,
            "cust_id": 100 + n,
            "amount_cents": 1250 * n,
            "status": "paid",
            "created_at": f"2026-12-01T10:0{n}:00Z",
        }
        for n in range(1, 4)
    ]
    moved = [
        {
            "order_id": n,
            "customer": {"id": 100 + n},
            "amount_cents": 1250 * n,
            "status": "paid",
            "created_at": f"2026-12-01T11:0{n}:00Z",
        }
        for n in range(4, 7)
    ]
    alert = AlertRaised(
        source="drift_monitor",
        category="drift",
        dataset="orders",
        detections=[Detection(kind="nesting", field="cust_id", to="customer.id")],
    )
    await store.save_alert(alert)
    await store.save_samples(alert.event_id, "orders", events, moved)
    checks = [
        CheckResult(name=n, passed=True, detail=d)
        for n, d in (
            ("replay", "1,000 events replayed through stg_orders"),
            ("schema", "output columns and types unchanged"),
            ("nulls", "customer_id null rate 0.0% (was 0.0%)"),
            ("row_count", "1,000 rows (was 1,000)"),
            ("no_destructive_statements", "select only"),
        )
    ]
    proposal = FixProposed(
        alert_id=alert.event_id,
        dataset="orders",
        signature="orders:nesting:cust_id",
        branch="suture/orders-cust-id",
        commit="5d1c0ffee",
        origin="rules",
        mapping=SchemaMapping(
            entries=[
                FieldMapping(
                    source="cust_id",
                    target="customer.id",
                    confidence=0.98,
                    rationale="every old cust_id value reappears as customer.id in the new events",
                )
            ]
        ),
        patches=[
            ModelPatch(
                model="stg_orders",
                path="models/stg_orders.sql",
                before_sql=BEFORE_SQL,
                after_sql=AFTER_SQL,
            )
        ],
        validation=ValidationReport(checks=checks, replayed_events=1000),
        title="orders: cust_id moved to customer.id",
        description=(
            "## What changed\n\nThe producer now nests the customer: `cust_id` became "
            "`customer.id` (98% of 1,000 events).\n\n## The fix\n\n`stg_orders` reads "
            "`customer.id` and keeps its output column `customer_id`."
        ),
    )
    await store.save_proposal(proposal)
    other = proposal.model_copy(
        update={
            "proposal_id": "p-2",
            "alert_id": "a-2",
            "dataset": "payments",
            "title": "payments: amount now in cents",
        }
    )
    await store.save_proposal(other)
    return proposal.proposal_id


def take(out: Path) -> list[Path]:
    """Serve a seeded console and save its list and proposal pages as PNG files in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(12)
    with tempfile.TemporaryDirectory() as work:
        store = open_store(None, Path(work))
        proposal_id = asyncio.run(_seed(store))

        async def approve(proposal_id: str, reviewer: str) -> None:
            """Screenshots decide nothing."""

        async def ingest(alert: AlertRaised) -> None:
            """Screenshots ingest nothing."""

        deps = WebDeps(
            store,
            RoleTokens(reviewer=SecretStr(token)),
            approve,
            ingest,
            pii_fields={"orders": frozenset({"email"})},
        )
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        server = uvicorn.Server(
            uvicorn.Config(create_app(deps), lifespan="off", log_level="warning")
        )
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        shots = [out / "review-list.png", out / "review-proposal.png"]
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"]
                )
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.goto(base + "/login")
                page.fill("input[name=token]", token)
                page.fill("input[name=name]", "ana")
                with page.expect_navigation():
                    page.click("button.primary")
                page.screenshot(path=str(shots[0]), full_page=True)
                page.goto(f"{base}/proposals/{proposal_id}")
                page.screenshot(path=str(shots[1]), full_page=True)
                browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=15)
            sock.close()
            store.close()
    return shots


if __name__ == "__main__":
    for shot in take(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")):
        print(shot)
