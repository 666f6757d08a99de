"""The forge's webhook: a signed nudge that makes the poll loop read the PRs now.

The payload is not trusted for the decision itself: a valid delivery (GitHub's
`X-Hub-Signature-256` HMAC of the body, or GitLab's `X-Gitlab-Token`) only wakes the loop, which
reads each pending PR's state back through the API as it does every interval.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr

HOOK_PATH = "/hooks/forge"


def delivery_is_signed(body: bytes, headers: Mapping[str, str], secret: SecretStr) -> bool:
    """Whether a webhook delivery carries the shared secret (GitHub HMAC or GitLab token).

    >>> key = SecretStr("s3cret")
    >>> mac = "sha256=" + hmac.new(b"s3cret", b"{}", hashlib.sha256).hexdigest()
    >>> delivery_is_signed(b"{}", {"x-hub-signature-256": mac}, key)
    True
    >>> delivery_is_signed(b"{}", {"x-gitlab-token": "guess"}, key)
    False
    """
    value = secret.get_secret_value().encode()
    if not value:
        return False
    signature = headers.get("x-hub-signature-256")
    if signature is not None:
        expected = "sha256=" + hmac.new(value, body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(signature.encode(), expected.encode())
    token = headers.get("x-gitlab-token")
    return token is not None and hmac.compare_digest(token.encode(), value)


def forge_hook_router(secret: SecretStr, wake: Callable[[], None]) -> APIRouter:
    """POST /hooks/forge: 202 and a wake-up for a signed delivery, 401 otherwise."""
    router = APIRouter()

    @router.post(HOOK_PATH, status_code=202)
    async def forge_hook(request: Request) -> JSONResponse:
        """A webhook delivery from GitHub or GitLab (pull request, review, merge events)."""
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        if not delivery_is_signed(body, headers, secret):
            return JSONResponse(
                {"error": "Unauthorized", "detail": "sign the delivery with the webhook secret"},
                401,
            )
        wake()
        return JSONResponse({"status": "accepted"}, 202)

    return router
