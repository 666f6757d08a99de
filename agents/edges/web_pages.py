"""The review console's HTML pages: sign in once, then read and decide with CSRF-checked forms."""

from __future__ import annotations

import secrets
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from agents.edges.web_auth import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    SESSION_SECONDS,
    Session,
    csrf_ok,
    new_session,
    seal,
    unseal,
)
from agents.edges.web_evidence import gather_evidence, pii_of, redacted_letter
from agents.edges.web_guard import SECURITY_HEADERS
from agents.edges.web_lineage import lineage_svg
from agents.edges.web_models import DecisionBody, status_of
from agents.edges.web_render import Renderer, highlight_css
from agents.edges.web_review import Actor, Reviewer
from core.errors import AssistantError

if TYPE_CHECKING:
    from agents.edges.web_deps import WebDeps

_STATIC = {
    "console.css": "text/css",
    "console.js": "text/javascript",
    "docs.js": "text/javascript",
}
_SWAGGER = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon.png": "image/png",
}
# Swagger UI sets inline styles on its elements; scripts still come only from this origin.
_DOCS_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_INCIDENT_ACTIONS = ("assign", "acknowledge", "resolve", "reopen")
_renderer = Renderer()


def proposal_path(proposal_id: str) -> str:
    """The URL path of a proposal's page (the id is percent-encoded)."""
    return "/proposals/" + quote(proposal_id, safe="")


def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status, headers=SECURITY_HEADERS)


def error_response(request: Request, deps: WebDeps, status: int, detail: str) -> Response:
    """An error page that says what went wrong."""
    session = unseal(request.cookies.get(SESSION_COOKIE), deps.session_key)
    text = _renderer.render(
        "error.html", title=f"Error {status}", status=status, detail=detail, session=session
    )
    return _html(text, status)


async def _form(request: Request) -> dict[str, str]:
    body = (await request.body()).decode("utf-8", "replace")
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


def _paging(request: Request, deps: WebDeps) -> tuple[int, int]:
    raw = request.query_params.get("offset", "0")
    return deps.page_size, int(raw) if raw.isdigit() else 0


