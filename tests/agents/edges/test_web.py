"""The review API, the alert intake and the HTML pages, over a real in-memory store."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from agents import applier
from agents.edges.external_alerts import ExternalAlert
from agents.edges.kb_fake import InMemoryKnowledgeBase
from agents.edges.store import Store, open_store
from agents.edges.web import create_app
from agents.edges.web_auth import RoleTokens
from agents.edges.web_deps import WebDeps
from agents.edges.web_models import status_of
from core.errors import (
    AssistantError,
    BrokerError,
    GuardrailViolation,
    LLMUnavailableError,
    NotFoundError,
    RepoError,
    StoreError,
)
from core.lifecycle import Transition
from core.models import (
    AlertRaised,
    CheckResult,
    FieldMapping,
    FixApproved,
    FixProposed,
    IncidentEscalated,
    ModelPatch,
    SchemaMapping,
    ValidationReport,
    Verdict,
)

TOKEN = "s3cret-token"
VIEWER_TOKEN = "viewer-token"
INGEST_TOKEN = "ingest-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
VIEWER = {"Authorization": f"Bearer {VIEWER_TOKEN}"}
INGEST = {"Authorization": f"Bearer {INGEST_TOKEN}"}
TOKENS = RoleTokens(
    viewer=SecretStr(VIEWER_TOKEN), reviewer=SecretStr(TOKEN), ingest=SecretStr(INGEST_TOKEN)
)
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
XSS = "<script>alert('pwned')</script>"


class _Merger:
    async def behind(self, branch: str) -> str | None:
        return None

    async def merge(self, branch: str, commit: str | None = None) -> str:
        return "c0ffee"


def _now() -> datetime:
    return datetime(2026, 12, 1, tzinfo=UTC)


@dataclass
class Calls:
    """What the app asked of the outside world."""

    store: Store
    approvals: list[tuple[str, str]] = field(default_factory=list)
    alerts: list[AlertRaised] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    publish_error: Exception | None = None
    apply_error: Exception | None = None
    apply_on_approve: bool = False

    async def on_approve(self, proposal_id: str, reviewer: str) -> None:
        """Record the approval (or fail to hand it over); optionally run the real applier."""
        self.approvals.append((proposal_id, reviewer))
        if self.apply_error is not None:
            raise self.apply_error
        if self.apply_on_approve:
            deps = applier.Deps(
                book=self.store, repo=_Merger(), kb=InMemoryKnowledgeBase(), clock=_now
            )
            await applier.handle(FixApproved(proposal_id=proposal_id, reviewer=reviewer), deps)

    async def on_external_alert(self, alert: AlertRaised) -> None:
        """Record the alert, or fail like a broker that is down."""
        if self.publish_error is not None:
            raise self.publish_error
        self.alerts.append(alert)

    async def ask(self, question: str) -> dict[str, Any]:
        """Answer, or refuse a question that a guardrail blocks."""
        self.questions.append(question)
        if "drop" in question:
            raise GuardrailViolation(Verdict.block("destructive", rule="no_destructive"))
        return {"answer": f"you asked {question!r}"}


def make_proposal(
    alert_id: str = "alert-1", title: str = "Map cust_id to customer_id"
) -> FixProposed:
    """A proposal for `alert_id` with one patch, a mapping and two checks."""
    return FixProposed(
        alert_id=alert_id,
        dataset="orders",
        branch="suture/fix-1",
        signature="sig",
        mapping=SchemaMapping(entries=[FieldMapping(source="cust_id", target="customer_id")]),
        patches=[
            ModelPatch(
                model="stg_orders",
                before_sql="select cust_id, amount\nfrom orders",
                after_sql="select customer_id as cust_id, amount\nfrom orders",
            )
        ],
        validation=ValidationReport(
            checks=[CheckResult(name="replay", passed=True), CheckResult(name="ok", passed=True)]
        ),
        title=title,
        description="Producer renamed cust_id.",
    )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """An in-memory store."""
    opened = open_store("sqlite://", tmp_path)
    yield opened
    opened.close()


@pytest.fixture
def calls(store: Store) -> Calls:
    """The recording callbacks."""
    return Calls(store)


@pytest.fixture
async def client(store: Store, calls: Calls) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in process."""
    deps = WebDeps(
        store=store,
        tokens=TOKENS,
        on_approve=calls.on_approve,
        on_external_alert=calls.on_external_alert,
        ask=calls.ask,
        trusted_hosts=("test",),
        pii_fields={"orders": frozenset({"email"})},
        max_body_bytes=10_000,
    )
    transport = httpx.ASGITransport(app=create_app(deps))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def sign_in(http: httpx.AsyncClient, token: str = TOKEN, name: str = "ana") -> str:
    """Sign in through the login form; returns the session's CSRF token."""
    form = await http.get("/login")
    nonce = CSRF.search(form.text)
    assert nonce is not None
    done = await http.post(
        "/login", data={"csrf": nonce.group(1), "token": token, "name": name, "next": "/"}
    )
    assert done.status_code == 303, done.text
    page = await http.get("/")
    found = CSRF.search(page.text)
    assert found is not None
    return found.group(1)


