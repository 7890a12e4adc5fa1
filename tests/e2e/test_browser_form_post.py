"""The form_post response mode and the hybrid flow in Chromium (OAuth 2.0 Form Post Response
Mode, OIDC Core §3.3): the "web app signs in with an ID token posted to it" pattern, with
Authlib as the web app checking the ID token's c_hash against the code posted with it; the
form_post page without JavaScript (its button), and checked by axe in English and German.
One deployment per module and backend: each test is a web app of its own (its client and
its redirect URI's site), so the consent one test stores is never another's."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from joserfc.errors import InvalidClaimError
from playwright.sync_api import Browser, Page, expect

from tests.support.accessibility import assert_page_accessible, localized_context
from tests.support.applications import (
    ALICE,
    PASSWORD,
    ApplicationDeployment,
    provision_applications,
)
from tests.support.browser import VIEWPORT, WAIT_MS, LoopbackSite, answer_consent, sign_in
from tests.support.live_server import LiveServer
from tests.support.relying_party import RelyingParty

pytestmark = pytest.mark.e2e

CONTINUE = {"en": "Continue", "de": "Weiter"}
HEADING = {"en": "Returning to the application", "de": "Zurück zur Anwendung"}


@pytest.fixture(scope="module")
def deployment(
    request: pytest.FixtureRequest,
    module_server: LiveServer,
    module_loopback_site: Callable[..., LoopbackSite],
    tmp_path_factory: pytest.TempPathFactory,
) -> ApplicationDeployment:
    """alice, and a web app (the code flow and the hybrid one) for each of the module's
    tests, in one ``gatehouse apply`` (every command is a process)."""
    applications = provision_applications(
        request,
        module_server,
        module_loopback_site,
        tmp_path_factory.mktemp("apply"),
        people=[ALICE],
        scope="openid profile email",
        response_types=["code", "code id_token"],
    )
    return ApplicationDeployment(module_server, applications)


@dataclass
class WebApp:
    server: LiveServer
    callback: LoopbackSite
    redirect_uri: str
    rp: RelyingParty

    @property
    def client_id(self) -> str:
        return self.rp.client_id

    def posted(self, page: Page) -> dict[str, str]:
        """Wait until the browser has posted the response to the redirect URI; its fields."""
        page.wait_for_url(self.redirect_uri)
        (path, fields) = self.callback.posts[-1]
        assert path == "/callback"
        return fields


@pytest.fixture
def app(deployment: ApplicationDeployment) -> Iterator[WebApp]:
    application = next(deployment.unused)
    redirect_uri = application.redirect_uri
    rp = RelyingParty(deployment.server, application.client, redirect_uri)
    yield WebApp(deployment.server, application.callback, redirect_uri, rp)
    rp.close()


def _sign_in_and_allow(page: Page, url: str) -> None:
    page.goto(url)
    sign_in(page, "alice", PASSWORD)
    answer_consent(page, "Allow")


def test_hybrid_code_id_token_posted_to_the_web_app(app: WebApp, page: Page) -> None:
    start = app.rp.start(response_type="code id_token", response_mode="form_post")
    _sign_in_and_allow(page, start.url)
    fields = app.posted(page)
    assert (fields["state"], fields["iss"]) == (start.state, app.server.issuer)
    assert "access_token" not in fields and "refresh_token" not in fields

    # Authlib's HybridIDToken: signature, iss, aud, nonce, and c_hash against the code.
    claims = app.rp.validate_hybrid_id_token(fields, start.nonce)
    assert claims["aud"] == app.client_id and claims["name"] == "Alice Liddell"
    with pytest.raises(InvalidClaimError, match="c_hash"):
        app.rp.validate_hybrid_id_token({**fields, "code": fields["code"][::-1]}, start.nonce)

    # The code redeems as in the code flow; its ID token names the same person.
    token = app.rp.redeem_code(fields["code"])
    assert app.rp.validate_id_token(token, start.nonce)["sub"] == claims["sub"]
    assert app.rp.userinfo()["email"] == "alice@example.com"


def test_code_flow_with_form_post(app: WebApp, page: Page) -> None:
    start = app.rp.start(response_mode="form_post")
    _sign_in_and_allow(page, start.url)
    fields = app.posted(page)
    assert fields["state"] == start.state and "id_token" not in fields
    token = app.rp.redeem_code(fields["code"], start.verifier)
    assert app.rp.validate_id_token(token, start.nonce)["nonce"] == start.nonce


def test_an_error_is_posted_too(app: WebApp, page: Page) -> None:
    start = app.rp.start(response_type="code id_token", response_mode="form_post", prompt="none")
    page.goto(start.url)
    fields = app.posted(page)
    assert (fields["error"], fields["state"]) == ("login_required", start.state)


def test_the_form_post_page_works_without_javascript(app: WebApp, browser: Browser) -> None:
    context = browser.new_context(viewport=VIEWPORT, java_script_enabled=False)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    try:
        start = app.rp.start(response_type="code id_token", response_mode="form_post")
        _sign_in_and_allow(page, start.url)
        expect(page.get_by_role("heading", level=1)).to_have_text(HEADING["en"])
        assert app.callback.posts == []  # nothing submitted it
        page.get_by_role("button", name="Continue").click()
        fields = app.posted(page)
        assert app.rp.validate_hybrid_id_token(fields, start.nonce)["nonce"] == start.nonce
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_form_post_page_is_accessible(app: WebApp, browser: Browser, language: str) -> None:
    context = localized_context(browser, {"en": "en-US", "de": "de-DE"}[language])
    page = context.new_page()
    # Held at the page: its script would post the form at once.
    page.route("**/static/form-post.js", lambda route: route.fulfill(body="", status=200))
    try:
        start = app.rp.start(response_mode="form_post")
        page.goto(start.url)
        page.locator("#login").fill("alice")
        page.locator("#password").fill(PASSWORD)
        page.locator("#password").press("Enter")
        page.locator("button[name=decision][value=allow]").click()
        assert_page_accessible(page, language, HEADING[language])
        expect(page.get_by_role("button", name=CONTINUE[language])).to_be_visible()
    finally:
        context.close()
