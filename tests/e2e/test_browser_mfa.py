"""Two-step sign-in in a real Chromium against a real server: a client registered with
require_mfa walks the person through setting up an authenticator app (the code computed
with pyotp from the setup key the page shows), then the next sign-in asks for a code, and
an application asking for acr_values gets the session upgraded with a code alone."""

from __future__ import annotations

import time
from collections.abc import Callable

import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import LoopbackSite, answer_consent, query_of, sign_in
from tests.support.live_server import LiveServer
from tests.support.relying_party import RelyingParty

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
MFA = "urn:gatehouse:acr:mfa"


def _fresh_code(secret: str, used: set[str]) -> str:
    """The app's current code, waiting for the next one if this one was already used (a
    code is accepted once)."""
    totp = pyotp.TOTP(secret)
    while (code := totp.now()) in used:
        time.sleep(0.5)
    used.add(code)
    return code


def test_enrolment_then_sign_in_with_a_code_then_step_up(
    server: LiveServer, loopback_site: Callable[..., LoopbackSite], page: Page
) -> None:
    callback = loopback_site()
    redirect_uri = callback.url("/callback")
    strict = server.create_client("bank", [redirect_uri], name="Bank", extra=("--require-mfa",))
    plain = server.create_client("notes", [redirect_uri], name="Notes")
    server.create_user("alice", PASSWORD)
    used: set[str] = set()

    # 1. The bank requires a second factor: alice sets up an authenticator app.
    bank = RelyingParty(server, strict, redirect_uri)
    start = bank.start()
    page.goto(start.url)
    sign_in(page, "alice", PASSWORD)
    expect(page.get_by_role("heading", name="Set up an authenticator app")).to_be_visible()
    expect(page.locator(".qr svg")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code the app shows now").fill(_fresh_code(secret, used))
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    assert page.locator(".codes li").count() == 10
    page.get_by_role("link", name="continue to Bank").click()
    answer_consent(page, "Allow")
    page.wait_for_url(lambda url: url.startswith(f"{redirect_uri}?"))
    claims = bank.validate_id_token(bank.redeem(page.url, start), start.nonce)
    assert claims["amr"] == ["pwd", "otp", "mfa"] and claims["acr"] == MFA
    bank.close()

    # 2. A new browser session: the password, then a code.
    page.context.clear_cookies()
    notes = RelyingParty(server, plain, redirect_uri)
    start = notes.start()
    page.goto(start.url)
    sign_in(page, "alice", PASSWORD)
    expect(page.get_by_role("heading", name="Two-step verification")).to_be_visible()
    page.get_by_label("Code from your authenticator app").fill("12ab")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("The code is 6 digits")
    page.get_by_label("Code from your authenticator app").fill(_fresh_code(secret, used))
    page.get_by_role("button", name="Verify").click()
    answer_consent(page, "Allow")
    page.wait_for_url(lambda url: url.startswith(f"{redirect_uri}?"))
    assert "code" in query_of(page.url)
    notes.close()


def test_step_up_asks_only_for_the_code(
    server: LiveServer, loopback_site: Callable[..., LoopbackSite], page: Page
) -> None:
    callback = loopback_site()
    redirect_uri = callback.url("/callback")
    client = server.create_client("notes", [redirect_uri], name="Notes")
    server.create_user("alice", PASSWORD)
    rp = RelyingParty(server, client, redirect_uri)
    # Signed in with a password only; the app is set up afterwards, from the session.
    start = rp.start()
    page.goto(start.url)
    sign_in(page, "alice", PASSWORD)
    answer_consent(page, "Allow")
    page.wait_for_url(lambda url: url.startswith(f"{redirect_uri}?"))
    page.goto(server.url("/mfa"))
    page.get_by_role("link", name="Set up an authenticator app").click()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    used: set[str] = set()
    page.get_by_label("Code the app shows now").fill(_fresh_code(secret, used))
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()

    start = rp.start(acr_values=MFA)
    page.goto(start.url)
    expect(page.get_by_role("heading", name="Two-step verification")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_count(0)
    page.get_by_label("Code from your authenticator app").fill(_fresh_code(secret, used))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(lambda url: url.startswith(f"{redirect_uri}?"))
    claims = rp.validate_id_token(rp.redeem(page.url, start), start.nonce)
    assert claims["acr"] == MFA and "otp" in claims["amr"]
    rp.close()
