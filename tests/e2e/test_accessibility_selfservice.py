"""The self-service pages checked against WCAG 2.2 AA with axe-core in Chromium, in English
and in German (the browser's language), through a real registration and password reset
whose links come by email from `gatehouse serve` to an SMTP server on loopback
(docs/accessibility.md, docs/self-service.md)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.accessibility import assert_page_accessible, localized_context
from tests.support.live_server import LiveServer
from tests.support.smtp import Mailbox, link_in

pytestmark = pytest.mark.e2e

EMAIL = "carol@example.com"


@dataclass(frozen=True)
class Words:
    """What the pages say in one language: the browser's locale, headings, buttons, errors."""

    locale: str
    register: str
    sent: str
    confirm: str
    verified: str
    forgot: str
    reset: str
    changed: str
    used: str
    create_button: str
    confirm_button: str
    send_button: str
    set_button: str
    bad_email: str
    common_password: str


LANGUAGES = {
    "en": Words(
        locale="en-US",
        register="Create an account",
        sent="Check your email",
        confirm="Confirm your email address",
        verified="Email address confirmed",
        forgot="Forgot your password?",
        reset="Choose a new password",
        changed="Password changed",
        used="This link was already used",
        create_button="Create account",
        confirm_button="Confirm my email address",
        send_button="Send me a link",
        set_button="Set new password",
        bad_email="Enter an email address such as name@example.com.",
        common_password="This password is one of the most commonly used ones. Choose another.",
    ),
    "de": Words(
        locale="de-DE",
        register="Konto erstellen",
        sent="Sehen Sie in Ihr Postfach",
        confirm="Bestätigen Sie Ihre E-Mail-Adresse",
        verified="E-Mail-Adresse bestätigt",
        forgot="Passwort vergessen?",
        reset="Neues Passwort wählen",
        changed="Passwort geändert",
        used="Dieser Link wurde bereits verwendet",
        create_button="Konto erstellen",
        confirm_button="Meine E-Mail-Adresse bestätigen",
        send_button="Link senden",
        set_button="Neues Passwort festlegen",
        bad_email="Geben Sie eine E-Mail-Adresse wie name@example.com ein.",
        common_password=(
            "Dieses Passwort gehört zu den am häufigsten verwendeten. Wählen Sie ein anderes."
        ),
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


def _field_error(page: Page, field: str, message: str) -> None:
    """The message is tied to its field, which is marked invalid and has the focus."""
    expect(page.locator(f"#{field}-error")).to_have_text(message)
    field_input = page.locator(f"#{field}")
    expect(field_input).to_have_attribute("aria-invalid", "true")
    expect(field_input).to_be_focused()
    expect(page.get_by_role("alert")).to_be_visible()


def test_the_self_service_pages_are_accessible(
    selfservice_server: LiveServer, smtp: Mailbox, localized_page: Page, language: str
) -> None:
    server, page, words = selfservice_server, localized_page, LANGUAGES[language]

    page.goto(server.url("/register"))
    assert_page_accessible(page, language, words.register)
    page.locator("#username").fill("carol")
    page.locator("#email").fill("carol@")
    page.locator("#password").fill("carol's long passphrase")
    page.get_by_role("button", name=words.create_button).click()
    _field_error(page, "email", words.bad_email)
    assert_page_accessible(page, language, words.register)  # register.html, with its error

    page.locator("#email").fill(EMAIL)
    page.locator("#password").fill("carol's long passphrase")
    page.get_by_role("button", name=words.create_button).click()
    assert_page_accessible(page, language, words.sent)  # register_sent.html

    page.goto(link_in(smtp.wait_for(EMAIL), "/verify-email"))
    assert_page_accessible(page, language, words.confirm)  # verify_email.html
    page.get_by_role("button", name=words.confirm_button).click()
    assert_page_accessible(page, language, words.verified)  # email_verified.html

    page.goto(server.url("/password/forgot"))
    assert_page_accessible(page, language, words.forgot)
    page.locator("#email").fill(EMAIL)
    page.get_by_role("button", name=words.send_button).click()
    assert_page_accessible(page, language, words.sent)  # forgot_password_sent.html

    reset_link = link_in(smtp.wait_for(EMAIL, count=2), "/password/reset")
    page.goto(reset_link)
    assert_page_accessible(page, language, words.reset)  # reset_password.html
    page.locator("#password").fill("password1")
    page.get_by_role("button", name=words.set_button).click()
    _field_error(page, "password", words.common_password)
    assert_page_accessible(page, language, words.reset)  # with its error
    page.locator("#password").fill("a brand new passphrase")
    page.get_by_role("button", name=words.set_button).click()
    assert_page_accessible(page, language, words.changed)  # password_changed.html

    page.goto(reset_link)
    assert_page_accessible(page, language, words.used)  # email_link.html
