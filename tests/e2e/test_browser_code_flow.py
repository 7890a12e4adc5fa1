"""The authorization code flow with PKCE against a running server: Authlib is the client
application, headless Chromium is the person. Runs on SQLite and PostgreSQL, with one
deployment per module and backend: each test is an application of its own (its client and
its redirect URI's site), so the consent one test stores is never another's."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import Page, Request, expect

from tests.support.applications import (
    ALICE,
    PASSWORD,
    ApplicationDeployment,
    provision_applications,
)
from tests.support.browser import LoopbackSite, answer_consent, query_of, sign_in
from tests.support.live_server import LiveServer
from tests.support.relying_party import AuthorizationStart, RelyingParty

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def deployment(
    request: pytest.FixtureRequest,
    module_server: LiveServer,
    module_loopback_site: Callable[..., LoopbackSite],
    tmp_path_factory: pytest.TempPathFactory,
) -> ApplicationDeployment:
    """alice, and an application for each of the module's tests, in one ``gatehouse apply``
    (every command is a process)."""
    applications = provision_applications(
        request,
        module_server,
        module_loopback_site,
        tmp_path_factory.mktemp("apply"),
        people=[ALICE],
        scope="openid profile email",
    )
    return ApplicationDeployment(module_server, applications)


@dataclass
class App:
    server: LiveServer
    callback: LoopbackSite
    redirect_uri: str
    rp: RelyingParty

    @property
    def client_id(self) -> str:
        return self.rp.client_id

    def landed(self, page: Page) -> dict[str, str]:
        """Wait until the browser is on the redirect URI; the parameters it brought."""
        page.wait_for_url(lambda url: url.startswith(f"{self.redirect_uri}?"))
        return query_of(page.url)


@pytest.fixture
def app(deployment: ApplicationDeployment) -> Iterator[App]:
    application = next(deployment.unused)
    redirect_uri = application.redirect_uri
    rp = RelyingParty(deployment.server, application.client, redirect_uri)
    yield App(deployment.server, application.callback, redirect_uri, rp)
    rp.close()


def navigations(page: Page) -> list[str]:
    """Every top-level document request from now on, redirect hops included."""
    seen: list[str] = []

    def record(request: Request) -> None:
        if request.is_navigation_request() and request.frame == page.main_frame:
            seen.append(request.url)

    page.on("request", record)
    return seen


def sign_in_and_allow(app: App, page: Page) -> tuple[AuthorizationStart, dict[str, str]]:
    start = app.rp.start()
    page.goto(start.url)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    sign_in(page, "alice", PASSWORD)
    expect(page.get_by_role("heading", name="Allow access?")).to_be_visible()
    answer_consent(page, "Allow")
    return start, app.landed(page)


def test_code_flow_with_pkce_signs_in_and_issues_verifiable_tokens(app: App, page: Page) -> None:
    start, params = sign_in_and_allow(app, page)
    assert params["state"] == start.state
    assert params["iss"] == app.server.issuer  # RFC 9207
    assert "code" in params

    token = app.rp.redeem(page.url, start)
    assert token["token_type"].lower() == "bearer"
    claims = app.rp.validate_id_token(token, start.nonce)
    assert claims["iss"] == app.server.issuer
    assert claims["aud"] == app.client_id
    assert claims["nonce"] == start.nonce

    info = app.rp.userinfo()
    assert info["sub"] == claims["sub"]
    assert info["email"] == "alice@example.com"
    assert info["name"] == "Alice Liddell"


ACCESS_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO gatehouse\.access (\S+ \S+ \d{3}) [\d.]+ms$",
    re.MULTILINE,
)


def access_lines(server: LiveServer, until: str, since: str = "") -> list[str]:
    """The server's access-log lines after the one of the request ``since`` (its method and
    path; "": all of them), once one starts with ``until`` (a worker writes its line just
    after the response, so it can trail the client by a moment)."""
    deadline = time.monotonic() + 10
    while True:
        lines = ACCESS_LINE.findall(server.log())
        if since:
            lines = lines_after(lines, since)
        if any(line.startswith(until) for line in lines) or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def lines_after(lines: list[str], request: str) -> list[str]:
    """The lines after the one of ``request`` (its method and path); none before it is."""
    for n, line in enumerate(lines):
        if line.startswith(f"{request} "):
            return lines[n + 1 :]
    return []


def log_mark(server: LiveServer) -> str:
    """A request no other test makes, once its access line is written: the lines after it
    are this test's on the shared server (one worker writes its lines in the order it
    answered, and earlier tests' requests were all answered before this one was made)."""
    mark = f"GET /log-mark-{secrets.token_hex(8)}"
    with requests.Session() as http:
        http.trust_env = False  # loopback only, whatever proxy the environment names
        http.get(server.url(mark.split()[1]), timeout=10)
    assert any(line.startswith(f"{mark} ") for line in access_lines(server, mark)), mark
    return mark