def add_pages(app: FastAPI, deps: WebDeps, review: Reviewer) -> None:
    """Register the pages, the sign-in, the static assets and the offline API docs."""
    store = deps.store

    def session_of(request: Request) -> Session | None:
        return unseal(request.cookies.get(SESSION_COOKIE), deps.session_key)

    def page(request: Request, name: str, title: str, status: int = 200, **values: Any) -> Response:
        values.setdefault("session", session_of(request))
        return _html(_renderer.render(name, title=title, **values), status)

    def paged(
        request: Request, name: str, title: str, key: str, rows: list[Any], limit: int,
        offset: int, **values: Any,
    ) -> Response:  # fmt: skip
        """A list page: `rows` were fetched with one row more than `limit`, to tell if more
        follow."""
        shown: dict[str, Any] = {
            key: rows[:limit],
            "limit": limit,
            "offset": offset,
            "more": len(rows) > limit,
        }
        return page(request, name, title, **shown, **values)

    def to_login(request: Request) -> Response:
        target = "/login?next=" + quote(request.url.path, safe="/")
        return RedirectResponse(target, status_code=303)

    async def acting(request: Request) -> tuple[Actor, dict[str, str]] | Response:
        """The signed-in person allowed to decide, and the form, if its CSRF token matches."""
        form = await _form(request)
        session = session_of(request)
        if session is None:
            return error_response(request, deps, 401, "sign in first at /login")
        if not csrf_ok(session, form.get("csrf")):
            return error_response(
                request, deps, 403, "the form's CSRF token is missing or stale; reload the page"
            )
        if not session.may("decide"):
            return error_response(
                request, deps, 403, f"a {session.role} may not decide; sign in as a reviewer"
            )
        return Actor(role=session.role, name=session.name), form

    @app.get("/static/highlight.css", include_in_schema=False)
    async def highlight_stylesheet() -> Response:
        return Response(highlight_css(), media_type="text/css")

    @app.get("/static/swagger/{name}", include_in_schema=False)
    async def swagger_asset(name: str) -> Response:
        if name not in _SWAGGER:
            return Response(status_code=404)
        path = Path(fastapi_offline.__file__).parent / "static" / name
        return Response(path.read_bytes(), media_type=_SWAGGER[name])

    @app.get("/static/{name}", include_in_schema=False)
    async def static_asset(name: str) -> Response:
        if name not in _STATIC:
            return Response(status_code=404)
        data = resources.files("agents.edges").joinpath("static", name).read_bytes()
        return Response(data, media_type=_STATIC[name], headers={"Cache-Control": "max-age=300"})

    @app.get("/docs", include_in_schema=False)
    async def docs() -> Response:
        """Swagger UI from local assets (works offline)."""
        headers = {**SECURITY_HEADERS, "Content-Security-Policy": _DOCS_POLICY}
        return HTMLResponse(_renderer.render("docs.html"), headers=headers)

    @app.get("/login", include_in_schema=False)
    async def login_page(request: Request, next: str = "/") -> Response:
        nonce = secrets.token_urlsafe(18)
        response = page(request, "login.html", "Sign in", login_csrf=nonce, next=_local(next))
        response.set_cookie(LOGIN_COOKIE, nonce, max_age=900, httponly=True, samesite="strict")
        return response

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await _form(request)
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        if not nonce or not secrets.compare_digest(nonce, form.get("csrf", "")):
            return error_response(request, deps, 403, "the sign-in form expired; open /login again")
        role = deps.tokens.role_of(form.get("token", ""))
        name = (form.get("name") or "").strip()[:200]
        if role is None or role == "ingest" or not name:
            retry = secrets.token_urlsafe(18)
            response = page(
                request,
                "login.html",
                "Sign in",
                401,
                login_csrf=retry,
                next=_local(form.get("next", "/")),
                message="Unknown token, or no name given.",
            )
            response.set_cookie(LOGIN_COOKIE, retry, max_age=900, httponly=True, samesite="strict")
            return response
        session = new_session(role, name)
        await review.audit(Actor(role=role, name=name), "sign_in", name, {})
        response = RedirectResponse(_local(form.get("next", "/")), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            seal(session, deps.session_key),
            max_age=SESSION_SECONDS,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        response.delete_cookie(LOGIN_COOKIE)
        return response

    @app.post("/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        form = await _form(request)
        if not csrf_ok(session_of(request), form.get("csrf")):
            return error_response(request, deps, 403, "the form's CSRF token is missing or stale")
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.get("/", include_in_schema=False)
    async def proposals_page(request: Request) -> Response:
        if session_of(request) is None:
            return to_login(request)
        limit, offset = _paging(request, deps)
        records = await store.list_proposals(limit=limit + 1, offset=offset, newest_first=True)
        pending = await store.count_proposals("pending")
        stale = await store.count_proposals("stale")
        return paged(
            request, "proposals.html", "Fix proposals", "records", records, limit, offset,
            pending=pending, stale=stale,
        )  # fmt: skip

    @app.get("/proposals/{proposal_id}", include_in_schema=False)
    async def proposal_page(request: Request, proposal_id: str) -> Response:
        if session_of(request) is None:
            return to_login(request)
        record = await store.get_proposal(proposal_id)
        proposal = record.proposal
        samples = await store.load_samples(proposal.alert_id)
        evidence = await gather_evidence(
            proposal, samples, pii_of(deps.pii_fields, proposal.dataset)
        )
        return page(
            request,
            "proposal.html",
            proposal.title,
            record=record,
            evidence=evidence,
            lineage=lineage_svg(proposal),
        )

    @app.get("/proposals/{proposal_id}/status", include_in_schema=False)
    async def proposal_status(request: Request, proposal_id: str) -> Response:
        if session_of(request) is None:
            return error_response(request, deps, 401, "sign in first at /login")
        record = await store.get_proposal(proposal_id)
        return page(request, "_status.html", "", record=record)

    @app.get("/proposals/{proposal_id}/decide-form", include_in_schema=False)
    async def decide_fragment(request: Request, proposal_id: str) -> Response:
        if session_of(request) is None:
            return error_response(request, deps, 401, "sign in first at /login")
        record = await store.get_proposal(proposal_id)
        return page(request, "_decide.html", "", record=record)

    @app.post("/proposals/{proposal_id}/decide", include_in_schema=False)
    async def decide_form(request: Request, proposal_id: str) -> Response:
        checked = await acting(request)
        if isinstance(checked, Response):
            return checked
        who, form = checked
        decision = form.get("decision", "")
        note = (form.get("note") or "")[:2000] or None
        try:
            if decision == "reopen":
                await review.reopen(proposal_id, who, note)
            elif decision in ("approve", "reject"):
                body = DecisionBody(reviewer=who.name, note=note)
                await review.decide(
                    proposal_id, "approve" if decision == "approve" else "reject", body, who
                )
            else:
                return error_response(request, deps, 400, "choose approve or reject")
        except AssistantError as error:
            return error_response(request, deps, status_of(error), str(error))
        return RedirectResponse(proposal_path(proposal_id), status_code=303)

    @app.get("/alerts", include_in_schema=False)
    async def alerts_page(request: Request) -> Response:
        if session_of(request) is None:
            return to_login(request)
        limit, offset = _paging(request, deps)
        alerts = await store.list_alerts(limit=limit + 1, offset=offset, newest_first=True)
        return paged(request, "alerts.html", "Alerts", "alerts", alerts, limit, offset)

    @app.get("/incidents", include_in_schema=False)
    async def incidents_page(request: Request) -> Response:
        if session_of(request) is None:
            return to_login(request)
        limit, offset = _paging(request, deps)
        records = await store.list_incident_records(limit + 1, offset)
        return paged(request, "incidents.html", "Incidents", "records", records, limit, offset)

    @app.post("/incidents/{event_id}/act", include_in_schema=False)
    async def incident_act(request: Request, event_id: str) -> Response:
        checked = await acting(request)
        if isinstance(checked, Response):
            return checked
        who, form = checked
        action = form.get("action", "")
        if action not in _INCIDENT_ACTIONS:
            return error_response(request, deps, 400, f"choose one of {list(_INCIDENT_ACTIONS)}")
        assignee = (form.get("assignee") or "").strip()[:200] or None
        try:
            await review.act_on_incident(event_id, action, who, assignee)  # type: ignore[arg-type]
        except AssistantError as error:
            return error_response(request, deps, status_of(error), str(error))
        return RedirectResponse("/incidents", status_code=303)

    @app.get("/dead-letters", include_in_schema=False)
    async def dead_letters_page(request: Request) -> Response:
        if session_of(request) is None:
            return to_login(request)
        limit, offset = _paging(request, deps)
        records = await store.list_dead_letter_records(None, limit + 1, offset)
        shown = [redacted_letter(r, deps.all_pii()) for r in records]
        return paged(
            request, "dead_letters.html", "Dead letters", "records", shown, limit, offset,
            can_replay=deps.on_replay_dead_letter is not None,
        )  # fmt: skip

    @app.post("/dead-letters/{seq}/replay", include_in_schema=False)
    async def dead_letter_replay(request: Request, seq: int) -> Response:
        checked = await acting(request)
        if isinstance(checked, Response):
            return checked
        try:
            await review.replay_dead_letter(seq, checked[0])
        except AssistantError as error:
            return error_response(request, deps, status_of(error), str(error))
        return RedirectResponse("/dead-letters", status_code=303)

    @app.get("/quarantine", include_in_schema=False)
    async def quarantine_page(request: Request) -> Response:
        if session_of(request) is None:
            return to_login(request)
        return page(
            request,
            "quarantine.html",
            "Quarantine",
            datasets=sorted(deps.quarantine_policies.items()),
            can_release=deps.on_release is not None,
        )

    @app.post("/quarantine/{dataset}/release", include_in_schema=False)
    async def quarantine_release(request: Request, dataset: str) -> Response:
        checked = await acting(request)
        if isinstance(checked, Response):
            return checked
        try:
            released = await review.release(dataset, checked[0])
        except AssistantError as error:
            return error_response(request, deps, status_of(error), str(error))
        return page(
            request,
            "quarantine.html",
            "Quarantine",
            datasets=sorted(deps.quarantine_policies.items()),
            can_release=True,
            message=f"{released} held events of {dataset} released for replay.",
        )

    @app.get("/audit", include_in_schema=False)
    async def audit_page(request: Request) -> Response:
        if session_of(request) is None:
            return to_login(request)
        limit, offset = _paging(request, deps)
        entries = await store.list_audit(limit + 1, offset)
        return paged(request, "audit.html", "Audit log", "entries", entries, limit, offset)


def _local(target: str) -> str:
    """`target` if it is a path on this site, else '/' (no open redirects)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"
