"""The pages of signing in through an upstream identity provider, checked against WCAG 2.2
AA with axe-core in Chromium, in English and in German: the login page with its "Sign in
with ..." button and with the notice of a link waiting for the existing account's sign-in,
and the page that says a federated sign-in did not work (docs/federation.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.accessibility import assert_page_accessible, localized_context
from tests.support.browser import LoopbackSite
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.e2e

# (locale, "Sign in", the button, the failure page's heading)
LANGUAGES = {
    "en": ("en-US", "Sign in", "Sign in with Example Corp",
           "Signing in with another provider did not work"),
    "de": ("de-DE", "Anmelden", "Mit Example Corp anmelden",
           "Die Anmeldung über einen anderen Anbieter hat nicht funktioniert"),
}  # fmt: skip


@pytest.fixture(params=sorted(LANGUAGES))
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def localized_page(browser: Browser, language: str) -> Iterator[Page]:
    context = localized_context(browser, LANGUAGES[language][0])
    yield context.new_page()
    context.close()


def test_the_federation_pages_are_accessible(
    server: LiveServer,
    loopback_site: Callable[..., LoopbackSite],
    localized_page: Page,
    language: str,
) -> None:
    page, (_locale, sign_in, button, failed) = localized_page, LANGUAGES[language]
    # Nothing answers at this upstream: the failure page is the one a person sees when an
    # identity provider is down.
    server.cli(
        "federation", "add", "corp", "--display-name", "Example Corp",
        "--discovery", "http://127.0.0.1:9/.well-known/openid-configuration",
        "--client-id", "gatehouse", "--client-secret-stdin", stdin="s3cret\n",
    )  # fmt: skip
    callback = loopback_site().url("/callback")
    server.create_client("web", [callback])
    page.goto(
        server.url("/authorize?response_type=code&client_id=web&scope=openid")
        + f"&state=s&redirect_uri={callback}&code_challenge={'a' * 43}"
        + "&code_challenge_method=S256"
    )
    expect(page.get_by_role("button", name=button)).to_be_visible()
    assert_page_accessible(page, language, sign_in)  # login.html with the button

    page.goto(page.url + "&link=corp")
    expect(page.get_by_role("status")).to_contain_text("Example Corp")
    assert_page_accessible(page, language, sign_in)  # and the link's notice

    page.get_by_role("button", name=button).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(failed)
    assert_page_accessible(page, language, failed)  # federation_error.html
