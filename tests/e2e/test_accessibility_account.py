"""The account page checked against WCAG 2.2 AA with axe-core in Chromium, in English and
German (the browser's language): each of its sections with something in it (an application
with offline access, which the organisation allowed more to, an application only the
organisation allowed, two browsers signed in, the confirmations opened), a password refused
with its reason, a notice after saving the profile, and the page of a cancelled sign-in.

Locators use ids, roles and the page's own translated names; the login and consent pages
are reached by their fields' ids (docs/accessibility.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.support.accessibility import assert_page_accessible, localized_context
from tests.support.browser import LoopbackSite
from tests.support.live_server import LiveServer
from tests.support.relying_party import RelyingParty

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Language:
    locale: str  # the browser's, hence its Accept-Language
    heading: str  # the page's <h1>
    sections: tuple[str, ...]  # profile, password, passkeys, two-step, sessions, apps, offline
    password_refused: str
    profile_saved: str
    not_signed_in: str
    organisation_allowed: str  # an application's label when an admin consent allows it


LANGUAGES = {
    "en": Language(
        "en-US",
        "Your account",
        (
            "Profile",
            "Password",
            "Passkeys",
            "Two-step verification",
            "Where you are signed in",
            "Applications you allowed",
            "Offline access",
        ),
        "This password is one of the most commonly used ones. Choose another.",
        "Your profile was saved.",
        "You did not sign in",
        "Allowed by your organisation",
    ),
    "de": Language(
        "de-DE",
        "Ihr Konto",
        (
            "Profil",
            "Passwort",
            "Passkeys",
            "Bestätigung in zwei Schritten",
            "Wo Sie angemeldet sind",
            "Anwendungen, denen Sie Zugriff erlaubt haben",
            "Offline-Zugriff",
        ),
        "Dieses Passwort gehört zu den am häufigsten verwendeten. Wählen Sie ein anderes.",
        "Ihr Profil wurde gespeichert.",
        "Sie haben sich nicht angemeldet",
        "Von Ihrer Organisation erlaubt",
    ),
}


@pytest.fixture(params=sorted(LANGUAGES))
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def new_context(browser: Browser, language: str) -> Iterator[Callable[[], BrowserContext]]:
    """Browser profiles in the language under test, closed at the end."""
    made: list[BrowserContext] = []

    def make() -> BrowserContext:
        context = localized_context(browser, LANGUAGES[language].locale)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


def _sign_in_to_account(page: Page, server: LiveServer, heading: str) -> None:
    page.goto(server.url("/account"))
    page.locator("#login").fill("alice")
    page.locator("#password").fill(PASSWORD)
    page.locator("form[action='/login'] button.primary[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)


def _allow_an_application_offline_access(
    page: Page, server: LiveServer, site: LoopbackSite
) -> None:
    """Acme Notes, consented to with offline_access: the applications and offline sections
    list it."""
    redirect_uri = site.url("/callback")
    client = server.create_client(
        "notes",
        [redirect_uri],
        name="Acme Notes",
        scope="openid profile email offline_access",
    )
    rp = RelyingParty(server, client, redirect_uri)
    try:
        start = rp.start(scope="openid profile offline_access", prompt="consent")
        page.goto(start.url)
        page.locator("button[name=decision][value=allow]").click()
        page.wait_for_url(lambda url: url.startswith(f"{redirect_uri}?"))
        assert "refresh_token" in rp.redeem(page.url, start)
    finally:
        rp.close()


def test_the_account_page_is_accessible(
    server: LiveServer,
    new_context: Callable[[], BrowserContext],
    loopback_site: Callable[..., LoopbackSite],
    language: str,
) -> None:
    words = LANGUAGES[language]
    server.create_user("alice", PASSWORD, email="alice@example.com", name="Alice")
    # Another browser signed in too: the sessions section lists two, and offers to sign
    # out every other one.
    _sign_in_to_account(new_context().new_page(), server, words.heading)
    page = new_context().new_page()
    _sign_in_to_account(page, server, words.heading)
    site = loopback_site()
    _allow_an_application_offline_access(page, server, site)
    # The organisation allowed Acme Notes more, and Acme Directory without anyone asked.
    server.create_client("directory", [site.url("/callback")], name="Acme Directory")
    for client_id in ("notes", "directory"):
        server.cli("consent", "grant-admin", "--client", client_id, "--scope", "profile")

    # Every section, with its confirmations opened (axe checks only what is shown).
    page.goto(server.url("/account"))
    for name in words.sections:
        expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    expect(page.locator("#applications")).to_contain_text("Acme Notes")
    organisation = page.locator("#applications > ul > li", has_text=words.organisation_allowed)
    expect(organisation).to_have_count(2)
    expect(organisation.filter(has_text="Acme Directory").locator("form")).to_have_count(0)
    expect(page.locator("#offline")).to_contain_text("Acme Notes")
    expect(page.locator("#sessions li")).to_have_count(2)
    for summary in page.locator("details.confirm > summary").all():
        summary.click()
    expect(page.locator("details.confirm[open]")).to_have_count(3)
    assert_page_accessible(page, language, words.heading)

    # A refused password: the reason, announced, tied to the field, which has the focus.
    page.locator("#current_password").fill(PASSWORD)
    page.locator("#new_password").fill("password123")
    page.locator("#confirm_password").fill("password123")
    page.locator("form[action='/account/password'] button[type=submit]").click()
    expect(page.get_by_role("alert")).to_have_text(words.password_refused)
    new_password = page.locator("#new_password")
    expect(new_password).to_have_attribute("aria-invalid", "true")
    expect(new_password).to_be_focused()
    assert_page_accessible(page, language, words.heading)

    # A notice after saving the profile.
    page.locator("#given_name").fill("Alice")
    page.locator("form[action='/account/profile'] button[type=submit]").click()
    expect(page.get_by_role("status")).to_have_text(words.profile_saved)
    assert_page_accessible(page, language, words.heading)


def test_the_page_of_a_cancelled_sign_in_is_accessible(
    server: LiveServer, new_context: Callable[[], BrowserContext], language: str
) -> None:
    server.create_user("alice", PASSWORD)
    page = new_context().new_page()
    page.goto(server.url("/account"))
    page.locator("button[form=cancel_form]").click()  # the login page's cancel
    assert_page_accessible(page, language, LANGUAGES[language].not_signed_in)
