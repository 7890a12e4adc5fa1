"""The pages of signing in, checked against WCAG 2.2 AA with axe-core in Chromium, in English
and in German (the browser's language): the login page (as it first shows, after a wrong
password, and refusing an attempt), the consent page, and the signed-out page with its
front-channel logout frames (docs/accessibility.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.accessibility import assert_page_accessible, localized_context
from tests.support.browser import LoopbackSite
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Words:
    """The browser's locale, and what the pages say in its language."""

    locale: str
    sign_in: str
    wrong: str
    locked: str
    allow_access: str
    allow: str
    sign_out: str
    signed_out: str


LANGUAGES = {
    "en": Words(
        "en-US",
        "Sign in",
        "The username or password is not correct.",
        "Too many failed attempts. Try again in 15 minutes.",
        "Allow access?",
        "Allow",
        "Sign out",
        "You are signed out",
    ),
    "de": Words(
        "de-DE",
        "Anmelden",
        "Der Benutzername oder das Passwort ist nicht korrekt.",
        "Zu viele fehlgeschlagene Versuche. Versuchen Sie es in 15 Minuten erneut.",
        "Zugriff erlauben?",
        "Erlauben",
        "Abmelden",
        "Sie sind abgemeldet",
    ),
}


@pytest.fixture(params=sorted(LANGUAGES))
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def localized_page(browser: Browser, language: str) -> Iterator[Page]:
    context = localized_context(browser, LANGUAGES[language].locale)
    yield context.new_page()
    context.close()


def _sign_in(page: Page, words: Words, login: str, password: str) -> None:
    # By id: the labels are in the page's language.
    page.locator("#login").fill(login)
    page.locator("#password").fill(password)
    page.get_by_role("button", name=words.sign_in, exact=True).click()


def test_the_sign_in_pages_are_accessible(
    server: LiveServer,
    loopback_site: Callable[..., LoopbackSite],
    localized_page: Page,
    language: str,
) -> None:
    page, words = localized_page, LANGUAGES[language]
    # Locked after two failures from one source, without delays before.
    server.cli("policy", "set", "login_delay_after_failures=2", "source_lockout_threshold=2")
    site = loopback_site()
    callback = site.url("/callback")
    server.create_client(
        "web", [callback], extra=("--frontchannel-logout-uri", site.url("/frontchannel-logout"))
    )
    server.create_user("alice", PASSWORD)
    page.goto(
        server.url("/authorize?response_type=code&client_id=web&scope=openid%20profile")
        + f"&state=s&redirect_uri={callback}&code_challenge={'a' * 43}"
        + "&code_challenge_method=S256"
    )
    assert_page_accessible(page, language, words.sign_in)  # login.html

    # Another login is refused, not alice: her sign-in below is not locked.
    _sign_in(page, words, "mallory", "not the password")
    expect(page.get_by_role("alert")).to_have_text(words.wrong)
    assert_page_accessible(page, language, words.sign_in)
    _sign_in(page, words, "mallory", "still not the password")
    expect(page.get_by_role("alert")).to_have_text(f"{words.wrong} {words.locked}")
    _sign_in(page, words, "mallory", PASSWORD)
    expect(page.get_by_role("alert")).to_have_text(words.locked)  # refused unchecked: 429
    assert_page_accessible(page, language, words.sign_in)

    _sign_in(page, words, "alice", PASSWORD)
    assert_page_accessible(page, language, words.allow_access)  # consent.html
    page.get_by_role("button", name=words.allow, exact=True).click()
    page.wait_for_url(lambda url: url.startswith(callback))

    # No post-logout redirect URI: the signed-out page stays, with the application's frame.
    page.goto(server.url("/logout?client_id=web"))
    page.get_by_role("button", name=words.sign_out, exact=True).click()
    expect(page.get_by_role("status")).to_be_visible()
    assert_page_accessible(page, language, words.signed_out)  # logged_out.html
