"""Signing in through an upstream identity provider in Chromium (docs/federation.md): two
real `gatehouse serve` processes on loopback with separate databases — the upstream (at
"localhost", so the two servers' cookies stay apart) and the gatehouse under test (on
every backend of ``database_url``), registered at the upstream as a client — and Authlib
as the application of the gatehouse under test; in its default tenant and in tenant acme,
whose upstreams are its own (docs/tenants.md).

One upstream per module, and one deployment per module and backend for the default tenant's
tests, each signing in as an upstream person of its own (so that no test finds an account
or a link another made); the tenant test has a server of its own, whose default tenant has
no upstream and nobody in it."""

from __future__ import annotations

import json
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import TEST_SECRET_KEY
from tests.support.browser import LoopbackSite, answer_consent, query_of, sign_in
from tests.support.live_server import LiveServer, start_server
from tests.support.relying_party import AuthorizationStart, RelyingParty
from tests.support.tenant_server import tenant_of

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
BUTTON = "Sign in with Example Corp"


@pytest.fixture(scope="module")
def upstream(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """Shared by every test and backend of the module: each downstream registers as a client
    of its own here, and signing in changes nothing here a browser context does not hold."""
    workdir = tmp_path_factory.mktemp("upstream")
    database = workdir / "upstream.db"
    shutil.copyfile(sqlite_template, database)
    live = start_server(
        f"sqlite:///{database}", workdir, secret_key=TEST_SECRET_KEY, public_host="localhost"
    )
    verified_user(live, "alice", "alice@corp.example", "--name", "Alice Corp")
    # carol's email is that of a local account (test of linking); alice's becomes JIT.
    verified_user(live, "carol", "carol@corp.example", "--name", "Carol Corp")
    try:
        yield live
    finally:
        live.stop()
        print(f"--- upstream log ---\n{live.log()[-6000:]}")


def verified_user(server: LiveServer, username: str, email: str, *extra: str) -> dict[str, Any]:
    args = ["user", "create", "--username", username, "--password-stdin", "--email", email]
    return dict(server.cli(*args, "--email-verified", *extra, stdin=PASSWORD + "\n"))


@dataclass
class Federation:
    server: LiveServer  # the gatehouse under test
    upstream: LiveServer
    redirect_uri: str
    rp: RelyingParty

    def start(self, page: Page) -> AuthorizationStart:
        start = self.rp.start()
        page.goto(start.url)
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        return start

    def landed(self, page: Page) -> dict[str, str]:
        page.wait_for_url(lambda url: url.startswith(f"{self.redirect_uri}?"))
        return query_of(page.url)


@pytest.fixture(scope="module")
def federation(
    module_server: LiveServer,
    upstream: LiveServer,
    module_loopback_site: Callable[..., LoopbackSite],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Federation]:
    """The default tenant of the module's deployment (one per backend), its upstream ``corp``
    and its application ``web``: one ``gatehouse apply`` at the gatehouse under test."""
    server = module_server
    # The upstream outlives this backend's deployment: a client id of this deployment's own.
    downstream = f"downstream-{secrets.token_hex(4)}"
    registered = upstream.create_client(
        downstream,
        [server.url("/login/federated/callback")],
        extra=(
            "--first-party",
            "--post-logout-redirect-uri",
            server.url("/logout/federated/done"),
        ),
    )
    redirect_uri = module_loopback_site().url("/callback")
    deployment = {
        "upstream_providers": [
            {
                "alias": "corp",
                "display_name": "Example Corp",
                "discovery": upstream.url("/.well-known/openid-configuration"),
                "client_id": downstream,
                "client_secret": registered["client_secret"],
                "jit": True,
            }
        ],
        "clients": [
            {
                "client_id": "web",
                "type": "confidential",
                "name": "web app",
                "redirect_uris": [redirect_uri],
                "scope": "openid profile email",
            }
        ],
    }
    client = {"client_id": "web", "client_secret": _apply(server, deployment, tmp_path_factory)}
    rp = RelyingParty(server, client, redirect_uri)
    yield Federation(server, upstream, redirect_uri, rp)
    rp.close()


def _apply(server: LiveServer, deployment: dict[str, Any], tmp: pytest.TempPathFactory) -> str:
    """``gatehouse apply`` of ``deployment`` (JSON is YAML); the secret it made for ``web``."""
    path = tmp.mktemp("apply") / "deployment.yaml"
    path.write_text(json.dumps(deployment))
    report = server.cli("apply", str(path))
    [secret] = [c["client_secret"] for c in report["changes"] if c["kind"] == "client"]
    return str(secret)


def user_ids(server: LiveServer) -> set[str]:
    return {user["id"] for user in server.cli("user", "list")}


def sign_in_upstream(page: Page, fed: Federation, username: str = "alice") -> None:
    page.get_by_role("button", name=BUTTON).click()
    page.wait_for_url(lambda url: url.startswith(fed.upstream.url("/login")))
    sign_in(page, username, PASSWORD)


def tokens_after_consent(page: Page, fed: Federation, start: AuthorizationStart) -> dict[str, str]:
    expect(page.get_by_role("heading", name="Allow access?")).to_be_visible()
    answer_consent(page, "Allow")
    fed.landed(page)
    token = fed.rp.redeem(page.url, start)
    return fed.rp.validate_id_token(token, start.nonce)


def test_first_sign_in_creates_the_account_the_next_finds_it_and_logout_goes_upstream(
    federation: Federation, page: Page
) -> None:
    # The deployment is shared: "the sign-in made exactly one account" is what was added.
    before = user_ids(federation.server)
    start = federation.start(page)
    sign_in_upstream(page, federation)
    claims = tokens_after_consent(page, federation, start)
    assert claims["amr"] == ["fed"]
    [user] = [u for u in federation.server.cli("user", "list") if u["id"] not in before]
    assert claims["sub"] == user["id"]
    assert (user["username"], user["email"], user["email_verified"]) == (
        "alice", "alice@corp.example", True,
    )  # fmt: skip

    # Signing out of the gatehouse under test signs out of the upstream too.
    page.goto(federation.server.url("/logout"))
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(lambda url: url.startswith(federation.server.url("/logout/federated/done")))
    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()

    # The next sign-in asks the upstream for the password again, and finds the same account.
    start = federation.start(page)
    sign_in_upstream(page, federation)
    page.wait_for_url(lambda url: url.startswith(f"{federation.redirect_uri}?"))
    token = federation.rp.redeem(page.url, start)
    assert federation.rp.validate_id_token(token, start.nonce)["sub"] == user["id"]
    assert user_ids(federation.server) == before | {user["id"]}


def test_an_existing_account_is_linked_after_its_own_password(
    federation: Federation, page: Page
) -> None:
    local = verified_user(federation.server, "carol-local", "carol@corp.example")
    start = federation.start(page)
    sign_in_upstream(page, federation, "carol")
    page.wait_for_url(lambda url: "link=corp" in url)
    expect(page.get_by_role("status")).to_contain_text("Sign in to that account once")
    sign_in(page, "carol-local", PASSWORD)
    claims = tokens_after_consent(page, federation, start)
    assert claims["sub"] == local["id"]
    linked = federation.server.cli("audit", "list", "--type", "federation.linked")
    assert [event["user_id"] for event in linked] == [local["id"]]


def test_a_federated_sign_in_into_a_tenant_stays_in_that_tenant(
    server: LiveServer,
    upstream: LiveServer,
    loopback_site: Callable[..., LoopbackSite],
    page: Page,
) -> None:
    acme = tenant_of(server, "acme", "display_name=Acme Corporation")
    # The upstream is the module's: a client id of this server's own.
    acme_client_id = f"acme-{secrets.token_hex(4)}"
    registered = upstream.create_client(
        acme_client_id,
        [f"{server.issuer}/t/acme/login/federated/callback"],
        extra=(
            "--first-party",
            "--post-logout-redirect-uri",
            f"{server.issuer}/t/acme/logout/federated/done",
        ),
    )
    server.cli(
        "--tenant", "acme", "federation", "add", "corp", "--display-name", "Example Corp",
        "--discovery", upstream.url("/.well-known/openid-configuration"),
        "--client-id", acme_client_id, "--client-secret-stdin", "--jit",
        stdin=registered["client_secret"] + "\n",
    )  # fmt: skip
    shown = server.cli("--tenant", "acme", "federation", "show", "corp")
    assert shown["redirect_uri"] == acme.url("/login/federated/callback")
    assert shown["post_logout_redirect_uri"] == acme.url("/logout/federated/done")
    redirect_uri = loopback_site().url("/callback")
    rp = RelyingParty(acme, acme.create_client("web", [redirect_uri]), redirect_uri)
    try:
        _sign_in_through_acme(page, server, Federation(acme, upstream, redirect_uri, rp))
    finally:
        rp.close()


def _sign_in_through_acme(page: Page, server: LiveServer, fed: Federation) -> None:
    acme = fed.server
    start = fed.start(page)
    expect(page.locator("header.brand")).to_have_text("Acme Corporation")
    sign_in_upstream(page, fed)
    claims = tokens_after_consent(page, fed, start)
    assert claims["iss"] == acme.issuer == f"{server.issuer}/t/acme"
    assert claims["amr"] == ["fed"]
    # Just in time, in acme: the person exists there, and the default tenant has nobody.
    [user] = acme.cli("user", "list")
    assert (claims["sub"], user["username"]) == (user["id"], "alice")
    assert server.cli("user", "list") == []

    # The default tenant's sign-in page knows nothing of acme's upstream.
    page.goto(server.url("/account"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name=BUTTON)).to_have_count(0)

    # Signing out of acme signs out of the upstream, and comes back to acme's own page.
    page.goto(acme.url("/logout"))
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(lambda url: url.startswith(acme.url("/logout/federated/done")))
    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()
    expect(page.locator("header.brand")).to_have_text("Acme Corporation")

    # The upstream asks for the password again; acme finds the same account.
    start = fed.start(page)
    sign_in_upstream(page, fed)
    fed.landed(page)
    token = fed.rp.redeem(page.url, start)
    assert fed.rp.validate_id_token(token, start.nonce)["sub"] == user["id"]
