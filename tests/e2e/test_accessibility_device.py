"""The device page (RFC 8628 §3.3) checked against WCAG 2.2 AA with axe-core in Chromium, in
English and German (the browser's language): the code form, the form after a wrong code,
the question, and both answers.

Locators use ids and the page's own translated names (docs/accessibility.md)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.support.accessibility import assert_page_accessible, localized_context
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@dataclass(frozen=True)
class Words:
    locale: str
    form: str
    question: str
    approved: str
    denied: str
    not_valid: str


LANGUAGES = {
    "en": Words(
        "en-US",
        "Connect a device",
        "Allow this device?",
        "Device connected",
        "Access denied",
        "That code is not valid.",
    ),
    "de": Words(
        "de-DE",
        "Ein Gerät verbinden",
        "Dieses Gerät zulassen?",
        "Gerät verbunden",
        "Zugriff abgelehnt",
        "Dieser Code ist nicht gültig.",
    ),
}


@pytest.fixture(params=sorted(LANGUAGES))
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def context(browser: Browser, language: str) -> Iterator[BrowserContext]:
    made = localized_context(browser, LANGUAGES[language].locale)
    yield made
    made.close()


def _device_codes(server: LiveServer) -> dict[str, Any]:
    with httpx.Client(trust_env=False, timeout=10) as http:
        response = http.post(
            server.url("/device_authorization"),
            data={"client_id": "tv", "scope": "openid profile offline_access"},
        )
    response.raise_for_status()
    codes: dict[str, Any] = response.json()
    return codes


def _question(page: Page, server: LiveServer, words: Words, *, sign_in: bool) -> None:
    """Enter a fresh code (signing in the first time); the question is shown."""
    codes = _device_codes(server)
    page.goto(server.url("/device"))
    page.locator("#user_code").fill(codes["user_code"])
    page.locator("form[action='/device'] button.primary").click()
    if sign_in:
        page.locator("#login").fill("alice")
        page.locator("#password").fill(PASSWORD)
        page.locator("form[action='/login'] button.primary[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words.question)


def test_the_device_page_is_accessible(
    server: LiveServer, context: BrowserContext, language: str
) -> None:
    words = LANGUAGES[language]
    server.cli(
        "client", "create", "--client-id", "tv", "--type", "public", "--name", "Living-room TV",
        "--grant-type", DEVICE_GRANT, "--scope", "openid profile offline_access",
    )  # fmt: skip
    server.create_user("alice", PASSWORD, email="alice@example.com", name="Alice")
    page = context.new_page()

    page.goto(server.url("/device"))
    assert_page_accessible(page, language, words.form)
    page.locator("#user_code").fill("BBBB-BBBB")
    page.locator("form[action='/device'] button.primary").click()
    expect(page.get_by_role("alert")).to_contain_text(words.not_valid)
    assert_page_accessible(page, language, words.form)

    _question(page, server, words, sign_in=True)
    assert_page_accessible(page, language, words.question)
    page.locator("button[name=action][value=approve]").click()
    assert_page_accessible(page, language, words.approved)

    _question(page, server, words, sign_in=False)
    page.locator("button[name=action][value=deny]").click()
    assert_page_accessible(page, language, words.denied)
