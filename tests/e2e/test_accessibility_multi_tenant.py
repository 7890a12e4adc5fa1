"""The pages of a multi-tenant application's sign-in (docs/multi-tenant-apps.md), checked
against WCAG 2.2 AA with axe-core in Chromium, in English and in German: the common
authority's "Find your organisation" page (as it first shows, and with what it says of a
domain no organisation has), and the page of an organisation the application is not
available in, whose one button takes the person back with access_denied."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.accessibility import assert_page_accessible, localized_context
from tests.support.browser import LoopbackSite, query_of
from tests.support.live_server import LiveServer
from tests.support.relying_party import RelyingParty
from tests.support.tenant_server import tenant_of

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
# locale: (language, find heading, email label, next, unknown domain, not available, back)
LANGUAGES = {
    "en-US": ("en", "Find your organisation", "Email address", "Next",
              "No organisation here signs in people of nowhere.example",
              "Orders is not available in Beta Industries", "Go back to Orders"),
    "de-DE": ("de", "Ihre Organisation finden", "E-Mail-Adresse", "Weiter",
              "nowhere.example",
              "Orders ist in Beta Industries nicht verfügbar", "Zurück zu Orders"),
}  # fmt: skip


def _sign_in(page: Page) -> None:
    page.locator("#password").fill(PASSWORD)
    page.locator("button.primary").click()


def test_the_multi_tenant_pages_are_accessible(
    server: LiveServer, loopback_site: Callable[..., LoopbackSite], browser: Browser
) -> None:
    callback = loopback_site().url("/callback")
    acme = tenant_of(server, "acme", "display_name=Acme")
    beta = tenant_of(server, "beta", "display_name=Beta Industries", "domains=beta.example")
    client = acme.create_client("orders", [callback], name="Orders", extra=("--multi-tenant",))
    beta.create_user("bob", PASSWORD, email="bob@beta.example")
    common = dataclasses.replace(server, base_url=f"{server.base_url}/t/common")
    rp = RelyingParty(common, client, callback)
    try:
        for locale, texts in LANGUAGES.items():
            language, find, email, next_, unknown, not_available, back = texts
            context = localized_context(browser, locale)
            page = context.new_page()
            start = rp.start()
            page.goto(start.url)
            assert_page_accessible(page, language, find)
            expect(page.get_by_role("button", name="Acme")).to_be_visible()  # its home

            page.get_by_label(email).fill("eve@nowhere.example")
            page.get_by_role("button", name=next_).click()
            expect(page.get_by_role("alert")).to_contain_text(unknown)
            assert_page_accessible(page, language, find)

            page.get_by_label(email).fill("bob@beta.example")
            page.get_by_role("button", name=next_).click()
            page.wait_for_url(lambda url: url.startswith(f"{beta.issuer}/login?"))
            _sign_in(page)
            assert_page_accessible(page, language, not_available)
            page.get_by_role("button", name=back, exact=True).click()
            page.wait_for_url(lambda url: url.startswith(f"{callback}?"))
            answer = query_of(page.url)
            assert answer["error"] == "access_denied" and answer["state"] == start.state
            context.close()
    finally:
        rp.close()
