"""The HTTP endpoint where humans review and approve fixes, and other tools report alerts."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr, ValidationError
from starlette.types import Lifespan

from agents.edges import web_pages
from agents.edges.external_alerts import ExternalAlert
from agents.edges.store import Store
from agents.edges.web_models import Accepted, Decision, DecisionBody, Question, status_of
from core.errors import ApprovalError, AssistantError
from core.lifecycle import ProposalRecord, ProposalStatus, Transition
from core.models import AlertRaised, DeadLetter, IncidentEscalated

logger = logging.getLogger(__name__)

_MAX_DEAD_LETTER_BYTES = 1_000_000
_ALERT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ExternalAlert"}}},
    }
}
_bearer = HTTPBearer(auto_error=False, description="The reviewer token.")


@dataclass(frozen=True)
class WebDeps:
    """What the web endpoint needs: the store, the reviewer token and three callbacks."""

    store: Store
    reviewer_token: SecretStr
    on_approve: Callable[[str, str], Awaitable[None]]
    on_external_alert: Callable[[AlertRaised], Awaitable[None]]
    ask: Callable[[str], Awaitable[dict[str, Any]]] | None = None
    alerts_dead_letter_topic: str = "suture.alerts.dlq"
    health: Callable[[], Awaitable[dict[str, Any]]] | None = None  # None: the process answers


def _token_matches(given: str, expected: SecretStr) -> bool:
    secret = expected.get_secret_value()
    return bool(given) and bool(secret) and hmac.compare_digest(given.encode(), secret.encode())


def create_app(deps: WebDeps, lifespan: Lifespan[FastAPI] | None = None) -> FastAPI:
    """The FastAPI app: JSON API under /api, alert intake at /alerts, HTML pages at /.

    `lifespan` is handed to FastAPI: the composition root runs its consumers in it.
    """
    app = FastAPI(title="suture", description=__doc__, version="1", lifespan=lifespan)
    store = deps.store

    def require_reviewer(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> None:
        if credentials is None or not _token_matches(credentials.credentials, deps.reviewer_token):
            raise _Unauthorized()

    async def decide(proposal_id: str, decision: Decision, body: DecisionBody) -> ProposalRecord:
        to_status: ProposalStatus = "rejected" if decision == "reject" else "approved"
        # The compare-and-set makes this the only caller that goes on to apply.
        record = await store.transition(
            Transition(
                proposal_id=proposal_id,
                from_status="pending",
                to_status=to_status,
                by="reviewer",
                reviewer=body.reviewer,
                note=body.note,
            )
        )
        if decision == "reject":
            return record
        try:
            await deps.on_approve(proposal_id, body.reviewer)
        except AssistantError as error:
            await _mark_failed(store, proposal_id, error)
            raise
        return await store.get_proposal(proposal_id)

    @app.exception_handler(AssistantError)
    async def assistant_error(request: Request, error: AssistantError) -> Response:
        status = status_of(error)
        if status >= 500:
            logger.warning("request %s failed: %s", request.url.path, error)
        if "text/html" in request.headers.get("accept", ""):
            return _html(web_pages.error_page(status, str(error)), status)
        return JSONResponse({"error": type(error).__name__, "detail": str(error)}, status)

    @app.exception_handler(_Unauthorized)
    async def unauthorized(request: Request, error: _Unauthorized) -> Response:
        return JSONResponse(
            {"error": "Unauthorized", "detail": str(error)}, 401, {"WWW-Authenticate": "Bearer"}
        )

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        """Liveness of every agent loop and the broker's reachability: 503 when one is down."""
        report = {"status": "ok"} if deps.health is None else await deps.health()
        return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)

    @app.get("/api/proposals", response_model=list[ProposalRecord])
    async def list_proposals(status: ProposalStatus | None = None) -> list[ProposalRecord]:
        """Every proposal, oldest first, optionally only those in one status."""
        return await store.list_proposals(status)

    @app.get("/api/proposals/{proposal_id}", response_model=ProposalRecord)
    async def get_proposal(proposal_id: str) -> ProposalRecord:
        """One proposal with its review state."""
        return await store.get_proposal(proposal_id)

    @app.post(
        "/api/proposals/{proposal_id}/approve",
        response_model=ProposalRecord,
        dependencies=[Depends(require_reviewer)],
    )
    async def approve(proposal_id: str, body: DecisionBody | None = None) -> ProposalRecord:
        """Approve a pending proposal and apply it (409 if it is not pending)."""
        return await decide(proposal_id, "approve", body or DecisionBody())

    @app.post(
        "/api/proposals/{proposal_id}/reject",
        response_model=ProposalRecord,
        dependencies=[Depends(require_reviewer)],
    )
    async def reject(proposal_id: str, body: DecisionBody | None = None) -> ProposalRecord:
        """Reject a pending proposal (409 if it is not pending)."""
        return await decide(proposal_id, "reject", body or DecisionBody())

    @app.get("/api/incidents", response_model=list[IncidentEscalated])
    async def list_incidents() -> list[IncidentEscalated]:
        """Escalations that need a human, oldest first."""
        return await store.list_incidents()

    @app.get("/api/dead-letters", response_model=list[DeadLetter])
    async def list_dead_letters(topic: str | None = None) -> list[DeadLetter]:
        """Messages suture could not use, with the reason, oldest first."""
        return await store.list_dead_letters(topic)

    @app.post("/alerts", status_code=202, response_model=Accepted, openapi_extra=_ALERT_BODY)
    async def post_external_alert(request: Request) -> Response | Accepted:
        """Report a problem from another tool; the body must follow GET /alerts/schema.

        An invalid body is answered 422 and kept as a dead letter, so nothing is lost.
        """
        raw = await request.body()
        try:
            alert = ExternalAlert.model_validate_json(raw)
        except ValidationError as error:
            await store.save_dead_letter(_dead_letter(deps, request, raw, error))
            content = {
                "detail": [
                    {**item, "loc": ["body", *item["loc"]]}
                    for item in jsonable_encoder(
                        error.errors(include_url=False, include_input=False)
                    )
                ],
                "dead_lettered": True,
                "schema": "/alerts/schema",
            }
            return JSONResponse(content, 422)
        raised = alert.to_alert()
        await deps.on_external_alert(raised)
        return Accepted(event_id=raised.event_id, category=raised.category, dataset=raised.dataset)

    @app.get("/alerts/schema")
    async def external_alert_schema() -> dict[str, Any]:
        """The JSON Schema every POST /alerts body must follow."""
        return ExternalAlert.model_json_schema(by_alias=True)

    if deps.ask is not None:
        ask = deps.ask

        @app.post("/ask")
        async def ask_question(question: Question) -> dict[str, Any]:
            """Ask the assistant about alerts, proposals and the pipeline."""
            return await ask(question.question)

    @app.get("/", response_class=HTMLResponse)
    async def proposals_page() -> Response:
        """The reviewer's list of proposals and incidents."""
        records, incidents = await store.list_proposals(), await store.list_incidents()
        return _html(web_pages.proposals_page(records, incidents))

    @app.get("/proposals/{proposal_id}", response_class=HTMLResponse)
    async def proposal_page(proposal_id: str) -> Response:
        """One proposal, with the form to approve or reject it."""
        return _html(web_pages.proposal_page(await store.get_proposal(proposal_id)))

    @app.post("/proposals/{proposal_id}/decide", response_class=HTMLResponse)
    async def decide_form(proposal_id: str, request: Request) -> Response:
        """The HTML form's approve/reject: checks the token, then redirects to the page."""
        form = {
            k: v[0]
            for k, v in parse_qs(
                (await request.body()).decode("utf-8", "replace"), keep_blank_values=True
            ).items()
        }
        record = await store.get_proposal(proposal_id)
        decision = form.get("decision", "")
        if not _token_matches(form.get("token", ""), deps.reviewer_token):
            return _html(web_pages.proposal_page(record, "Wrong reviewer token."), 401)
        if decision not in ("approve", "reject"):
            return _html(web_pages.proposal_page(record, "Choose approve or reject."), 400)
        choice: Decision = "approve" if decision == "approve" else "reject"
        body = DecisionBody(
            reviewer=(form.get("reviewer") or "reviewer")[:200],
            note=(form.get("note") or "")[:2000] or None,
        )
        try:
            await decide(proposal_id, choice, body)
        except AssistantError as error:
            record = await store.get_proposal(proposal_id)
            return _html(web_pages.proposal_page(record, str(error)), status_of(error))
        return RedirectResponse(web_pages.proposal_path(proposal_id), status_code=303)

    app.openapi = lambda: _openapi_with_alert_schema(app)  # type: ignore[method-assign]
    return app


