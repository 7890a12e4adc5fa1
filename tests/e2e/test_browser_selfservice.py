"""Self-service registration in a real browser against a real `gatehouse serve`: Chromium
creates an account from the login page, the server's mail worker sends the link to a real
SMTP server on loopback, the person follows it, and then signs in to an application through
the authorization code flow, whose ID token says the address is verified."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import LoopbackSite, answer_consent, query_of, sign_in
from tests.support.live_server import LiveServer
from tests.support.relying_party import RelyingParty
from tests.support.smtp import Mailbox, link_in

pytestmark = pytest.mark.e2e

PASSWORD = "erin's own long passphrase"


def test_register_confirm_the_address_and_sign_in(
    selfservice_server: LiveServer,
    smtp: Mailbox,
    page: Page,
    loopback_site: Callable[..., LoopbackSite],
) -> None:
    server = selfservice_server
    callback = loopback_site()
    redirect_uri = callback.url("/callback")
    rp = RelyingParty(server, server.create_client("web", [redirect_uri]), redirect_uri)
    try:
        start = rp.start()
        page.goto(start.url)
        page.get_by_role("link", name="Create an account").click()
        expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
        page.get_by_label("Username").fill("erin")
        page.get_by_label("Email address").fill("erin@example.com")
        page.get_by_label("Your name").fill("Erin Example")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

        link = link_in(smtp.wait_for("erin@example.com"), "/verify-email")
        assert link.startswith(f"{server.issuer}/verify-email?token=")
        page.goto(link)
        page.get_by_role("button", name="Confirm my email address").click()
        expect(page.get_by_role("heading", name="Email address confirmed")).to_be_visible()

        start = rp.start()
        page.goto(start.url)
        sign_in(page, "erin", PASSWORD)
        answer_consent(page, "Allow")
        page.wait_for_url(lambda url: url.startswith(f"{redirect_uri}?"))
        assert query_of(page.url)["state"] == start.state
        claims = rp.validate_id_token(rp.redeem(page.url, start), start.nonce)
        assert claims["email"] == "erin@example.com" and claims["email_verified"] is True
        assert claims["name"] == "Erin Example"

        page.goto(link)  # the link again: used
        expect(page.get_by_role("heading", name="This link was already used")).to_be_visible()
    finally:
        rp.close()
