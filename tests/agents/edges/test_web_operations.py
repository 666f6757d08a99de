"""Operations of the web endpoint: metrics, readiness, guards, incidents, dead letters, webhook."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from agents.edges.announce import Announcer
from agents.edges.config_audit import record_configuration
from agents.edges.store import Store, open_store
from agents.edges.web import create_app
from agents.edges.web_deps import WebDeps
from core.config import Settings, WebSettings
from core.errors import BrokerError
from core.models import (
    AlertRaised,
    CheckResult,
    DeadLetter,
    Detection,
    FixApplied,
    IncidentEscalated,
)
from tests.agents.edges.test_web import (
    AUTH,
    INGEST,
    TOKENS,
    VIEWER,
    Calls,
    make_proposal,
    sign_in,
)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """An in-memory SQLite store."""
    opened = open_store("sqlite://", tmp_path)
    yield opened
    opened.close()


async def _broker_down() -> None:
    raise BrokerError("no broker at 127.0.0.1:9")


@pytest.fixture
async def client(store: Store) -> AsyncIterator[httpx.AsyncClient]:
    """The app with a broker that is down, PII fields on orders, and small limits."""
    calls = Calls(store)
    deps = WebDeps(
        store=store,
        tokens=TOKENS,
        on_approve=calls.on_approve,
        on_external_alert=calls.on_external_alert,
        trusted_hosts=("test",),
        pii_fields={"orders": frozenset({"email"})},
        max_body_bytes=2_000,
        readiness={"broker": _broker_down},
    )
    transport = httpx.ASGITransport(app=create_app(deps))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def test_metrics_parse_with_the_prometheus_parser(
    client: httpx.AsyncClient, store: Store
) -> None:
    alert = AlertRaised(
        source="m", category="drift", dataset="orders", detections=[Detection(kind="rename")]
    )
    await store.save_alert(alert)
    failing = make_proposal(alert_id=alert.event_id)
    failing = failing.model_copy(
        update={
            "validation": failing.validation.model_copy(
                update={"checks": [*failing.validation.checks, *_failed("row_count")]}
            ),
            "llm_calls": 2,
        }
    )
    await store.save_proposal(failing)
    await store.save_dead_letter(DeadLetter(topic="orders", value="x", reason="r", error_type="E"))
    response = await client.get("/metrics", headers=VIEWER)
    assert response.status_code == 200
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }
    assert samples[("suture_alerts_total", (("category", "drift"), ("kind", "rename")))] == 1
    assert samples[("suture_proposals", (("status", "pending"),))] == 1
    assert samples[("suture_validation_failures_total", (("check", "row_count"),))] == 1
    assert samples[("suture_llm_calls_total", ())] == 2
    assert samples[("suture_dead_letters_total", (("topic", "orders"),))] == 1
    assert samples[("suture_time_to_proposal_seconds_count", ())] == 1


def _failed(name: str) -> list[CheckResult]:
    return [CheckResult(name=name, passed=False, detail="fewer rows")]


async def test_readiness_names_what_is_down(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["store"] == "ok" and "no broker" in checks["broker"]


async def test_ingest_takes_only_json_with_the_ingest_token(client: httpx.AsyncClient) -> None:
    body = '{"tool": "soda", "dataset": "orders", "kind": "lag"}'
    assert (await client.post("/alerts", content=body)).status_code == 401
    as_text = await client.post(
        "/alerts", content=body, headers={"Content-Type": "text/plain", **INGEST}
    )
    assert as_text.status_code == 415
    as_form = await client.post("/alerts", data={"tool": "soda"}, headers=INGEST)
    assert as_form.status_code == 415
    assert (await client.post("/alerts", content=body, headers=VIEWER)).status_code == 403


async def test_big_bodies_and_strange_hosts_are_refused(client: httpx.AsyncClient) -> None:
    big = await client.post(
        "/alerts",
        content=b"{" + b" " * 5_000 + b"}",
        headers={"Content-Type": "application/json", **INGEST},
    )
    assert big.status_code == 413 and "2000 bytes" in big.text
    rebound = await client.get("/healthz", headers={"Host": "evil.example"})
    assert rebound.status_code == 400


async def test_dead_letters_are_paged_and_pii_is_redacted(
    client: httpx.AsyncClient, store: Store
) -> None:
    for n in range(3):
        value = json.dumps({"order_id": n, "email": f"p{n}@x.io"})
        await store.save_dead_letter(
            DeadLetter(topic="orders", value=value, reason="r", error_type="E")
        )
    page = (await client.get("/api/dead-letters", headers=VIEWER, params={"limit": 2})).json()
    assert [json.loads(d["value"])["order_id"] for d in page] == [2, 1]
    assert all("@x.io" not in d["value"] for d in page)
    await sign_in(client)
    html = (await client.get("/dead-letters")).text
    assert "p0@x.io" not in html and "[redacted]" in html
    assert (
        await client.get("/api/dead-letters", params={"limit": 501}, headers=VIEWER)
    ).status_code == 422


async def test_a_reviewer_acts_on_an_incident_and_it_is_audited(
    client: httpx.AsyncClient, store: Store
) -> None:
    incident = IncidentEscalated(alert_id="a", dataset="orders", reason="two fields fit")
    await store.save_incident(incident)
    csrf = await sign_in(client, name="ana")
    url = f"/incidents/{incident.event_id}/act"
    assigned = await client.post(url, data={"csrf": csrf, "action": "assign", "assignee": "bo"})
    assert assigned.status_code == 303
    acked = await client.post(url, data={"csrf": csrf, "action": "acknowledge"})
    assert acked.status_code == 303
    again = await client.post(url, data={"csrf": csrf, "action": "acknowledge"})
    assert again.status_code == 409
    [record] = (await client.get("/api/incident-records", headers=AUTH)).json()
    assert (record["status"], record["assignee"]) == ("acknowledged", "bo")
    actions = [e["action"] for e in (await client.get("/api/audit", headers=VIEWER)).json()]
    assert actions[:2] == ["incident.acknowledge", "incident.assign"]


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, object]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        _Hook.received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def webhook() -> Iterator[str]:
    """A local HTTP server that records what is posted to it."""
    _Hook.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


async def test_a_proposal_waiting_for_review_is_posted_to_the_webhook(webhook: str) -> None:
    proposal = make_proposal(title="Map cust_id")
    await Announcer("http://suture.local:8000", webhook).announce(proposal)
    [message] = _Hook.received
    text = str(message["text"])
    assert "Map cust_id" in text and "orders" in text
    assert f"http://suture.local:8000/proposals/{proposal.proposal_id}" in text
    assert isinstance(message["blocks"], list)


async def test_an_unreachable_webhook_does_not_fail_the_proposal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    await Announcer("http://x", "http://127.0.0.1:9/hook", timeout_s=1).announce(make_proposal())
    assert "review webhook failed" in caplog.text


async def test_metrics_report_suture_own_consumer_lag(store: Store) -> None:
    calls = Calls(store)

    async def lag() -> dict[str, int]:
        return {"suture.healer": 3, "suture.applier": 0}

    async def no_broker() -> dict[str, int]:
        raise BrokerError("broker down")

    for reader, expected in ((lag, {"suture.healer": 3.0, "suture.applier": 0.0}), (no_broker, {})):
        deps = WebDeps(
            store,
            TOKENS,
            calls.on_approve,
            calls.on_external_alert,
            trusted_hosts=("test",),
            own_lag=reader,
        )
        transport = httpx.ASGITransport(app=create_app(deps))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            text = (await http.get("/metrics", headers=VIEWER)).text
        families = {f.name: f for f in text_string_to_metric_families(text)}
        up = families["suture_consumer_lag_up"].samples[0].value
        assert up == (1.0 if expected else 0.0)
        found = {
            s.labels["group"]: s.value
            for s in (
                families["suture_consumer_lag"].samples if "suture_consumer_lag" in families else []
            )
        }
        assert found == expected


async def test_a_configuration_change_is_audited_once_and_secrets_are_masked(
    store: Store, tmp_path: Path
) -> None:
    first = Settings(workdir=tmp_path, web=WebSettings(reviewer_token=SecretStr("hunter2")))
    assert await record_configuration(store, first)
    assert not await record_configuration(store, first)
    assert await record_configuration(store, first.model_copy(update={"store_url": "sqlite://"}))
    entries = await store.list_audit()
    assert [e.action for e in entries] == ["config.change", "config.change"]
    assert "hunter2" not in json.dumps([e.detail for e in entries])


async def test_replay_release_and_pages_a_reviewer_uses(store: Store) -> None:
    calls = Calls(store)
    replayed: list[DeadLetter] = []
    released: list[str] = []

    async def replay(letter: DeadLetter) -> None:
        replayed.append(letter)

    async def release(dataset: str) -> int:
        released.append(dataset)
        return 4

    deps = WebDeps(
        store,
        TOKENS,
        calls.on_approve,
        calls.on_external_alert,
        trusted_hosts=("test",),
        on_replay_dead_letter=replay,
        on_release=release,
        quarantine_policies={"orders": "block", "clicks": "pass"},
    )
    alert = AlertRaised(
        source="lag_monitor",
        category="lag",
        dataset="orders",
        detections=[Detection(kind="lag", status="STALL")],
        summary="consumer stalled",
    )
    await store.save_alert(alert)
    await store.save_dead_letter(DeadLetter(topic="orders", value="{}", reason="r", error_type="E"))
    [letter] = await store.list_dead_letter_records()
    transport = httpx.ASGITransport(app=create_app(deps))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        csrf = await sign_in(http, name="ana")
        alerts = (await http.get("/alerts")).text
        assert "consumer stalled" in alerts and "STALL" in alerts
        quarantine = (await http.get("/quarantine")).text
        assert quarantine.count("Release held events") == 1  # not for a 'pass' dataset
        done = await http.post(f"/dead-letters/{letter.seq}/replay", data={"csrf": csrf})
        assert done.status_code == 303 and [r.value for r in replayed] == ["{}"]
        page = await http.post("/quarantine/orders/release", data={"csrf": csrf})
        assert "4 held events of orders released" in page.text
        unknown = await http.post("/quarantine/ghost/release", data={"csrf": csrf})
        assert unknown.status_code == 409 and released == ["orders"]
        audit = (await http.get("/audit")).text
        assert "quarantine.release" in audit and "dead_letter.replay" in audit
        out = await http.post("/logout", data={"csrf": csrf})
        assert out.status_code == 303
        assert (await http.get("/audit")).status_code == 303


async def test_a_streamed_body_over_the_limit_is_refused(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b" " * 1_000

    response = await client.post(
        "/alerts", content=chunks(), headers={"Content-Type": "application/json", **INGEST}
    )
    assert response.status_code == 413


async def test_incidents_and_applies_are_one_line_each(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="suture.events")
    announcer = Announcer("http://x")
    await announcer.announce(IncidentEscalated(alert_id="a", dataset="orders", reason="two fit"))
    await announcer.announce(
        FixApplied(proposal_id="p-1", alert_id="a", dataset="orders", merge_commit="c0ffee")
    )
    lines = [r.getMessage() for r in caplog.records if r.name == "suture.events"]
    assert lines[0].startswith("incident ") and "reason=two fit" in lines[0]
    assert lines[1].startswith("apply p-1 on orders") and "merge_commit=c0ffee" in lines[1]
