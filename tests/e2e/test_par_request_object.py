"""A pushed, signed authorization request end to end (RFC 9126 with RFC 9101): Authlib is the
client application, which signs its request object with its own key (registered with
`gatehouse client create --require-par --request-object-alg RS256 --jwks`) and pushes it to
/par; headless Chromium is the person, who arrives with only client_id and the request_uri.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from joserfc.jwk import RSAKey
from playwright.sync_api import Page, expect

from tests.support.browser import LoopbackSite, answer_consent, query_of, sign_in
from tests.support.live_server import LiveServer
from tests.support.relying_party import RelyingParty
from tests.support.request_objects import public_jwks

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"


def test_authlib_pushes_a_signed_request_and_the_browser_signs_in(
    server: LiveServer,
    loopback_site: Callable[..., LoopbackSite],
    page: Page,
    tmp_path: Path,
) -> None:
    key = RSAKey.generate_key(2048, parameters={"kid": "app-key-1"}, private=True)
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(public_jwks(key)))
    redirect_uri = loopback_site().url("/callback")
    client = server.create_client(
        "web",
        [redirect_uri],
        extra=("--require-par", "--request-object-alg", "RS256", "--jwks", str(jwks)),
    )
    server.create_user("alice", PASSWORD, email="alice@example.com", name="Alice Liddell")
    rp = RelyingParty(server, client, redirect_uri)
    try:
        start = rp.start(claims=json.dumps({"userinfo": {"email": {"essential": True}}}))
        # The client must push: the plain authorization URL is refused at gatehouse.
        page.goto(start.url)
        expect(page.get_by_text("invalid_request")).to_be_visible()

        url = rp.push_signed(start, key, "RS256")
        assert set(query_of(url)) == {"client_id", "request_uri"}
        page.goto(url)
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        sign_in(page, "alice", PASSWORD)
        answer_consent(page, "Allow")
        page.wait_for_url(lambda u: u.startswith(f"{redirect_uri}?"))
        landed = query_of(page.url)
        assert landed["state"] == start.state
        assert landed["iss"] == server.issuer

        token = rp.redeem(page.url, start)
        claims = rp.validate_id_token(token, start.nonce)
        assert claims["aud"] == "web"
        assert rp.userinfo()["email"] == "alice@example.com"

        # The request_uri was spent by the browser's first visit.
        page.goto(url)
        expect(page.get_by_text("invalid_request_uri")).to_be_visible()
        assert urlsplit(page.url).path == "/authorize"
    finally:
        rp.close()