async def test_health_check_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_health_is_503_with_the_report_when_an_agent_or_the_broker_is_down(
    store: Store, calls: Calls
) -> None:
    report = {"status": "down", "broker": False, "loops": {"healer": {"state": "restarting"}}}

    async def health() -> dict[str, object]:
        return report

    deps = WebDeps(
        store, TOKENS, calls.on_approve, calls.on_external_alert, trusted_hosts=("test",)
    )
    transport = httpx.ASGITransport(app=create_app(replace(deps, health=health)))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/healthz")
        ready = await http.get("/readyz")
    assert (response.status_code, response.json()) == (503, report)
    assert ready.status_code == 503
    assert "restarting" in ready.json()["checks"]["agents"]


async def test_lists_proposals_and_filters_by_status(
    client: httpx.AsyncClient, store: Store
) -> None:
    first, second = make_proposal("a1"), make_proposal("a2")
    await store.save_proposal(first)
    await store.save_proposal(second)
    await store.transition(
        Transition(
            proposal_id=second.proposal_id,
            from_status="pending",
            to_status="rejected",
            by="reviewer",
            reviewer="ana",
        )
    )
    everything = (await client.get("/api/proposals", headers=VIEWER)).json()
    assert [r["proposal"]["proposal_id"] for r in everything] == [
        first.proposal_id,
        second.proposal_id,
    ]
    pending = (
        await client.get("/api/proposals", headers=VIEWER, params={"status": "pending"})
    ).json()
    assert [r["status"] for r in pending] == ["pending"]
    assert (
        await client.get("/api/proposals", headers=VIEWER, params={"status": "bogus"})
    ).status_code == 422


