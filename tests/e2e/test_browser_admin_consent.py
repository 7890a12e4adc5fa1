"""Admin consent in Chromium against a served gatehouse: with an administrator's consent the
person signs in and goes straight back to the application (no consent page); a scope the API
reserves for administrators shows the "an administrator must approve" page, accessible in
English and German, whose one button takes the person back with access_denied."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page

from tests.support.accessibility import assert_page_accessible, localized_context
from tests.support.browser import LoopbackSite
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
ORDERS = "https://orders.example.com"
HEADINGS = {
    "en-US": ("en", "An administrator must approve this application", "Go back to Shop"),
    "de-DE": ("de", "Die Administration muss diese Anwendung freigeben", "Zurück zu Shop"),
}


def _authorize(server: LiveServer, callback: str, scope: str, state: str) -> str:
    return (
        server.url("/authorize?response_type=code&client_id=shop")
        + f"&scope={scope.replace(' ', '%20')}&state={state}&redirect_uri={callback}"
        + f"&code_challenge={'a' * 43}&code_challenge_method=S256"
    )


def _sign_in(page: Page, login: str = "alice") -> None:
    page.locator("#login").fill(login)
    page.locator("#password").fill(PASSWORD)
    page.locator("button.primary").click()


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_admin_consent_skips_the_page_and_admin_only_scopes_need_an_administrator(
    server: LiveServer,
    loopback_site: Callable[..., LoopbackSite],
    page: Page,
    browser: Browser,
) -> None:
    site = loopback_site()
    callback = site.url("/callback")
    server.cli(
        "api", "create", "--identifier", ORDERS, "--name", "Orders",
        "--scope", "orders.read=Read your orders",
        "--scope", "orders.delete=Delete your orders",
        "--admin-consent-required", "orders.delete",
    )  # fmt: skip
    server.create_client(
        "shop", [callback], scope="openid profile orders.read orders.delete", name="Shop"
    )
    server.create_user("alice", PASSWORD)
    server.create_user("bob", PASSWORD)
    for scope in ("openid", "profile", "orders.read"):
        server.cli("consent", "grant-admin", "--client", "shop", "--scope", scope)

    # The admin consent covers the request: from the login form straight to the application.
    page.goto(_authorize(server, callback, f"openid profile {ORDERS}/orders.read", "s1"))
    _sign_in(page)
    page.wait_for_url(lambda url: url.startswith(callback))
    assert "code" in _query(page.url) and _query(page.url)["state"] == ["s1"]

    # orders.delete is the administrator's to grant: the page says so, in each language.
    for locale, (language, heading, back) in HEADINGS.items():
        context = localized_context(browser, locale)
        other = context.new_page()
        other.goto(_authorize(server, callback, f"openid {ORDERS}/orders.delete", "s2"))
        _sign_in(other, "bob")
        assert_page_accessible(other, language, heading)
        assert "orders.delete" in other.content()
        other.get_by_role("button", name=back, exact=True).click()
        other.wait_for_url(lambda url: url.startswith(callback))
        answer = _query(other.url)
        assert answer["error"] == ["access_denied"] and answer["state"] == ["s2"]
        assert "administrator must approve" in answer["error_description"][0]
        context.close()

    # Once the administrator consents to it too, bob goes straight through as well.
    server.cli("consent", "grant-admin", "--client", "shop", "--scope", "orders.delete")
    page.context.clear_cookies()
    page.goto(_authorize(server, callback, f"openid {ORDERS}/orders.delete", "s3"))
    _sign_in(page, "bob")
    page.wait_for_url(lambda url: url.startswith(callback))
    assert "code" in _query(page.url)
