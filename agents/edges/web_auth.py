"""Who is asking: role tokens, the signed session cookie of a signed-in person, CSRF tokens.

A token names a role (viewer reads, reviewer decides, ingest posts alerts, admin does all).
Signing in with a token sets a session cookie (HMAC-signed, HttpOnly, SameSite=Strict) that
carries the role, the person's name and the CSRF token every form must send back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import SecretStr

from core.records import Role

SESSION_COOKIE = "suture_session"
LOGIN_COOKIE = "suture_login"
SESSION_SECONDS = 12 * 3600
# What each role may do; admin may do everything.
GRANTS: Mapping[Role, frozenset[str]] = {
    "viewer": frozenset({"read"}),
    "reviewer": frozenset({"read", "decide"}),
    "ingest": frozenset({"ingest"}),
    "admin": frozenset({"read", "decide", "ingest", "admin"}),
}


@dataclass(frozen=True)
class RoleTokens:
    """The token of each role; a role without a token cannot be used."""

    viewer: SecretStr | None = None
    reviewer: SecretStr | None = None
    ingest: SecretStr | None = None
    admin: SecretStr | None = None

    def role_of(self, given: str) -> Role | None:
        """The role whose token is `given` (compared in constant time), or None."""
        found: Role | None = None
        roles: tuple[Role, ...] = ("viewer", "reviewer", "ingest", "admin")
        for role in roles:
            secret: SecretStr | None = getattr(self, role)
            if secret is not None and _same(given, secret.get_secret_value()):
                found = role
        return found


@dataclass(frozen=True)
class Session:
    """A signed-in person: their role, name, CSRF token and when the session ends."""

    role: Role
    name: str
    csrf: str
    expires: float

    def may(self, action: str) -> bool:
        """Whether the role grants `action` (read, decide, ingest, admin)."""
        return action in GRANTS[self.role]


def may(role: Role, action: str) -> bool:
    """Whether `role` grants `action`."""
    return action in GRANTS[role]


def new_session(role: Role, name: str, now: float | None = None) -> Session:
    """A fresh session with its own CSRF token."""
    started = time.time() if now is None else now
    return Session(role, name, secrets.token_urlsafe(24), started + SESSION_SECONDS)


def seal(session: Session, key: bytes) -> str:
    """The cookie value: the session as JSON, base64, then its HMAC-SHA256."""
    body = json.dumps(
        {"r": session.role, "n": session.name, "c": session.csrf, "e": session.expires},
        separators=(",", ":"),
    ).encode()
    payload = base64.urlsafe_b64encode(body).decode().rstrip("=")
    return payload + "." + _mac(payload, key)


def unseal(cookie: str | None, key: bytes, now: float | None = None) -> Session | None:
    """The session in a cookie, or None if it is missing, forged or expired."""
    if not cookie or "." not in cookie:
        return None
    payload, mac = cookie.rsplit(".", 1)
    if not _same(mac, _mac(payload, key)):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        session = Session(data["r"], str(data["n"]), str(data["c"]), float(data["e"]))
    except (ValueError, KeyError, TypeError):
        return None
    if session.role not in GRANTS or session.expires < (time.time() if now is None else now):
        return None
    return session


def csrf_ok(session: Session | None, given: str | None) -> bool:
    """Whether a form's CSRF token is the session's."""
    return session is not None and bool(given) and _same(given or "", session.csrf)


def _mac(payload: str, key: bytes) -> str:
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def _same(given: str, expected: str) -> bool:
    return bool(given) and bool(expected) and hmac.compare_digest(given.encode(), expected.encode())
