"""Driving the authorization code flow in-process, the way a browser and a client would."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from httpx2 import Response
from starlette.testclient import TestClient

from tests.support.factories import PASSWORD, REDIRECT_URI


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in page"
    return match.group(1)


@dataclass
class FlowResult:
    location: str
    params: dict[str, str]
    verifier: str


def authorize_params(client_id: str = "web", **overrides: Any) -> tuple[dict[str, str], str]:
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile email",
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update({k: v for k, v in overrides.items() if v is not None})
    for key in [k for k, v in overrides.items() if v is None]:
        params.pop(key, None)
    return params, verifier


def submit_login(http: TestClient, location: str, login: str = "alice", password: str = PASSWORD) -> Response:
    page = http.get(location)
    assert page.status_code == 200, page.text
    interaction = query_of(location)["interaction"]
    return http.post(
        "/login",
        data={"csrf_token": csrf_from(page.text), "interaction": interaction, "login": login, "password": password},
    )


def submit_consent(http: TestClient, location: str, decision: str = "allow") -> Response:
    page = http.get(location)
    assert page.status_code == 200, page.text
    return http.post(
        "/consent",
        data={
            "csrf_token": csrf_from(page.text),
            "interaction": query_of(location)["interaction"],
            "decision": decision,
        },
    )


def run_flow(
    http: TestClient, client_id: str = "web", *, login: str = "alice", password: str = PASSWORD, consent: str = "allow", **overrides: Any
) -> FlowResult:
    """Follow the redirects through login and consent pages until the client's redirect URI."""
    params, verifier = authorize_params(client_id, **overrides)
    response = http.get("/authorize", params=params)
    for _ in range(6):
        assert response.status_code in (302, 303), response.text
        location = response.headers["location"]
        if location.startswith("/login"):
            response = submit_login(http, location, login, password)
        elif location.startswith("/consent"):
            response = submit_consent(http, location, consent)
        else:
            return FlowResult(location, query_of(location), verifier)
    raise AssertionError("too many redirects")


def redeem(http: TestClient, code: str, verifier: str | None, client: dict[str, Any], **extra: str) -> Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    if verifier is not None:
        data["code_verifier"] = verifier
    data.update(extra)
    auth = (client["client_id"], client["client_secret"]) if "client_secret" in client else None
    if auth is None:
        data["client_id"] = client["client_id"]
    return http.post("/token", data=data, auth=auth)