def test_the_server_logs_each_request_by_path_never_its_query(app: App, page: Page) -> None:
    mark = log_mark(app.server)
    start, params = sign_in_and_allow(app, page)
    app.rp.redeem(page.url, start)

    lines = access_lines(app.server, "POST /token", since=mark)
    assert "POST /token 200" in lines, lines
    assert "POST /login 303" in lines, lines
    assert any(line.startswith("GET /authorize ") for line in lines), lines
    log = app.server.log()
    for secret in (params["code"], params["state"], start.nonce, PASSWORD):
        assert secret not in log


def test_second_authorization_uses_the_session_and_stored_consent(app: App, page: Page) -> None:
    sign_in_and_allow(app, page)

    seen = navigations(page)
    start = app.rp.start()
    page.goto(start.url)
    params = app.landed(page)

    assert not [url for url in seen if urlsplit(url).path in ("/login", "/consent")], seen
    assert params["state"] == start.state
    token = app.rp.redeem(page.url, start)
    assert app.rp.validate_id_token(token, start.nonce)["nonce"] == start.nonce


def test_prompt_login_asks_for_the_password_again(app: App, page: Page) -> None:
    sign_in_and_allow(app, page)

    start = app.rp.start(prompt="login")
    page.goto(start.url)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    sign_in(page, "alice", PASSWORD)
    params = app.landed(page)  # consent is remembered: no consent page this time

    assert params["state"] == start.state
    token = app.rp.redeem(page.url, start)
    assert app.rp.validate_id_token(token, start.nonce)["sub"]


def test_prompt_none_without_a_session_returns_login_required(app: App, page: Page) -> None:
    start = app.rp.start(prompt="none")
    page.goto(start.url)
    params = app.landed(page)

    assert params["error"] == "login_required"
    assert params["state"] == start.state
    assert params["iss"] == app.server.issuer
    assert "code" not in params


def test_prompt_none_with_a_session_returns_a_code(app: App, page: Page) -> None:
    sign_in_and_allow(app, page)

    start = app.rp.start(prompt="none")
    page.goto(start.url)
    params = app.landed(page)

    assert "error" not in params
    token = app.rp.redeem(page.url, start)
    assert app.rp.validate_id_token(token, start.nonce)["nonce"] == start.nonce


def test_denying_consent_returns_access_denied(app: App, page: Page) -> None:
    start = app.rp.start()
    page.goto(start.url)
    sign_in(page, "alice", PASSWORD)
    answer_consent(page, "Deny")
    params = app.landed(page)

    assert params["error"] == "access_denied"
    assert params["state"] == start.state
    assert params["iss"] == app.server.issuer
    assert "code" not in params


def test_unregistered_redirect_uri_shows_an_error_page(app: App, page: Page) -> None:
    elsewhere = app.callback.url("/not-registered")
    stranger = RelyingParty(app.server, {"client_id": app.client_id}, elsewhere)
    try:
        start = stranger.start()
    finally:
        stranger.close()

    response = page.goto(start.url)

    assert response is not None and response.status == 400
    assert page.url.startswith(f"{app.server.base_url}/authorize?")
    expect(page.get_by_role("heading", level=1)).to_contain_text("cannot be completed")
    expect(page.locator("dd code")).to_have_text("invalid_request")
    assert app.callback.requests == []  # the browser was never sent to the unregistered URI


def test_back_after_signing_in_returns_to_the_application(app: App, page: Page) -> None:
    """The browser's Back button from the application lands on the finished consent page;
    it no longer says "this sign-in page has expired" but goes on to the application, as
    repeating the authorization request would (a new code at the registered redirect URI)."""
    start, first = sign_in_and_allow(app, page)
    seen = navigations(page)

    page.go_back()
    params = app.landed(page)

    assert any(urlsplit(url).path == "/consent" for url in seen), seen
    assert params["state"] == start.state and params["iss"] == app.server.issuer
    assert params["code"] != first["code"]
    expect(page.get_by_text("expired")).to_have_count(0)
