"""The review API, the alert intake and the HTML pages, over a real in-memory store."""

from __future__ import annotations

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
from agents.edges.web import WebDeps, create_app
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
AUTH = {"Authorization": f"Bearer {TOKEN}"}
XSS = "<script>alert('pwned')</script>"


class _Merger:
    async def merge(self, branch: str) -> str:
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
        reviewer_token=SecretStr(TOKEN),
        on_approve=calls.on_approve,
        on_external_alert=calls.on_external_alert,
        ask=calls.ask,
    )
    transport = httpx.ASGITransport(app=create_app(deps))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def test_health_check_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_health_is_503_with_the_report_when_an_agent_or_the_broker_is_down(
    store: Store, calls: Calls
) -> None:
    report = {"status": "down", "broker": False, "loops": {"healer": {"state": "restarting"}}}

    async def health() -> dict[str, object]:
        return report

    deps = WebDeps(store, SecretStr(TOKEN), calls.on_approve, calls.on_external_alert)
    transport = httpx.ASGITransport(app=create_app(replace(deps, health=health)))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/healthz")
    assert (response.status_code, response.json()) == (503, report)


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
    everything = (await client.get("/api/proposals")).json()
    assert [r["proposal"]["proposal_id"] for r in everything] == [
        first.proposal_id,
        second.proposal_id,
    ]
    pending = (await client.get("/api/proposals", params={"status": "pending"})).json()
    assert [r["status"] for r in pending] == ["pending"]
    assert (await client.get("/api/proposals", params={"status": "bogus"})).status_code == 422


async def test_unknown_proposal_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/proposals/ghost")
    assert response.status_code == 404
    assert response.json()["error"] == "NotFoundError"
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


async def test_lists_incidents_and_dead_letters(client: httpx.AsyncClient, store: Store) -> None:
    incident = IncidentEscalated(alert_id="a", dataset="orders", reason="two fields fit")
    await store.save_incident(incident)
    [listed] = (await client.get("/api/incidents")).json()
    assert IncidentEscalated.model_validate(listed) == incident
    assert (await client.get("/api/dead-letters")).json() == []


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
    first = await client.post("/alerts", json=body)
    second = await client.post("/alerts", json=body)
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
    assert (await client.post("/alerts", json=body)).status_code == 202
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
        "/alerts", content=content, headers={"Content-Type": "application/json"}
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
    response = await client.post("/alerts", json=body)
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
    answered = await client.post("/ask", json={"question": "why did orders fail?"})
    assert answered.json() == {"answer": "you asked 'why did orders fail?'"}
    refused = await client.post("/ask", json={"question": "drop table orders"})
    assert (refused.status_code, refused.json()["error"]) == (422, "GuardrailViolation")


async def test_ask_is_absent_without_an_assistant(store: Store, calls: Calls) -> None:
    deps = WebDeps(store, SecretStr(TOKEN), calls.on_approve, calls.on_external_alert)
    transport = httpx.ASGITransport(app=create_app(deps))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        assert (await http.post("/ask", json={"question": "hi"})).status_code == 404


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
    for path in ("/", f"/proposals/{hostile.proposal_id}"):
        page = await client.get(path)
        assert page.status_code == 200
        assert "<script>" not in page.text and "<img" not in page.text
        assert "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt;" in page.text
        assert "script-src" not in page.headers["Content-Security-Policy"]
        assert "default-src 'none'" in page.headers["Content-Security-Policy"]


async def test_proposal_page_shows_diff_checks_and_form(
    client: httpx.AsyncClient, store: Store
) -> None:
    proposal = make_proposal()
    await store.save_proposal(proposal)
    page = (await client.get(f"/proposals/{proposal.proposal_id}")).text
    assert '<span class="add">+select customer_id as cust_id, amount</span>' in page
    assert '<span class="del">-select cust_id, amount</span>' in page
    assert "<td>replay</td>" in page and 'name="token"' in page


async def test_form_approval_checks_the_token_then_redirects(
    client: httpx.AsyncClient, store: Store, calls: Calls
) -> None:
    proposal = make_proposal()
    await store.save_proposal(proposal)
    url = f"/proposals/{proposal.proposal_id}/decide"
    wrong = await client.post(url, data={"token": "nope", "decision": "approve"})
    assert (wrong.status_code, calls.approvals) == (401, [])
    assert "Wrong reviewer token." in wrong.text
    form = {"token": TOKEN, "decision": "approve", "reviewer": "ana"}
    right = await client.post(url, data=form)
    assert right.status_code == 303
    assert right.headers["location"] == f"/proposals/{proposal.proposal_id}"
    again = await client.post(url, data=form)
    assert again.status_code == 409 and "already" in again.text
    assert calls.approvals == [(proposal.proposal_id, "ana")]


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
    form = {"token": TOKEN, "decision": "approve", "reviewer": "ana"}
    page = await client.post(f"/proposals/{proposal.proposal_id}/decide", data=form)
    assert page.status_code == 500
    assert "merge conflict" in page.text and "status-failed" in page.text
    reloaded = await client.get(f"/proposals/{proposal.proposal_id}")
    assert "Why it failed" in reloaded.text and "merge conflict" in reloaded.text


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

    deps = WebDeps(store, SecretStr(TOKEN), failing_applier, calls.on_external_alert)
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
    page = await client.post(url, data={"token": TOKEN, "decision": "merge"})
    assert page.status_code == 400 and "Choose approve or reject." in page.text
    assert (await store.get_proposal(proposal.proposal_id)).status == "pending"


async def test_list_page_counts_failed_checks_and_says_when_empty(
    client: httpx.AsyncClient, store: Store
) -> None:
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
    assert "1 of 2 failed" in page and "1 waiting for review, 1 in all." in page
