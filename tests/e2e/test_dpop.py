"""DPoP end to end (RFC 9449): a public client that must use DPoP signs alice in with
Chromium, redeems the code and refreshes with real proofs of its own key pair
(tests/support/dpop.py), and calls the example orders API (a separate process protected by
gatehouse.rs) with the DPoP-bound token. A thief holding the tokens but not the key gets
nowhere. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.support.browser import LoopbackSite, answer_consent, query_of, sign_in
from tests.support.dpop import DPoPKey
from tests.support.flow import pkce_pair
from tests.support.live_server import ExampleApi, LiveServer, start_orders_api

pytestmark = pytest.mark.e2e

API = "https://orders.example.com"
PASSWORD = "correct horse battery staple"
SCOPE = "openid orders.read offline_access"
TIMEOUT = 30


@dataclass
class Deployment:
    server: LiveServer
    orders: ExampleApi
    redirect_uri: str


@pytest.fixture
def deployment(
    server: LiveServer, loopback_site: Callable[..., LoopbackSite], tmp_path: Path
) -> Iterator[Deployment]:
    server.cli(
        "api", "create", "--identifier", API, "--name", "Orders",
        "--scope", "orders.read=Read your orders",
    )  # fmt: skip
    redirect_uri = loopback_site().url("/callback")
    spa = server.create_client(
        "spa",
        [redirect_uri],
        client_type="public",
        scope=SCOPE,
        extra=(
            "--grant-type", "authorization_code", "--grant-type", "refresh_token",
            "--require-dpop",
        ),
    )  # fmt: skip
    assert spa["require_dpop"] is True
    server.create_user("alice", PASSWORD, email="alice@example.com")
    orders = start_orders_api(server.issuer, API, tmp_path / "orders-api")
    try:
        yield Deployment(server, orders, redirect_uri)
    finally:
        orders.stop()
        print(f"--- orders API log ---\n{orders.log()[-4000:]}")


def post_token(deployment: Deployment, form: dict[str, str], proof: str | None) -> Any:
    url = deployment.server.url("/token")
    headers = {"DPoP": proof} if proof else {}
    with requests.Session() as http:
        http.trust_env = False
        return http.post(url, data={"client_id": "spa", **form}, headers=headers, timeout=TIMEOUT)


def call_api(deployment: Deployment, authorization: str, proof: str | None = None) -> Any:
    headers = {"Authorization": authorization, **({"DPoP": proof} if proof else {})}
    with requests.Session() as http:
        http.trust_env = False
        return http.get(deployment.orders.url("/orders"), headers=headers, timeout=TIMEOUT)


def signed_in_code(deployment: Deployment, page: Page) -> tuple[str, str]:
    """Alice signs in with Chromium and allows the SPA; the code and the PKCE verifier."""
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(8)
    query = {
        "response_type": "code", "client_id": "spa", "redirect_uri": deployment.redirect_uri,
        "scope": SCOPE, "state": state, "nonce": secrets.token_urlsafe(8),
        "code_challenge": challenge, "code_challenge_method": "S256",
    }  # fmt: skip
    page.goto(deployment.server.url("/authorize") + "?" + urlencode(query))
    sign_in(page, "alice", PASSWORD)
    expect(page.get_by_role("heading", name="Allow access?")).to_be_visible()
    answer_consent(page, "Allow")
    page.wait_for_url(lambda url: url.startswith(f"{deployment.redirect_uri}?"))
    params = query_of(page.url)
    assert params["state"] == state
    return params["code"], verifier


def test_a_dpop_client_signs_in_refreshes_and_calls_an_api(
    deployment: Deployment, page: Page
) -> None:
    key = DPoPKey()
    token_url = deployment.server.url("/token")
    code, verifier = signed_in_code(deployment, page)
    form = {
        "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
        "redirect_uri": deployment.redirect_uri,
    }  # fmt: skip

    # require_dpop: the code is not spent on a request without a proof.
    refused = post_token(deployment, form, None)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_dpop_proof"
    tokens = post_token(deployment, form, key.proof("POST", token_url))
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["token_type"] == "DPoP"
    access, refresh = body["access_token"], body["refresh_token"]

    # gatehouse.rs at the orders API: a proof for this request, this token and this key.
    orders_url = deployment.orders.url("/orders")
    proof = key.proof("GET", orders_url, access_token=access)
    listed = call_api(deployment, f"DPoP {access}", proof)
    assert listed.status_code == 200, listed.text
    replayed = call_api(deployment, f"DPoP {access}", proof)
    assert replayed.status_code == 401
    assert replayed.headers["WWW-Authenticate"].startswith("DPoP ")
    assert 'error="invalid_dpop_proof"' in replayed.headers["WWW-Authenticate"]

    # A thief with the tokens but not the key: as a bearer token, with a key of its own.
    thief = DPoPKey()
    as_bearer = call_api(deployment, f"Bearer {access}")
    assert as_bearer.status_code == 401
    assert as_bearer.headers["WWW-Authenticate"].startswith("DPoP ")
    stolen = call_api(
        deployment, f"DPoP {access}", thief.proof("GET", orders_url, access_token=access)
    )
    assert stolen.status_code == 401
    refresh_form = {"grant_type": "refresh_token", "refresh_token": refresh}
    thief_refresh = post_token(deployment, refresh_form, thief.proof("POST", token_url))
    assert thief_refresh.status_code == 400 and thief_refresh.json()["error"] == "invalid_grant"

    # The key holder refreshes (the thief's attempt revoked nothing) and the API accepts it.
    renewed = post_token(deployment, refresh_form, key.proof("POST", token_url))
    assert renewed.status_code == 200, renewed.text
    fresh = renewed.json()["access_token"]
    again = call_api(deployment, f"DPoP {fresh}", key.proof("GET", orders_url, access_token=fresh))
    assert again.status_code == 200, again.text