async def test_unknown_proposal_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/proposals/ghost", headers=VIEWER)
    assert response.status_code == 404
    assert response.json()["error"] == "NotFoundError"
    await sign_in(client)
    page = await client.get("/proposals/ghost", headers={"Accept": "text/html"})
    assert page.status_code == 404 and "no proposal" in page.text


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": "Bearer "},
    ],
)
async def test_approval_needs_the_reviewer_token(
    client: httpx.AsyncClient, store: Store, calls: Calls, headers: dict[str, str]
) -> None:
    proposal = make_proposal()
    await store.save_proposal(proposal)
    response = await client.post(f"/api/proposals/{proposal.proposal_id}/approve", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert (await store.get_proposal(proposal.proposal_id)).status == "pending"
    assert calls.approvals == []


async def test_approval_applies_once_and_a_second_approval_conflicts(
    client: httpx.AsyncClient, store: Store, calls: Calls
) -> None:
    proposal = make_proposal()
    await store.save_proposal(proposal)
    url = f"/api/proposals/{proposal.proposal_id}/approve"
    first = await client.post(url, headers=AUTH, json={"reviewer": "ana", "note": "looks right"})
    assert first.status_code == 200
    assert (first.json()["status"], first.json()["reviewer"]) == ("approved", "ana")
    second = await client.post(url, headers=AUTH, json={"reviewer": "bob"})
    assert second.status_code == 409
    assert "is 'approved', not 'pending'" in second.json()["detail"]
    assert calls.approvals == [(proposal.proposal_id, "ana")]


async def test_approval_returns_the_state_the_applier_left(
    client: httpx.AsyncClient, store: Store, calls: Calls
) -> None:
    calls.apply_on_approve = True
    proposal = make_proposal()
    await store.save_proposal(proposal)
    url = f"/api/proposals/{proposal.proposal_id}/approve"
    response = await client.post(url, headers=AUTH, json={"reviewer": "ana", "note": "ship it"})
    body = response.json()
    # The real applier ran: it records the merge commit and leaves the reviewer's note alone.
    assert (body["status"], body["applied_commit"], body["note"]) == (
        "applied",
        "c0ffee",
        "ship it",
    )


async def test_a_rejected_proposal_cannot_be_approved(
    client: httpx.AsyncClient, store: Store, calls: Calls
) -> None:
    proposal = make_proposal()
    await store.save_proposal(proposal)
    base = f"/api/proposals/{proposal.proposal_id}"
    rejected = await client.post(f"{base}/reject", headers=AUTH, json={"note": "wrong field"})
    assert (rejected.status_code, rejected.json()["status"]) == (200, "rejected")
    assert (await client.post(f"{base}/approve", headers=AUTH)).status_code == 409
    assert calls.approvals == []


async def _gone_stale(store: Store, proposal: FixProposed) -> None:
    """The default branch moved past `proposal`: the revalidator marks it stale."""
    await store.save_proposal(proposal)
    await store.transition(
        Transition(
            proposal_id=proposal.proposal_id,
            from_status="pending",
            to_status="stale",
            by="revalidator",
            failure="the default branch moved from aaaa to bbbb since this fix was validated",
        )
    )


async def test_a_stale_proposal_cannot_be_approved_until_it_was_revalidated(
    client: httpx.AsyncClient, store: Store, calls: Calls
) -> None:
    proposal = make_proposal()
    await _gone_stale(store, proposal)
    base = f"/api/proposals/{proposal.proposal_id}"
    refused = await client.post(f"{base}/approve", headers=AUTH)
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert "is stale" in detail and "revalidated" in detail and "moved from aaaa" in detail
    assert (await client.post(f"{base}/reject", headers=AUTH)).status_code == 409
    assert calls.approvals == []
    shown = (await client.get(base, headers=AUTH)).json()
    assert (shown["status"], shown["failure"]) == (
        "stale",
        "the default branch moved from aaaa to bbbb since this fix was validated",
    )
    revised = proposal.model_copy(update={"commit": "c" * 40})
    await store.transition(
        Transition(
            proposal_id=proposal.proposal_id,
            from_status="stale",
            to_status="pending",
            by="revalidator",
            revised=revised,
        )
    )
    approved = await client.post(f"{base}/approve", headers=AUTH)
    assert approved.status_code == 200 and approved.json()["failure"] is None
    assert calls.approvals == [(proposal.proposal_id, "reviewer")]


async def test_the_review_page_shows_a_stale_proposal_with_its_reason_and_no_buttons(
    client: httpx.AsyncClient, store: Store
) -> None:
    proposal = make_proposal()
    await _gone_stale(store, proposal)
    await store.save_proposal(make_proposal("alert-2"))
    csrf = await sign_in(client)
    listing = (await client.get("/")).text
    assert "1 waiting for review." in listing and "1 being revalidated" in listing
    page = (await client.get(f"/proposals/{proposal.proposal_id}")).text
    assert "status-stale" in page and "moved from aaaa to bbbb" in page
    assert 'value="approve"' not in page and "can be approved once it is pending again" in page
    form = await client.post(
        f"/proposals/{proposal.proposal_id}/decide", data={"decision": "approve", "csrf": csrf}
    )
    assert form.status_code == 409 and "is stale" in form.text


async def test_lists_incidents_and_dead_letters(client: httpx.AsyncClient, store: Store) -> None:
    incident = IncidentEscalated(alert_id="a", dataset="orders", reason="two fields fit")
    await store.save_incident(incident)
    [listed] = (await client.get("/api/incidents", headers=VIEWER)).json()
    assert IncidentEscalated.model_validate(listed) == incident
    assert (await client.get("/api/dead-letters", headers=VIEWER)).json() == []


async def test_external_alert_becomes_an_alert_once_per_external_id(
    client: httpx.AsyncClient, calls: Calls
) -> None:
    body = {
        "tool": "schema_registry",
        "dataset": "orders",
        "kind": "rename",
        "field": "cust_id",
        "to": "customer_id",
        "external_id": "orders-value-v7",
        "observed_at": "2026-01-01T10:00:00Z",
        "details": {"subject": "orders-value", "version": 7},
    }
    first = await client.post("/alerts", json=body, headers=INGEST)
    second = await client.post("/alerts", json=body, headers=INGEST)
    assert first.status_code == 202
    assert first.json()["event_id"] == second.json()["event_id"]
    alert = calls.alerts[0]
    assert (alert.source, alert.category, alert.dataset) == (
        "external:schema_registry",
        "drift",
        "orders",
    )
    [detection] = alert.detections
    assert (detection.kind, detection.field, detection.to) == ("rename", "cust_id", "customer_id")
    assert '"version": 7' in detection.evidence.note
    assert alert.occurred_at.isoformat() == "2026-01-01T10:00:00+00:00"


async def test_lag_alert_from_burrow_is_a_lag_alert(
    client: httpx.AsyncClient, calls: Calls
) -> None:
    body = {"tool": "burrow", "dataset": "orders", "kind": "lag", "status": "STALL", "partition": 2}
    assert (await client.post("/alerts", json=body, headers=INGEST)).status_code == 202
    assert calls.alerts[0].category == "lag"
    assert calls.alerts[0].detections[0].status == "STALL"


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        (b'{"tool": "soda", "dataset": "orders", "kind": "exploded"}', "kind"),
        (b'{"tool": "soda", "kind": "null_spike"}', "dataset"),
        (b'{"tool": "soda", "dataset": "o", "kind": "lag", "colour": "red"}', "colour"),
        (
            b'{"tool": "soda", "dataset": "o", "kind": "lag", "observed_at": "2026-01-01T10:00"}',
            "observed_at",
        ),
        (b"{not json at all \xff", "Invalid JSON"),
    ],
)
async def test_invalid_external_alert_is_refused_and_dead_lettered(
    client: httpx.AsyncClient, store: Store, calls: Calls, content: bytes, complaint: str
) -> None:
    response = await client.post(
        "/alerts", content=content, headers={"Content-Type": "application/json", **INGEST}
    )
    assert response.status_code == 422
    assert response.json()["dead_lettered"] is True
    assert complaint in response.text
    [letter] = await store.list_dead_letters("suture.alerts.dlq")
    assert letter.value == content.decode("utf-8", errors="replace")
    assert "see GET /alerts/schema" in letter.reason
    assert calls.alerts == []


