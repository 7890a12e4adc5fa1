"""Passkeys in a real Chromium, with the DevTools WebAuthn virtual authenticator standing in
for a person's device: adding passkeys on /passkeys, signing in with one through the
authorization code flow to a relying party (Authlib), removing one, and what the page says
when a passkey's answer is refused. Runs on SQLite and PostgreSQL, with one deployment per
module and backend: the applications, and a person of its own for each test (a consent, a
passkey or a refused answer left by one test would change what another sees).

gatehouse's issuer is http://localhost:PORT here: a passkey's RP ID must be a domain name,
and browsers treat http://localhost as a secure context."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import BrowserContext, CDPSession, Page, Request, expect

from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.database import Database
from tests.conftest import TEST_SECRET_KEY
from tests.support.applications import module_test_names
from tests.support.browser import (
    PLATFORM_AUTHENTICATOR,
    LoopbackSite,
    answer_consent,
    query_of,
    sign_in,
)
from tests.support.live_server import LiveServer, start_server
from tests.support.relying_party import AuthorizationStart, RelyingParty

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
WEB = {"client_id": "web", "client_secret": "web-client-secret-0123456789abcdefghijkl"}
# Registered with require_mfa: a password alone does not sign in to it (docs/mfa.md).
BANK = {"client_id": "bank", "client_secret": "bank-client-secret-0123456789abcdefghij"}


class Authenticators:
    """The browser's virtual authenticators (DevTools WebAuthn domain)."""

    def __init__(self, cdp: CDPSession) -> None:
        self.cdp = cdp
        cdp.send("WebAuthn.enable", {"enableUI": False})

    def add(self, **options: Any) -> str:
        added = self.cdp.send(
            "WebAuthn.addVirtualAuthenticator", {"options": PLATFORM_AUTHENTICATOR | options}
        )
        return str(added["authenticatorId"])

    def remove(self, authenticator_id: str) -> None:
        self.cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": authenticator_id})

    def credentials(self, authenticator_id: str) -> list[dict[str, Any]]:
        found = self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
        return list(found["credentials"])


@dataclass
class Deployment:
    server: LiveServer
    redirect_uri: str
    database: Database
    people: dict[str, str]  # the username of each test's person, by the test's name


@dataclass
class App:
    server: LiveServer
    redirect_uri: str
    rp: RelyingParty
    page: Page
    authenticators: Authenticators
    database: Database
    username: str

    def landed(self) -> dict[str, str]:
        self.page.wait_for_url(lambda url: url.startswith(f"{self.redirect_uri}?"))
        return query_of(self.page.url)

    def open_login(self) -> AuthorizationStart:
        start = self.rp.start()
        self.page.goto(start.url)
        expect(self.page.get_by_role("heading", name="Sign in")).to_be_visible()
        return start

    def sign_in_with_password(self) -> None:
        self.open_login()
        sign_in(self.page, self.username, PASSWORD)
        expect(self.page.get_by_role("heading", name="Allow access?")).to_be_visible()
        answer_consent(self.page, "Allow")
        self.landed()

    def add_passkey(self, name: str) -> None:
        self.page.goto(self.server.url("/passkeys"))
        self.page.get_by_label("Name it after the device").fill(name)
        self.page.get_by_role("button", name="Add a passkey").click()
        expect(self.page.get_by_role("status")).to_have_text("Your passkey was added.")

    def sign_out(self) -> None:
        self.page.context.clear_cookies()

    def stored(self) -> list[dict[str, Any]]:
        """The test's person's passkeys in the database (other tests' people have theirs)."""
        owner = sa.select(t.users.c.id).where(t.users.c.username == self.username)
        with self.database.read() as conn:
            rows = conn.execute(
                sa.select(t.passkeys.c.name, t.passkeys.c.sign_count)
                .where(t.passkeys.c.user_id.in_(owner.scalar_subquery()))
                .order_by(t.passkeys.c.created_at)
            ).mappings()
            return [dict(row) for row in rows]


