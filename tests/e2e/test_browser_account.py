"""The account page in a real Chromium against a running server: sign in through the
built-in client, edit the profile, revoke an application (its refresh token fails at once),
sign out another browser. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import VIEWPORT, WAIT_MS, LoopbackSite, answer_consent, query_of, sign_in
from tests.support.live_server import LiveServer
from tests.support.relying_party import RelyingParty

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"


def _refresh_status(server: LiveServer, client: dict[str, str], refresh_token: str) -> int:
    with requests.Session() as http:
        http.trust_env = False
        response = http.post(
            server.url("/token"),
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
            auth=(client["client_id"], client["client_secret"]),
            timeout=10,
        )
    return response.status_code


def _open_account(page: Page, server: LiveServer) -> None:
    page.goto(server.url("/account"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert query_of(page.url)["interaction"]
    sign_in(page, "alice", PASSWORD)
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()


def test_the_account_page_in_a_browser(
    server: LiveServer,
    browser: Browser,
    page: Page,
    loopback_site: Callable[..., LoopbackSite],
) -> None:
    callback = loopback_site()
    redirect_uri = callback.url("/callback")
    client = server.create_client("notes", [redirect_uri], name="Acme Notes")
    server.create_user("alice", PASSWORD, email="alice@example.com", name="Alice")

    # Another browser where Alice is signed in too.
    elsewhere = browser.new_context(viewport=VIEWPORT)
    elsewhere.set_default_timeout(WAIT_MS)
    other_page = elsewhere.new_page()
    _open_account(other_page, server)

    # Sign in to the account page through the built-in client, then use an application.
    _open_account(page, server)
    rp = RelyingParty(server, client, redirect_uri)
    try:
        start = rp.start()
        page.goto(start.url)
        answer_consent(page, "Allow")  # already signed in: only the consent page
        page.wait_for_url(lambda url: url.startswith(f"{redirect_uri}?"))
        tokens = rp.redeem(page.url, start)
    finally:
        rp.close()
    assert _refresh_status(server, client, tokens["refresh_token"]) == 200

    # Edit the profile.
    page.goto(server.url("/account"))
    page.get_by_label("Full name").fill("Alice Liddell")
    page.get_by_label("Phone number").fill("+44 20 7946 0000")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("status")).to_have_text("Your profile was saved.")
    expect(page.get_by_label("Full name")).to_have_value("Alice Liddell")

    # Revoke the application: its refresh token fails at the token endpoint at once.
    page.get_by_text("Revoke access…").click()
    page.get_by_role("button", name="Yes, revoke access for Acme Notes").click()
    expect(page.get_by_role("status")).to_contain_text("access was revoked")
    assert _refresh_status(server, client, tokens["refresh_token"]) == 400

    # Sign out the other browser.
    page.get_by_role("button", name="Sign out this session").click()
    expect(page.get_by_role("status")).to_have_text("That session was signed out.")
    other_page.goto(server.url("/account"))
    expect(other_page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    elsewhere.close()
