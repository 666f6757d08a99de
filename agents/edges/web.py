"""The HTTP endpoint where humans review and approve fixes, and other tools report alerts.

Every endpoint but /healthz, /login, the static assets and the API docs needs a role: a bearer
token for the JSON API, or the session cookie a token login sets for the pages.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import Lifespan

from agents.edges import web_pages
from agents.edges.external_alerts import ExternalAlert
from agents.edges.web_auth import SESSION_COOKIE, may, unseal
from agents.edges.web_deps import Check, WebDeps
from agents.edges.web_evidence import redacted_letter
from agents.edges.web_guard import BodyLimit, Forbidden, Unauthorized
from agents.edges.web_metrics import metrics_text
from agents.edges.web_models import Accepted, DecisionBody, Question, status_of
from agents.edges.web_review import Actor, Reviewer
from core.errors import AssistantError
from core.lifecycle import ProposalRecord, ProposalStatus
from core.models import DeadLetter, IncidentEscalated
from core.records import AuditEntry, IncidentRecord

logger = logging.getLogger(__name__)

_MAX_DEAD_LETTER_BYTES = 1_000_000
_ALERT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ExternalAlert"}}},
    }
}
_bearer = HTTPBearer(
    auto_error=False, description="A role token (viewer, reviewer, ingest, admin)."
)
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0)]


def _actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    deps: WebDeps = request.app.state.web_deps
    if credentials is not None:
        role = deps.tokens.role_of(credentials.credentials)
        if role is None:
            raise Unauthorized()
        return Actor(role=role, name=role)
    session = unseal(request.cookies.get(SESSION_COOKIE), deps.session_key)
    # A session may read through the API (the pages' refresh does); it decides by forms.
    if session is None or request.method != "GET":
        raise Unauthorized()
    return Actor(role=session.role, name=session.name)


def _needs(action: str) -> Callable[[Actor], Actor]:
    def check(who: Annotated[Actor, Depends(_actor)]) -> Actor:
        if not may(who.role, action):
            raise Forbidden(who.role, action)
        return who

    return check


Reader = Annotated[Actor, Depends(_needs("read"))]
Decider = Annotated[Actor, Depends(_needs("decide"))]
Ingester = Annotated[Actor, Depends(_needs("ingest"))]


def create_app(deps: WebDeps, lifespan: Lifespan[FastAPI] | None = None) -> FastAPI:
    """The FastAPI app: JSON API under /api, alert intake at /alerts, HTML pages at /.

    `lifespan` is handed to FastAPI: the composition root runs its consumers in it.
    """
    app = FastAPI(
        title="suture",
        description=__doc__,
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(deps.trusted_hosts))
    app.add_middleware(BodyLimit, max_bytes=deps.max_body_bytes)
    app.state.web_deps = deps
    store = deps.store
    review = Reviewer(deps)

    @app.exception_handler(AssistantError)
    async def assistant_error(request: Request, error: AssistantError) -> Response:
        status = status_of(error)
        if status >= 500:
            logger.warning("request %s failed: %s", request.url.path, error)
        if "text/html" in request.headers.get("accept", ""):
            return web_pages.error_response(request, deps, status, str(error))
        return JSONResponse({"error": type(error).__name__, "detail": str(error)}, status)

    @app.exception_handler(Unauthorized)
    async def unauthorized(request: Request, error: Unauthorized) -> Response:
        return JSONResponse(
            {"error": "Unauthorized", "detail": str(error)}, 401, {"WWW-Authenticate": "Bearer"}
        )

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, error: Forbidden) -> Response:
        return JSONResponse({"error": "Forbidden", "detail": str(error)}, 403)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        """Liveness of every agent loop and the broker's reachability: 503 when one is down."""
        report = {"status": "ok"} if deps.health is None else await deps.health()
        return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)

    @app.get("/readyz")
    async def readyz() -> Response:
        """Readiness: the store, the broker and the knowledge base each answer (503 if not)."""
        checks: dict[str, Check] = {"store": review.check_store, **deps.readiness}
        if deps.health is not None:
            checks["agents"] = partial(_agents_alive, deps.health)
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                await check()
                results[name] = "ok"
            except Exception as error:
                results[name] = f"{type(error).__name__}: {error}"[:300]
        ready = all(v == "ok" for v in results.values())
        return JSONResponse({"ready": ready, "checks": results}, 200 if ready else 503)

    @app.get("/metrics")
    async def metrics(_: Reader) -> Response:
        """Prometheus metrics, computed from the store (so every replica reports the same)."""
        body, content_type = await metrics_text(store, deps.own_lag)
        return Response(body, media_type=content_type)

    @app.get("/api/proposals", response_model=list[ProposalRecord])
    async def list_proposals(
        _: Reader, status: ProposalStatus | None = None, limit: Limit = 100, offset: Offset = 0
    ) -> list[ProposalRecord]:
        """Proposals, oldest first, optionally only those in one status (paged)."""
        return await store.list_proposals(status, limit=limit, offset=offset)

    @app.get("/api/proposals/{proposal_id}", response_model=ProposalRecord)
    async def get_proposal(_: Reader, proposal_id: str) -> ProposalRecord:
        """One proposal with its review state."""
        return await store.get_proposal(proposal_id)

    @app.post("/api/proposals/{proposal_id}/approve", response_model=ProposalRecord)
    async def approve(
        who: Decider, proposal_id: str, body: DecisionBody | None = None
    ) -> ProposalRecord:
        """Approve a pending proposal and apply it (409 if it is not pending; a stale one is
        refused until it was revalidated on the default branch's new head)."""
        return await review.decide(proposal_id, "approve", body or DecisionBody(), who)

    @app.post("/api/proposals/{proposal_id}/reject", response_model=ProposalRecord)
    async def reject(
        who: Decider, proposal_id: str, body: DecisionBody | None = None
    ) -> ProposalRecord:
        """Reject a pending proposal (409 if it is not pending)."""
        return await review.decide(proposal_id, "reject", body or DecisionBody(), who)

    @app.get("/api/incidents", response_model=list[IncidentEscalated])
    async def list_incidents(
        _: Reader, limit: Limit = 100, offset: Offset = 0
    ) -> list[IncidentEscalated]:
        """Escalations that need a human, newest first (paged)."""
        return [r.incident for r in await store.list_incident_records(limit, offset)]

    @app.get("/api/incident-records", response_model=list[IncidentRecord])
    async def list_incident_records(
        _: Reader, limit: Limit = 100, offset: Offset = 0
    ) -> list[IncidentRecord]:
        """Escalations with their status and assignee, newest first (paged)."""
        return await store.list_incident_records(limit, offset)

    @app.get("/api/dead-letters", response_model=list[DeadLetter])
    async def list_dead_letters(
        _: Reader, topic: str | None = None, limit: Limit = 100, offset: Offset = 0
    ) -> list[DeadLetter]:
        """Messages suture could not use, with the reason, newest first (paged, PII redacted)."""
        records = await store.list_dead_letter_records(topic, limit, offset)
        return [redacted_letter(r, deps.all_pii()).letter for r in records]

    @app.get("/api/audit", response_model=list[AuditEntry])
    async def list_audit(_: Reader, limit: Limit = 100, offset: Offset = 0) -> list[AuditEntry]:
        """The audit log, newest first (paged)."""
        return await store.list_audit(limit, offset)

    @app.post("/alerts", status_code=202, response_model=Accepted, openapi_extra=_ALERT_BODY)
    async def post_external_alert(_: Ingester, request: Request) -> Response | Accepted:
        """Report a problem from another tool; the body must follow GET /alerts/schema.

        Only `application/json` is accepted (415 otherwise). An invalid body is answered 422
        and kept as a dead letter, so nothing is lost.
        """
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            return JSONResponse(
                {"error": "UnsupportedMediaType", "detail": "send the alert as application/json"},
                415,
            )
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
        async def ask_question(_: Reader, question: Question) -> dict[str, Any]:
            """Ask the assistant about alerts, proposals and the pipeline."""
            return await ask(question.question)

    web_pages.add_pages(app, deps, review)
    app.openapi = lambda: _openapi_with_alert_schema(app)  # type: ignore[method-assign]
    return app


async def _agents_alive(health: Callable[[], Awaitable[dict[str, Any]]]) -> None:
    report = await health()
    if report.get("status") != "ok":
        raise RuntimeError(f"not every agent loop is running: {report}")


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
