"""The forge's webhook wakes the poll loop for a signed delivery, and refuses any other."""

from __future__ import annotations

import hashlib
import hmac

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from agents.edges.forge_hook import HOOK_PATH, forge_hook_router

SECRET = "hook-s3cret"
BODY = b'{"action": "submitted", "review": {"state": "approved"}}'


def _client(woken: list[bool]) -> TestClient:
    app = FastAPI()
    app.include_router(forge_hook_router(SecretStr(SECRET), lambda: woken.append(True)))
    return TestClient(app)


def test_a_github_delivery_signed_with_the_secret_wakes_the_loop() -> None:
    woken: list[bool] = []
    mac = "sha256=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    response = _client(woken).post(HOOK_PATH, content=BODY, headers={"X-Hub-Signature-256": mac})
    assert response.status_code == 202 and woken == [True]


def test_a_gitlab_delivery_with_the_token_wakes_the_loop() -> None:
    woken: list[bool] = []
    response = _client(woken).post(HOOK_PATH, content=BODY, headers={"X-Gitlab-Token": SECRET})
    assert response.status_code == 202 and woken == [True]


def test_unsigned_or_wrongly_signed_deliveries_are_refused() -> None:
    woken: list[bool] = []
    client = _client(woken)
    forged = "sha256=" + hmac.new(b"guess", BODY, hashlib.sha256).hexdigest()
    for headers in ({}, {"X-Hub-Signature-256": forged}, {"X-Gitlab-Token": "guess"}):
        assert client.post(HOOK_PATH, content=BODY, headers=headers).status_code == 401
    assert woken == []
