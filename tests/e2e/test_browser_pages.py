"""The login and consent pages in a real Chromium: "Remember me" across a browser restart,
partial consent, "Cancel" and "Not you?". Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, Playwright, expect

from tests.support.browser import (
    WAIT_MS,
    LoopbackSite,
    answer_consent,
    launch_persistent_chromium,
    query_of,
    sign_in,
)
from tests.support.live_server import LiveServer
from tests.support.relying_party import AuthorizationStart, RelyingParty

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"


@dataclass
class App:
    server: LiveServer
    redirect_uri: str
    rp: RelyingParty

    def landed(self, page: Page) -> dict[str, str]:
        page.wait_for_url(lambda url: url.startswith(f"{self.redirect_uri}?"))
        return query_of(page.url)


@pytest.fixture
def app(server: LiveServer, loopback_site: Callable[..., LoopbackSite]) -> Iterator[App]:
    redirect_uri = loopback_site().url("/callback")
    client = server.create_client("web", [redirect_uri], name="Shop")
    server.create_user("alice", PASSWORD, email="alice@example.com", name="Alice Liddell")
    server.create_user("bob", PASSWORD, email="bob@example.com", name="Bob")
    rp = RelyingParty(server, client, redirect_uri)
    yield App(server, redirect_uri, rp)
    rp.close()


def _signed_in_after_restart(
    playwright: Playwright, app: App, profile: Path, *, remember_me: bool
) -> bool:
    """Sign in (and allow) in a browser with a profile of its own, close the browser, launch
    it again on the same profile: whether the person is still signed in."""
    browser = launch_persistent_chromium(playwright, profile)
    browser.set_default_timeout(WAIT_MS)
    page = browser.new_page()
    page.goto(app.rp.start().url)
    sign_in(page, "alice", PASSWORD, remember_me=remember_me)
    answer_consent(page, "Allow")
    assert "code" in app.landed(page)
    browser.close()

    browser = launch_persistent_chromium(playwright, profile)
    browser.set_default_timeout(WAIT_MS)
    try:
        page = browser.new_page()
        page.goto(app.rp.start().url)
        page.wait_for_url(lambda url: url.startswith(app.redirect_uri) or "/login?" in url)
        return page.url.startswith(app.redirect_uri)
    finally:
        browser.close()


def test_remember_me_survives_a_browser_restart(
    playwright: Playwright, app: App, tmp_path: Path
) -> None:
    assert _signed_in_after_restart(playwright, app, tmp_path / "profile", remember_me=True)


def test_without_remember_me_a_browser_restart_signs_out(
    playwright: Playwright, app: App, tmp_path: Path
) -> None:
    assert not _signed_in_after_restart(playwright, app, tmp_path / "profile", remember_me=False)


def test_partial_consent(app: App, page: Page) -> None:
    start: AuthorizationStart = app.rp.start()
    page.goto(start.url)
    sign_in(page, "alice", PASSWORD)
    expect(page.get_by_role("heading", name="Allow access?")).to_be_visible()
    email = page.get_by_role("checkbox", name="See your email address")
    expect(email).to_be_checked()
    expect(page.get_by_role("checkbox")).to_have_count(2)  # profile and email; openid is not
    email.uncheck()
    answer_consent(page, "Allow")
    app.landed(page)
    token = app.rp.redeem(page.url, start)
    assert token["scope"] == "openid profile"
    info = app.rp.userinfo()
    assert "email" not in info and info["name"] == "Alice Liddell"


def test_cancel_goes_back_to_the_application(app: App, page: Page) -> None:
    start = app.rp.start()
    page.goto(start.url)
    page.get_by_role("button", name="Cancel and go back to Shop").click()
    params = app.landed(page)
    assert params["error"] == "access_denied" and params["state"] == start.state


def test_not_you_lets_another_person_sign_in(app: App, page: Page) -> None:
    page.goto(app.rp.start().url)
    sign_in(page, "alice", PASSWORD)
    expect(page.get_by_text("Signed in as alice")).to_be_visible()
    page.get_by_role("button", name="Not you?").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    sign_in(page, "bob", PASSWORD)
    expect(page.get_by_text("Signed in as bob")).to_be_visible()
