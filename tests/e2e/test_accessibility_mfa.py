"""The second-factor pages checked against WCAG 2.2 AA with axe-core in Chromium, in English
and in German (the browser's language): setting up an authenticator app (with a wrong code),
the recovery codes, /mfa, the passkeys page before and after adding one (Chromium's virtual
authenticator), and the verification step offering a passkey, a code and a recovery code,
with a wrong code's message. docs/accessibility.md.

The login and consent pages on the way are reached by their fields, not their words (other
pages' translations are not this file's business). gatehouse's issuer is
http://localhost:PORT: a passkey's RP ID must be a domain name."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import TEST_SECRET_KEY
from tests.support.accessibility import assert_page_accessible, localized_context
from tests.support.browser import PLATFORM_AUTHENTICATOR, LoopbackSite
from tests.support.live_server import LiveServer, start_server
from tests.support.relying_party import RelyingParty

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"

# The browser's locale, and what each page says in that language.
LANGUAGES = {
    "en": {
        "locale": "en-US",
        "enrol": "Set up an authenticator app",
        "not_digits": "The code is 6 digits, like 123456. Type it without letters.",
        "codes": "Save your recovery codes",
        "mfa": "Two-step verification",
        "passkeys": "Your passkeys",
        "added": "Your passkey was added.",
        "verify": "Two-step verification",
        "wrong": "That code is not right, or it was already used. Try the newest code.",
    },
    "de": {
        "locale": "de-DE",
        "enrol": "Authenticator-App einrichten",
        "not_digits": "Der Code hat 6 Ziffern, etwa 123456. Geben Sie ihn ohne Buchstaben ein.",
        "codes": "Speichern Sie Ihre Wiederherstellungscodes",
        "mfa": "Bestätigung in zwei Schritten",
        "passkeys": "Ihre Passkeys",
        "added": "Ihr Passkey wurde hinzugefügt.",
        "verify": "Bestätigung in zwei Schritten",
        "wrong": (
            "Dieser Code ist nicht richtig oder wurde schon verwendet. "
            "Versuchen Sie den neuesten Code."
        ),
    },
}


@pytest.fixture(params=sorted(LANGUAGES))
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def passkey_server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    server = start_server(
        database_url, tmp_path / "server", secret_key=TEST_SECRET_KEY, public_host="localhost"
    )
    try:
        yield server
    finally:
        server.stop()
        print(f"--- gatehouse log ---\n{server.log()[-6000:]}")


@pytest.fixture
def localized_page(browser: Browser, language: str) -> Iterator[Page]:
    context = localized_context(browser, LANGUAGES[language]["locale"])
    page = context.new_page()
    # Only the button uses a passkey: Chromium's virtual authenticator would otherwise answer
    # the login page's autofill request (conditional UI) at once.
    page.add_init_script("PublicKeyCredential.isConditionalMediationAvailable = async () => false;")
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": PLATFORM_AUTHENTICATOR})
    yield page
    context.close()


def _sign_in_with_password(page: Page) -> None:
    page.locator("#login").fill("alice")
    page.locator("#password").fill(PASSWORD)
    page.locator("form[action='/login'] button.primary[type=submit]").click()


def _wrong_code(secret: str) -> str:
    """Six digits the app shows at no step the server accepts now (one either side)."""
    now = int(time.time())
    accepted = {pyotp.TOTP(secret).at(now + 30 * step) for step in range(-2, 3)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in accepted)


def test_the_second_factor_pages_are_accessible(
    passkey_server: LiveServer,
    loopback_site: Callable[..., LoopbackSite],
    localized_page: Page,
    language: str,
) -> None:
    page, words = localized_page, LANGUAGES[language]
    redirect_uri = loopback_site().url("/callback")
    bank = passkey_server.create_client(
        "bank", [redirect_uri], name="Bank", extra=("--require-mfa",)
    )
    passkey_server.create_user("alice", PASSWORD)
    rp = RelyingParty(passkey_server, bank, redirect_uri)
    try:
        # The bank requires a second factor: the person sets up an authenticator app.
        page.goto(rp.start().url)
        _sign_in_with_password(page)
        assert_page_accessible(page, language, words["enrol"])  # totp_enroll.html
        secret = page.locator("#totp-secret").inner_text().replace(" ", "")
        page.locator("#code").fill("12ab")
        page.locator("form[action='/mfa/totp/enroll'] button[type=submit]").click()
        expect(page.get_by_role("alert")).to_have_text(words["not_digits"])
        expect(page.locator("#code")).to_have_attribute("aria-invalid", "true")
        assert_page_accessible(page, language, words["enrol"])
        page.locator("#code").fill(pyotp.TOTP(secret).now())
        page.locator("form[action='/mfa/totp/enroll'] button[type=submit]").click()
        assert_page_accessible(page, language, words["codes"])  # recovery_codes.html

        # Signed in with both factors: the pages of a signed-in person.
        page.goto(passkey_server.url("/mfa"))
        assert_page_accessible(page, language, words["mfa"])  # mfa.html
        page.goto(passkey_server.url("/passkeys"))
        assert_page_accessible(page, language, words["passkeys"])  # passkeys.html, none yet
        page.locator("#passkey-name").fill("Laptop")
        page.locator("#add-passkey button[type=submit]").click()
        expect(page.get_by_role("status")).to_have_text(words["added"])
        assert_page_accessible(page, language, words["passkeys"])  # with the passkey listed

        # A new sign-in: the second step offers the passkey, a code and a recovery code.
        page.context.clear_cookies()
        page.goto(rp.start().url)
        _sign_in_with_password(page)
        assert_page_accessible(page, language, words["verify"])  # verify.html, mfa/offer_*.html
        expect(page.locator("#passkey-factor button")).to_be_visible()
        page.locator("#code").fill(_wrong_code(secret))
        page.locator("form:has(input[name=method][value=totp]) button[type=submit]").click()
        expect(page.get_by_role("alert").filter(has_text=words["wrong"])).to_be_visible()
        expect(page.locator("#code")).to_have_attribute("aria-invalid", "true")
        assert_page_accessible(page, language, words["verify"])
    finally:
        rp.close()