async def _mark_failed(store: Store, proposal_id: str, error: AssistantError) -> None:
    # The approval never reached the applier, so no one else will record its outcome.
    failure = f"the approval could not be handed to the applier: {error}"[:2000]
    try:
        await store.transition(
            Transition(
                proposal_id=proposal_id,
                from_status="approved",
                to_status="failed",
                by="reviewer",
                failure=failure,
            )
        )
    except ApprovalError:
        logger.info("proposal %s already left 'approved' after a failed apply", proposal_id)


def _openapi_with_alert_schema(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        alert = ExternalAlert.model_json_schema(
            by_alias=True, ref_template="#/components/schemas/{model}"
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(alert.pop("$defs", {}))
        components["ExternalAlert"] = alert
        app.openapi_schema = schema
    return app.openapi_schema


def _dead_letter(deps: WebDeps, request: Request, raw: bytes, error: ValidationError) -> DeadLetter:
    reason = "; ".join(
        f"{'.'.join(str(p) for p in item['loc']) or 'body'}: {item['msg']}"
        for item in error.errors(include_url=False)
    )
    truncated = " [payload truncated]" if len(raw) > _MAX_DEAD_LETTER_BYTES else ""
    return DeadLetter(
        topic=deps.alerts_dead_letter_topic,
        key=request.client.host if request.client else None,
        value=raw[:_MAX_DEAD_LETTER_BYTES].decode("utf-8", errors="replace"),
        reason=f"not an ExternalAlert ({reason}); see GET /alerts/schema{truncated}",
        error_type="ValidationError",
    )


class _Unauthorized(Exception):
    def __init__(self) -> None:
        super().__init__("send the reviewer token as 'Authorization: Bearer <token>'")


def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status, headers=web_pages.SECURITY_HEADERS)