def _provision(server: LiveServer, redirect_uri: str, people: list[str], workdir: Path) -> None:
    """The applications and the people, in one ``gatehouse apply`` (every command is a
    process, the most of a test's time)."""
    application = {
        "type": "confidential",
        "redirect_uris": [redirect_uri],
        "scope": "openid profile email",
    }
    document = {
        "clients": [
            {**application, "client_id": "web", "secret": WEB["client_secret"], "name": "web app"},
            {
                **application,
                "client_id": "bank",
                "secret": BANK["client_secret"],
                "name": "Bank",
                "require_mfa": True,
            },
        ],
        "users": [
            {"username": person, "password": PASSWORD, "email": f"{person}@example.com"}
            for person in people
        ],
    }
    path = workdir / "gatehouse.yaml"
    path.write_text(json.dumps(document))  # JSON is YAML
    server.cli("apply", str(path))


@pytest.fixture(scope="module")
def deployment(
    request: pytest.FixtureRequest,
    module_database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    module_loopback_site: Callable[..., LoopbackSite],
) -> Iterator[Deployment]:
    """A server of this module's own (its issuer on localhost, see above): ``module_server``
    listens on 127.0.0.1, which cannot be a passkey's RP ID."""
    workdir = tmp_path_factory.mktemp("passkeys")
    server = start_server(
        module_database_url, workdir / "server", secret_key=TEST_SECRET_KEY, public_host="localhost"
    )
    database = Database(module_database_url)
    try:
        redirect_uri = module_loopback_site().url("/callback")
        tests = module_test_names(request.module)
        people = {test: f"alice-{number}" for number, test in enumerate(tests, start=1)}
        _provision(server, redirect_uri, list(people.values()), workdir)
        yield Deployment(server, redirect_uri, database, people)
    finally:
        database.dispose()
        server.stop()
        print(f"--- gatehouse log ---\n{server.log()[-6000:]}")


@pytest.fixture
def app(
    request: pytest.FixtureRequest, deployment: Deployment, context: BrowserContext, page: Page
) -> Iterator[App]:
    """The web application, and the test's own person, in a fresh browser."""
    rp = RelyingParty(deployment.server, WEB, deployment.redirect_uri)
    try:
        yield App(
            deployment.server,
            deployment.redirect_uri,
            rp,
            page,
            Authenticators(context.new_cdp_session(page)),
            deployment.database,
            deployment.people[request.function.__name__],
        )
    finally:
        rp.close()


def without_conditional_ui(page: Page) -> None:
    """A browser that does not offer passkeys in autofill: only the button signs in with one
    (Chromium's virtual authenticator would otherwise answer the page's conditional request
    at once, as a person picking their passkey from the autofill list)."""
    page.add_init_script("PublicKeyCredential.isConditionalMediationAvailable = async () => false;")


def test_the_passkey_button_signs_in_through_the_code_flow(app: App) -> None:
    without_conditional_ui(app.page)
    device = app.authenticators.add()
    app.sign_in_with_password()
    app.add_passkey("Laptop")
    expect(app.page.get_by_text("Laptop")).to_be_visible()
    app.sign_out()

    start = app.open_login()
    app.page.get_by_role("button", name="Sign in with a passkey").click()
    params = app.landed()  # consent was given at the password sign-in

    assert params["state"] == start.state
    claims = app.rp.validate_id_token(app.rp.redeem(app.page.url, start), start.nonce)
    assert claims["amr"] == ["hwk", "user", "pin", "mfa"]
    [credential] = app.authenticators.credentials(device)
    assert credential["signCount"] >= 1
    assert app.stored() == [{"name": "Laptop", "sign_count": credential["signCount"]}]


def test_conditional_ui_offers_the_passkey_in_the_username_autofill(app: App) -> None:
    app.authenticators.add()
    app.sign_in_with_password()
    app.add_passkey("Laptop")
    app.sign_out()

    # Nothing clicked: the autofill request is answered, at once, by the virtual
    # authenticator, so the login page may be gone before a check of it could see it.
    start = app.rp.start()
    app.page.goto(start.url)
    app.landed()

    claims = app.rp.validate_id_token(app.rp.redeem(app.page.url, start), start.nonce)
    assert claims["amr"] == ["hwk", "user", "pin", "mfa"]


