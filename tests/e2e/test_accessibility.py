"""The demo, error and sign-out pages, checked against WCAG 2.2 AA with axe-core in Chromium,
in English and in German (the browser's language), through a sign-in to the demo
application. The other pages are checked by area, in the test_accessibility_*.py files
beside this one (docs/accessibility.md)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.support.accessibility import assert_accessible, assert_page_accessible, localized_context
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.e2e

# The browser's locale (its Accept-Language), the page language expected, and a heading of
# each page in that language.
LANGUAGES = {
    "en": ("en-US", "gatehouse is running", "You are signed in", "Sign out?"),
    "de": ("de-DE", "gatehouse läuft", "Sie sind angemeldet", "Abmelden?"),
}


@pytest.fixture(params=sorted(LANGUAGES))
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def localized_page(browser: Browser, language: str) -> Iterator[Page]:
    context = localized_context(browser, LANGUAGES[language][0])
    yield context.new_page()
    context.close()


def test_every_translated_page_is_accessible(
    demo_server: LiveServer, localized_page: Page, language: str
) -> None:
    page = localized_page
    _, home_heading, signed_in_heading, sign_out_heading = LANGUAGES[language]
    assert demo_server.demo_credentials is not None
    username, password = demo_server.demo_credentials

    page.goto(demo_server.url("/"))
    assert_page_accessible(page, language, home_heading)

    page.goto(demo_server.url("/authorize?client_id=nobody"))  # error.html
    assert_page_accessible(page, language)

    page.goto(demo_server.url("/demo/callback"))  # demo_error.html: no sign-in was started
    assert_page_accessible(page, language)

    page.goto(demo_server.url("/demo/"))
    assert_page_accessible(page, language)
    # By field and button, not by label: the login and consent pages are not translated yet.
    page.locator("form[action='/demo/start'] button").click()
    page.locator("#login").fill(username)
    page.locator("#password").fill(password)
    page.locator("form[action='/login'] button.primary[type=submit]").click()
    page.locator("button[name=decision][value=allow]").click()
    assert_page_accessible(page, language, signed_in_heading)  # demo_result.html

    page.goto(demo_server.url("/logout"))  # logout.html: signed in, no id_token_hint
    assert_page_accessible(page, language, sign_out_heading)


def test_a_violation_fails_with_its_rule_impact_and_place(page: Page) -> None:
    page.set_content(
        "<!doctype html><html lang='en'><title>t</title><main><h1>Form</h1>"
        "<input id='nameless'><p style='color:#bbb'>faint text</p></main></html>"
    )
    with pytest.raises(AssertionError) as failure:
        assert_accessible(page)
    report = str(failure.value)
    assert "- label (critical):" in report and "#nameless" in report
    assert "- color-contrast (serious):" in report
