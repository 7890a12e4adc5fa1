"""The login and consent pages in a real Chromium: "Remember me" across a browser restart,
partial consent, "Cancel" and "Not you?". Runs on SQLite and PostgreSQL, with one deployment
per module and backend: alice and bob, and an application "Shop" of its own for each test
(a consent given in one test would skip another's consent page)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, Playwright, expect

from tests.support.applications import ALICE, PASSWORD, module_test_names
from tests.support.browser import (
    WAIT_MS,
    LoopbackSite,
    answer_consent,
    launch_persistent_chromium,
    query_of,
    sign_in,
)
from tests.support.live_server import LiveServer
from tests.support.relying_party import AuthorizationStart, RelyingParty

pytestmark = pytest.mark.e2e

CLIENT_SECRET = "shop-client-secret-0123456789abcdefghijkl"
PEOPLE = [
    ALICE,
    {"username": "bob", "password": PASSWORD, "email": "bob@example.com", "name": "Bob"},
]


@dataclass
class Deployment:
    server: LiveServer
    redirect_uri: str
    clients: dict[str, str]  # the client_id of each test's application, by the test's name


@dataclass
class App:
    server: LiveServer
    redirect_uri: str
    rp: RelyingParty

    def landed(self, page: Page) -> dict[str, str]:
        page.wait_for_url(lambda url: url.startswith(f"{self.redirect_uri}?"))
        return query_of(page.url)


def _applications(tests: list[str], redirect_uri: str) -> dict[str, dict[str, object]]:
    """An application for each test, by the test's name, all alike and named "Shop": alice's
    consent to one test's application leaves another's consent page in place, whatever
    order the tests run in."""
    return {
        test: {
            "client_id": f"shop-{number}",
            "type": "confidential",
            "secret": CLIENT_SECRET,
            "name": "Shop",
            "redirect_uris": [redirect_uri],
            "scope": "openid profile email",
        }
        for number, test in enumerate(tests, start=1)
    }


@pytest.fixture(scope="module")
def deployment(
    request: pytest.FixtureRequest,
    module_server: LiveServer,
    module_loopback_site: Callable[..., LoopbackSite],
    tmp_path_factory: pytest.TempPathFactory,
) -> Deployment:
    """The people and the applications, in one ``gatehouse apply`` (every command is a
    process, the most of a test's time)."""
    redirect_uri = module_loopback_site().url("/callback")
    applications = _applications(module_test_names(request.module), redirect_uri)
    path = tmp_path_factory.mktemp("apply") / "gatehouse.yaml"
    path.write_text(json.dumps({"clients": list(applications.values()), "users": PEOPLE}))
    module_server.cli("apply", str(path))  # JSON is YAML
    clients = {test: str(client["client_id"]) for test, client in applications.items()}
    return Deployment(module_server, redirect_uri, clients)


@pytest.fixture
def app(request: pytest.FixtureRequest, deployment: Deployment) -> Iterator[App]:
    """The test's own application, as the relying party."""
    client = {
        "client_id": deployment.clients[request.function.__name__],
        "client_secret": CLIENT_SECRET,
    }
    rp = RelyingParty(deployment.server, client, deployment.redirect_uri)
    yield App(deployment.server, deployment.redirect_uri, rp)
    rp.close()


def _signed_in_after_restart(
    playwright: Playwright, app: App, profile: Path, *, remember_me: bool
) -> bool:
    """Sign in (and allow) in a browser with a profile of its own, close the browser, launch
    it again on the same profile: whether the person is still signed in."""
    browser = launch_persistent_chromium(playwright, profile)
    browser.set_default_timeout(WAIT_MS)
    page = browser.new_page()
    page.goto(app.rp.start().url)
    sign_in(page, "alice", PASSWORD, remember_me=remember_me)
    answer_consent(page, "Allow")
    assert "code" in app.landed(page)
    browser.close()

    browser = launch_persistent_chromium(playwright, profile)
    browser.set_default_timeout(WAIT_MS)
    try:
        page = browser.new_page()
        page.goto(app.rp.start().url)
        page.wait_for_url(lambda url: url.startswith(app.redirect_uri) or "/login?" in url)
        return page.url.startswith(app.redirect_uri)
    finally:
        browser.close()


def test_remember_me_survives_a_browser_restart(
    playwright: Playwright, app: App, tmp_path: Path
) -> None:
    assert _signed_in_after_restart(playwright, app, tmp_path / "profile", remember_me=True)


def test_without_remember_me_a_browser_restart_signs_out(
    playwright: Playwright, app: App, tmp_path: Path
) -> None:
    assert not _signed_in_after_restart(playwright, app, tmp_path / "profile", remember_me=False)


def test_partial_consent(app: App, page: Page) -> None:
    start: AuthorizationStart = app.rp.start()
    page.goto(start.url)
    sign_in(page, "alice", PASSWORD)
    expect(page.get_by_role("heading", name="Allow access?")).to_be_visible()
    email = page.get_by_role("checkbox", name="See your email address")
    expect(email).to_be_checked()
    expect(page.get_by_role("checkbox")).to_have_count(2)  # profile and email; openid is not
    email.uncheck()
    answer_consent(page, "Allow")
    app.landed(page)
    token = app.rp.redeem(page.url, start)
    assert token["scope"] == "openid profile"
    info = app.rp.userinfo()
    assert "email" not in info and info["name"] == "Alice Liddell"


def test_cancel_goes_back_to_the_application(app: App, page: Page) -> None:
    start = app.rp.start()
    page.goto(start.url)
    page.get_by_role("button", name="Cancel and go back to Shop").click()
    params = app.landed(page)
    assert params["error"] == "access_denied" and params["state"] == start.state


def test_not_you_lets_another_person_sign_in(app: App, page: Page) -> None:
    page.goto(app.rp.start().url)
    sign_in(page, "alice", PASSWORD)
    expect(page.get_by_text("Signed in as alice")).to_be_visible()
    page.get_by_role("button", name="Not you?").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    sign_in(page, "bob", PASSWORD)
    expect(page.get_by_text("Signed in as bob")).to_be_visible()