def test_two_named_passkeys_one_removed_which_then_signs_in_no_more(app: App) -> None:
    without_conditional_ui(app.page)
    laptop = app.authenticators.add()
    app.sign_in_with_password()
    app.add_passkey("Laptop")
    [laptop_key] = app.authenticators.credentials(laptop)
    app.authenticators.remove(laptop)
    phone = app.authenticators.add()
    app.add_passkey("Phone")

    rows = app.page.get_by_role("listitem")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Laptop")
    expect(rows.nth(1)).to_contain_text("Phone")
    app.page.get_by_role("button", name="Remove Laptop").click()
    expect(app.page.get_by_role("status")).to_have_text("The passkey was removed.")
    expect(app.page.get_by_role("listitem")).to_have_count(1)
    assert [row["name"] for row in app.stored()] == ["Phone"]

    # The removed passkey is still on the laptop: it no longer signs in.
    app.sign_out()
    app.authenticators.remove(phone)
    again = app.authenticators.add()
    app.authenticators.cdp.send(
        "WebAuthn.addCredential", {"authenticatorId": again, "credential": laptop_key}
    )
    app.open_login()
    app.page.get_by_role("button", name="Sign in with a passkey").click()
    expect(app.page.get_by_role("alert")).to_contain_text("not registered here")
    expect(app.page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_a_bad_signature_from_the_browser_is_refused_on_the_page(app: App) -> None:
    without_conditional_ui(app.page)
    device = app.authenticators.add()
    app.sign_in_with_password()
    app.add_passkey("Laptop")
    app.sign_out()
    before = app.stored()
    app.authenticators.cdp.send(
        "WebAuthn.setResponseOverrideBits", {"authenticatorId": device, "isBogusSignature": True}
    )

    app.open_login()
    app.page.get_by_role("button", name="Sign in with a passkey").click()

    expect(app.page.get_by_role("alert")).to_contain_text("could not be verified")
    expect(app.page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert app.stored() == before  # the refused answer changed nothing


def test_a_replayed_assertion_is_refused(app: App) -> None:
    without_conditional_ui(app.page)
    app.authenticators.add()
    app.sign_in_with_password()
    app.add_passkey("Laptop")
    app.sign_out()
    sent: list[dict[str, Any]] = []

    def capture(request: Request) -> None:
        if request.url.endswith("/login/passkey") and request.post_data:
            sent.append(json.loads(request.post_data))

    app.page.on("request", capture)
    app.open_login()
    app.page.get_by_role("button", name="Sign in with a passkey").click()
    app.landed()
    app.sign_out()

    # The same answer, for a new sign-in in the same browser (its cookies, its CSRF token).
    app.open_login()
    section = app.page.locator("#passkey-sign-in")
    replay = {
        "csrf_token": section.get_attribute("data-csrf"),
        "interaction": section.get_attribute("data-interaction"),
        "credential": sent[0]["credential"],
    }
    answer = app.page.context.request.post(
        app.server.url("/login/passkey"),
        data=json.dumps(replay),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status == 400
    assert "expired or was already used" in answer.json()["error_description"]


def test_a_passkey_is_the_second_factor_after_the_password(app: App) -> None:
    """A client registered with require_mfa: the password, then the verification page
    offers the passkey, and its button completes the sign-in (docs/mfa.md)."""
    without_conditional_ui(app.page)
    app.authenticators.add()
    app.sign_in_with_password()
    app.add_passkey("Laptop")
    app.sign_out()
    bank = RelyingParty(app.server, BANK, app.redirect_uri)
    try:
        start = bank.start()
        app.page.goto(start.url)
        sign_in(app.page, app.username, PASSWORD)
        expect(app.page.get_by_role("heading", name="Two-step verification")).to_be_visible()
        app.page.get_by_role("button", name="Use a passkey").click()
        answer_consent(app.page, "Allow")
        params = app.landed()
        assert params["state"] == start.state
        claims = bank.validate_id_token(bank.redeem(app.page.url, start), start.nonce)
    finally:
        bank.close()
    amr = claims["amr"]
    assert "pwd" in amr and "mfa" in amr and {"hwk", "swk"} & set(amr), amr
