"""A tenant in a real browser: Authlib signs a person in on tenant acme's branded pages while
the same browser keeps its session at the default tenant, each unaware of the other. Runs
on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.support.accessibility import assert_page_accessible
from tests.support.browser import LoopbackSite, answer_consent, query_of, sign_in
from tests.support.live_server import LiveServer
from tests.support.relying_party import RelyingParty
from tests.support.tenant_server import tenant_of

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
ACME_PASSWORD = "acme's own long password"


def _landed(page: Page, redirect_uri: str) -> dict[str, str]:
    page.wait_for_url(lambda url: url.startswith(f"{redirect_uri}?"))
    return query_of(page.url)


def test_a_person_signs_in_on_a_tenant_s_branded_pages_beside_a_default_session(
    server: LiveServer, loopback_site: Callable[..., LoopbackSite], page: Page
) -> None:
    callback = loopback_site()
    redirect_uri = callback.url("/callback")
    acme = tenant_of(server, "acme", "display_name=Acme Corporation", "accent_colour=#8a2be2")
    default_rp = RelyingParty(server, server.create_client("web", [redirect_uri]), redirect_uri)
    acme_rp = RelyingParty(acme, acme.create_client("web", [redirect_uri]), redirect_uri)
    server.create_user("alice", PASSWORD, email="alice@example.com")
    acme.create_user("alice", ACME_PASSWORD, email="alice@acme.example")
    try:
        # Signed in at the default tenant, on gatehouse's own pages.
        start = default_rp.start()
        page.goto(start.url)
        expect(page.locator("header.brand")).to_have_text("◆ gatehouse")
        sign_in(page, "alice", PASSWORD)
        answer_consent(page, "Allow")
        _landed(page, redirect_uri)
        default_rp.redeem(page.url, start)

        # acme knows nothing of that session: its own sign-in page, in its colours.
        start = acme_rp.start()
        page.goto(start.url)
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        expect(page.locator("header.brand")).to_have_text("Acme Corporation")
        button = page.get_by_role("button", name="Sign in", exact=True)
        expect(button).to_have_css("background-color", "rgb(138, 43, 226)")
        assert page.url.startswith(f"{acme.issuer}/login?")
        assert_page_accessible(page, "en", "Sign in")  # the tenant's colours and name too
        sign_in(page, "alice", PASSWORD)  # the default tenant's password is not acme's
        expect(page.get_by_role("alert")).to_contain_text("not correct")
        sign_in(page, "alice", ACME_PASSWORD)
        answer_consent(page, "Allow")
        params = _landed(page, redirect_uri)
        assert params["iss"] == acme.issuer
        token = acme_rp.redeem(page.url, start)
        claims = acme_rp.validate_id_token(token, start.nonce)
        assert claims["iss"] == f"{server.issuer}/t/acme"

        # Both sessions live on in the one browser, each at its own tenant.
        for rp in (default_rp, acme_rp):
            start = rp.start(prompt="none")
            page.goto(start.url)
            assert "code" in _landed(page, redirect_uri)
        names = {cookie["name"]: cookie["path"] for cookie in page.context.cookies()}
        assert names["gh_session"] == "/"
        assert names["gh_session_acme"] == "/t/acme"
    finally:
        default_rp.close()
        acme_rp.close()