async def test_other_invalid_requests_are_not_dead_lettered(
    client: httpx.AsyncClient, store: Store
) -> None:
    proposal = make_proposal()
    await store.save_proposal(proposal)
    url = f"/api/proposals/{proposal.proposal_id}/approve"
    assert (await client.post(url, headers=AUTH, json={"reviewer": ""})).status_code == 422
    assert await store.list_dead_letters() == []


async def test_a_broker_that_is_down_is_a_503(client: httpx.AsyncClient, calls: Calls) -> None:
    calls.publish_error = BrokerError("broker down; retry later")
    body = {"tool": "soda", "dataset": "orders", "kind": "duplicates", "rate": 0.2}
    response = await client.post("/alerts", json=body, headers=INGEST)
    assert (response.status_code, response.json()["error"]) == (503, "BrokerError")


async def test_publishes_the_external_alert_schema(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/alerts/schema")).json()
    assert schema == ExternalAlert.model_json_schema(by_alias=True)
    assert {"tool", "dataset", "kind"} <= set(schema["required"])
    openapi = (await client.get("/openapi.json")).json()
    assert "ExternalAlert" in openapi["components"]["schemas"]


async def test_answers_questions_and_maps_guardrail_errors(
    client: httpx.AsyncClient, calls: Calls
) -> None:
    answered = await client.post("/ask", json={"question": "why did orders fail?"}, headers=VIEWER)
    assert answered.json() == {"answer": "you asked 'why did orders fail?'"}
    refused = await client.post("/ask", json={"question": "drop table orders"}, headers=VIEWER)
    assert (refused.status_code, refused.json()["error"]) == (422, "GuardrailViolation")


async def test_ask_is_absent_without_an_assistant(store: Store, calls: Calls) -> None:
    deps = WebDeps(
        store, TOKENS, calls.on_approve, calls.on_external_alert, trusted_hosts=("test",)
    )
    transport = httpx.ASGITransport(app=create_app(deps))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        assert (await http.post("/ask", json={"question": "hi"}, headers=AUTH)).status_code == 404


async def test_hostile_proposal_text_is_escaped_in_pages(
    client: httpx.AsyncClient, store: Store
) -> None:
    hostile = make_proposal(title=XSS).model_copy(
        update={
            "description": f"</pre>{XSS}",
            "mapping": SchemaMapping(entries=[FieldMapping(source=XSS, target='"><img src=x>')]),
        }
    )
    await store.save_proposal(hostile)
    await store.save_incident(IncidentEscalated(alert_id="a", dataset=XSS, reason=XSS))
    await sign_in(client)
    for path in ("/", f"/proposals/{hostile.proposal_id}", "/incidents"):
        page = await client.get(path)
        assert page.status_code == 200
        assert "<script>alert" not in page.text and "<img" not in page.text
        assert "&lt;script&gt;alert(" in page.text
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        assert "default-src 'none'" in page.headers["Content-Security-Policy"]


async def test_proposal_page_shows_summary_diff_evidence_then_description(
    client: httpx.AsyncClient, store: Store
) -> None:
    proposal = make_proposal().model_copy(
        update={"description": "## Why\n\nThe producer **renamed** `cust_id`."}
    )
    await store.save_proposal(proposal)
    before = [{"cust_id": 7, "amount": 3, "email": "a@x.io"}]
    after = [{"customer_id": 7, "amount": 3, "email": "b@x.io"}]
    await store.save_samples(proposal.alert_id, "orders", before, after)
    await sign_in(client)
    page = (await client.get(f"/proposals/{proposal.proposal_id}")).text
    # Side by side, numbered, highlighted: the changed line on both sides of row 1.
    assert '<tr class="change">' in page and '<td class="n">1</td>' in page
    assert '<span class="k">select</span>' in page.lower()
    # Output rows before and after, computed by running the models on the samples.
    assert "stg_orders before the fix" in page and "stg_orders after the fix" in page
    assert page.count("<td>7</td>") >= 4
    # PII is redacted in the sample events.
    assert "a@x.io" not in page and "[redacted]" in page
    # The description is rendered Markdown, after the decision form; checks are folded.
    assert "<h2>Why</h2>" in page and "<strong>renamed</strong>" in page
    assert page.index('name="decision"') < page.index("<h2>Why</h2>")
    assert '<details class="checks">' in page
    assert "<svg" in page and "stg_orders" in page


async def test_form_approval_needs_a_session_and_its_csrf_token(
    client: httpx.AsyncClient, store: Store, calls: Calls
) -> None:
    proposal = make_proposal()
    await store.save_proposal(proposal)
    url = f"/proposals/{proposal.proposal_id}/decide"
    anonymous = await client.post(url, data={"decision": "approve"})
    assert (anonymous.status_code, calls.approvals) == (401, [])
    csrf = await sign_in(client, name="ana")
    forged = await client.post(url, data={"decision": "approve"})
    assert (forged.status_code, calls.approvals) == (403, [])
    wrong = await client.post(url, data={"decision": "approve", "csrf": csrf + "x"})
    assert (wrong.status_code, calls.approvals) == (403, [])
    right = await client.post(url, data={"decision": "approve", "csrf": csrf, "note": "ok"})
    assert right.status_code == 303
    assert right.headers["location"] == f"/proposals/{proposal.proposal_id}"
    again = await client.post(url, data={"decision": "approve", "csrf": csrf})
    assert again.status_code == 409 and "already" in again.text
    assert calls.approvals == [(proposal.proposal_id, "ana")]
    [entry, signed_in] = await store.list_audit()
    assert (entry.action, entry.actor, entry.subject, entry.detail["note"]) == (
        "approve",
        "ana",
        proposal.proposal_id,
        "ok",
    )
    assert signed_in.action == "sign_in"


async def test_a_viewer_reads_everything_and_decides_nothing(
    client: httpx.AsyncClient, store: Store, calls: Calls
) -> None:
    proposal = make_proposal()
    await store.save_proposal(proposal)
    api = f"/api/proposals/{proposal.proposal_id}/approve"
    assert (await client.post(api, headers=VIEWER)).status_code == 403
    assert (await client.post(api, headers=INGEST)).status_code == 403
    csrf = await sign_in(client, VIEWER_TOKEN, "vic")
    page = await client.get(f"/proposals/{proposal.proposal_id}")
    assert page.status_code == 200 and 'name="decision"' not in page.text
    assert "reviewers decide" in page.text
    form = await client.post(
        f"/proposals/{proposal.proposal_id}/decide", data={"decision": "approve", "csrf": csrf}
    )
    assert form.status_code == 403 and calls.approvals == []


async def test_reads_need_a_token_and_pages_send_to_the_login(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/proposals")).status_code == 401
    assert (await client.get("/api/dead-letters", headers=INGEST)).status_code == 403
    assert (await client.get("/metrics")).status_code == 401
    page = await client.get("/incidents")
    assert (page.status_code, page.headers["location"]) == (303, "/login?next=/incidents")


async def test_a_wrong_token_at_the_login_is_refused(client: httpx.AsyncClient) -> None:
    form = await client.get("/login")
    nonce = CSRF.search(form.text)
    assert nonce is not None
    data = {"csrf": nonce.group(1), "token": "guess", "name": "eve"}
    refused = await client.post("/login", data=data)
    assert refused.status_code == 401 and "Unknown token" in refused.text
    stale = await client.post("/login", data={**data, "token": TOKEN, "csrf": "forged"})
    assert stale.status_code == 403
    assert (await client.get("/")).status_code == 303


async def test_a_failed_apply_marks_the_proposal_failed(
    client: httpx.AsyncClient, store: Store, calls: Calls
) -> None:
    calls.apply_error = RepoError("merge conflict in models/stg_orders.sql; rebase the branch")
    proposal = make_proposal()
    await store.save_proposal(proposal)
    response = await client.post(f"/api/proposals/{proposal.proposal_id}/approve", headers=AUTH)
    assert (response.status_code, response.json()["error"]) == (500, "RepoError")
    record = await store.get_proposal(proposal.proposal_id)
    assert record.status == "failed"
    assert record.failure == (
        "the approval could not be handed to the applier: "
        "merge conflict in models/stg_orders.sql; rebase the branch"
    )


async def test_a_failed_apply_from_the_form_shows_why(
    client: httpx.AsyncClient, store: Store, calls: Calls
) -> None:
    calls.apply_error = RepoError("merge conflict")
    proposal = make_proposal()
    await store.save_proposal(proposal)
    csrf = await sign_in(client)
    form = {"csrf": csrf, "decision": "approve"}
    page = await client.post(f"/proposals/{proposal.proposal_id}/decide", data=form)
    assert page.status_code == 500
    assert "merge conflict" in page.text
    reloaded = await client.get(f"/proposals/{proposal.proposal_id}")
    assert "status-failed" in reloaded.text and "merge conflict" in reloaded.text
    assert "Send back to review" in reloaded.text


def test_store_errors_and_unknown_errors_get_sensible_statuses() -> None:
    assert status_of(StoreError("db down")) == 503
    assert status_of(NotFoundError("x")) == 404
    assert status_of(LLMUnavailableError("slow")) == 503
    assert status_of(AssistantError("other")) == 500


async def test_an_applier_that_recorded_its_failure_keeps_its_reason(
    client: httpx.AsyncClient, store: Store, calls: Calls
) -> None:
    proposal = make_proposal()
    await store.save_proposal(proposal)

    async def failing_applier(proposal_id: str, reviewer: str) -> None:
        await store.transition(
            Transition(
                proposal_id=proposal_id,
                from_status="approved",
                to_status="failed",
                by="applier",
                failure="tests failed on main",
            )
        )
        raise RepoError("tests failed on main")

    deps = WebDeps(store, TOKENS, failing_applier, calls.on_external_alert, trusted_hosts=("test",))
    transport = httpx.ASGITransport(app=create_app(deps))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        url = f"/api/proposals/{proposal.proposal_id}/approve"
        body = {"reviewer": "ana", "note": "ship it"}
        assert (await http.post(url, headers=AUTH, json=body)).status_code == 500
    record = await store.get_proposal(proposal.proposal_id)
    assert (record.status, record.failure, record.note) == (
        "failed",
        "tests failed on main",
        "ship it",
    )


async def test_form_without_a_decision_changes_nothing(
    client: httpx.AsyncClient, store: Store, calls: Calls
) -> None:
    proposal = make_proposal()
    await store.save_proposal(proposal)
    url = f"/proposals/{proposal.proposal_id}/decide"
    csrf = await sign_in(client)
    page = await client.post(url, data={"csrf": csrf, "decision": "merge"})
    assert page.status_code == 400 and "choose approve or reject" in page.text
    assert (await store.get_proposal(proposal.proposal_id)).status == "pending"


async def test_list_page_counts_failed_checks_and_says_when_empty(
    client: httpx.AsyncClient, store: Store
) -> None:
    await sign_in(client)
    assert "No proposals yet." in (await client.get("/")).text
    failing = make_proposal().model_copy(
        update={
            "validation": ValidationReport(
                checks=[CheckResult(name="a", passed=True), CheckResult(name="b", passed=False)]
            )
        }
    )
    await store.save_proposal(failing)
    page = (await client.get("/")).text
    assert "1 of 2 failed" in page and "1 waiting for review." in page
