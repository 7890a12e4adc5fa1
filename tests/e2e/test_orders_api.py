"""gatehouse, the example orders API (examples/orders_api, a separate process that knows
gatehouse only by its issuer URL) and real clients, end to end: a web app whose user signs in
with Chromium and whose tokens Authlib redeems and refreshes, a daemon using client
credentials, and `gatehouse token explain` as an operator runs it. Runs on SQLite and
PostgreSQL."""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from playwright.sync_api import Page, expect

from tests.support.browser import LoopbackSite, answer_consent, sign_in
from tests.support.live_server import (
    ExampleApi,
    LiveServer,
    gatehouse_command,
    start_orders_api,
)
from tests.support.relying_party import RelyingParty, discover

pytestmark = pytest.mark.e2e

API = "https://orders.example.com"
PASSWORD = "correct horse battery staple"
USER_SCOPE = "openid orders.read offline_access"
TIMEOUT = 30  # seconds for one HTTP exchange on a loaded machine: a bound, not an expectation


@dataclass
class Deployment:
    """A provisioned gatehouse and the orders API validating its JWTs locally."""

    server: LiveServer
    orders: ExampleApi
    workdir: Path
    clients: dict[str, dict[str, Any]]
    redirect_uri: str

    @property
    def token_endpoint(self) -> str:
        return self.server.url("/token")


@contextmanager
def running(api: ExampleApi) -> Iterator[ExampleApi]:
    """Stop the API at the end; its log is printed, which pytest shows when a test failed."""
    try:
        yield api
    finally:
        api.stop()
        print(f"--- orders API log ({api.log_path.name}) ---\n{api.log()[-4000:]}")


@pytest.fixture(scope="module")
def deployment(
    module_server: LiveServer,
    module_loopback_site: Callable[..., LoopbackSite],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Deployment]:
    """Provisioned the way the example's README does it, through the real CLI: once per
    module and backend, shared by the tests, which leave nothing another one would see
    (``signed_in`` withdraws alice's consent after each test)."""
    server = module_server
    orders_api_client = server.cli(
        "client", "create", "--client-id", "orders-api", "--type", "confidential",
        "--grant-type", "client_credentials", "--name", "Orders API",
    )  # fmt: skip
    server.cli(
        "api", "create", "--identifier", API, "--name", "Orders",
        "--scope", "orders.read=Read your orders", "--scope", "orders.write=Place orders",
        "--app-role", "Orders.ReadAll=Read every order", "--client", "orders-api",
    )  # fmt: skip
    redirect_uri = module_loopback_site().url("/callback")
    web = server.create_client(
        "web",
        [redirect_uri],
        scope=USER_SCOPE,
        name="Order Desk",
        extra=("--grant-type", "authorization_code", "--grant-type", "refresh_token"),
    )
    daemons = {}
    for client_id in ("reporting", "stranger"):
        daemons[client_id] = server.cli(
            "client", "create", "--client-id", client_id, "--type", "confidential",
            "--grant-type", "client_credentials", "--name", f"{client_id} job",
        )  # fmt: skip
    server.cli(
        "grant", "app-role", "--client", "reporting", "--api", API, "--role", "Orders.ReadAll"
    )
    server.create_user("alice", PASSWORD, email="alice@example.com", name="Alice Liddell")
    workdir = tmp_path_factory.mktemp("orders-api")
    with running(start_orders_api(server.issuer, API, workdir)) as orders:
        yield Deployment(
            server,
            orders,
            workdir,
            {"web": web, "orders-api": orders_api_client, **daemons},
            redirect_uri,
        )


# -- the clients' side ---------------------------------------------------------------------


def call(api: ExampleApi, method: str, path: str, token: str | None, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    with requests.Session() as http:
        http.trust_env = False
        return http.request(method, api.url(path), headers=headers, timeout=TIMEOUT, **kwargs)


def claims_of(jwt: str) -> dict[str, Any]:
    """The payload, unverified: the API is the one that verifies."""
    payload = jwt.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def user_signs_in(deployment: Deployment, page: Page) -> RelyingParty:
    """Alice signs in to the web app with Chromium and allows it to read her orders; Authlib
    redeems the code. The RelyingParty's session holds the tokens."""
    rp = RelyingParty(deployment.server, deployment.clients["web"], deployment.redirect_uri)
    rp.session.scope = USER_SCOPE
    start = rp.start()
    page.goto(start.url)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    sign_in(page, "alice", PASSWORD)
    expect(page.get_by_role("heading", name="Allow access?")).to_be_visible()
    expect(page.get_by_text("Read your orders")).to_be_visible()
    answer_consent(page, "Allow")
    page.wait_for_url(lambda url: url.startswith(f"{deployment.redirect_uri}?"))
    token = rp.redeem(page.url, start)
    assert rp.validate_id_token(token, start.nonce)["nonce"] == start.nonce
    assert token["refresh_token"]
    return rp


@pytest.fixture
def signed_in(deployment: Deployment, page: Page) -> Iterator[RelyingParty]:
    rp = user_signs_in(deployment, page)
    yield rp
    rp.close()
    # The next test's sign-in must ask for consent again, as on a fresh deployment.
    deployment.server.cli("consent", "revoke", "--user", "alice", "--client", "web")


def refreshed(deployment: Deployment, rp: RelyingParty, refresh_token: str, **extra: str) -> Any:
    """Authlib's refresh; raises OAuthError on an error answer."""
    return rp.session.refresh_token(deployment.token_endpoint, refresh_token=refresh_token, **extra)


def daemon_session(deployment: Deployment, client_id: str) -> OAuth2Session:
    client = deployment.clients[client_id]
    session = OAuth2Session(client_id=client_id, client_secret=client["client_secret"])
    session.trust_env = False
    return session


def app_token(deployment: Deployment, client_id: str) -> str:
    with daemon_session(deployment, client_id) as session:
        token = session.fetch_token(
            deployment.token_endpoint, grant_type="client_credentials", scope=f"{API}/.default"
        )
    return str(token["access_token"])


def challenge(response: requests.Response) -> str:
    return str(response.headers.get("WWW-Authenticate", ""))


# -- 1. a user's token at the API -----------------------------------------------------------


def test_a_user_token_reads_orders_but_may_not_place_them(
    deployment: Deployment, signed_in: RelyingParty
) -> None:
    orders = deployment.orders
    access_token = signed_in.session.token["access_token"]
    claims = claims_of(access_token)
    assert claims["aud"] == API
    assert claims["scope"].split() == ["orders.read"]

    listed = call(orders, "GET", "/orders", access_token)
    assert listed.status_code == 200, listed.text
    assert listed.json() == {"orders": []}
    me = call(orders, "GET", "/me", access_token).json()
    assert me["sub"] == claims["sub"] and me["client_id"] == "web"

    placed = call(orders, "POST", "/orders", access_token, json={"item": "tea", "quantity": 2})
    assert placed.status_code == 403, placed.text
    assert challenge(placed).startswith("Bearer ")
    assert 'error="insufficient_scope"' in challenge(placed)
    assert 'scope="orders.write"' in challenge(placed)


def test_a_token_for_userinfo_is_the_wrong_audience_for_the_api(
    deployment: Deployment, signed_in: RelyingParty
) -> None:
    userinfo = discover(deployment.server)["userinfo_endpoint"]
    assert userinfo == deployment.server.url("/userinfo")
    token = refreshed(
        deployment, signed_in, signed_in.session.token["refresh_token"], resource=userinfo
    )
    assert claims_of(token["access_token"])["aud"] == userinfo
    assert signed_in.userinfo()["sub"] == claims_of(token["access_token"])["sub"]

    refused = call(deployment.orders, "GET", "/orders", token["access_token"])
    assert refused.status_code == 401, refused.text
    assert challenge(refused).startswith("Bearer ")
    assert 'error="invalid_token"' in challenge(refused)
    assert f"is for audience {userinfo}, not {API}" in challenge(refused)


def test_no_token_gets_a_bare_bearer_challenge(deployment: Deployment) -> None:
    refused = call(deployment.orders, "GET", "/orders", None)
    assert refused.status_code == 401, refused.text
    assert challenge(refused) == 'Bearer realm="orders"'  # RFC 6750 §3.1: no error without a token
    assert call(deployment.orders, "GET", "/health", None).status_code == 200


# -- 2. refresh: rotation and reuse detection ------------------------------------------------


def test_a_rotated_refresh_token_yields_tokens_the_api_accepts_and_reuse_ends_the_family(
    deployment: Deployment, signed_in: RelyingParty
) -> None:
    first = signed_in.session.token["refresh_token"]
    token = refreshed(deployment, signed_in, first)
    second = token["refresh_token"]
    assert second != first
    assert claims_of(token["access_token"])["aud"] == API
    accepted = call(deployment.orders, "GET", "/orders", token["access_token"])
    assert accepted.status_code == 200, accepted.text

    newest = refreshed(deployment, signed_in, second)["refresh_token"]

    # RFC 9700 §4.14.2: a used refresh token presented again, after its successor was used
    # (so it is no retry of a lost response), means it leaked; the whole family ends, so the
    # legitimate holder of the newest token has to sign in again too.
    with pytest.raises(OAuthError) as reused:
        refreshed(deployment, signed_in, first)
    assert reused.value.error == "invalid_grant"
    with pytest.raises(OAuthError) as successor:
        refreshed(deployment, signed_in, newest)
    assert successor.value.error == "invalid_grant"


# -- 3. a daemon with an app role -------------------------------------------------------------


def test_a_daemon_with_the_app_role_reads_every_order(deployment: Deployment) -> None:
    token = app_token(deployment, "reporting")
    claims = claims_of(token)
    assert claims["aud"] == API
    assert claims["roles"] == ["Orders.ReadAll"]
    assert claims["sub"] == claims["client_id"] == "reporting"

    everything = call(deployment.orders, "GET", "/admin/orders", token)
    assert everything.status_code == 200, everything.text
    assert everything.json() == {"orders": []}
    # An app role is not a delegated scope: the user-facing route stays closed to it.
    mine = call(deployment.orders, "GET", "/orders", token)
    assert mine.status_code == 403, mine.text
    assert 'scope="orders.read"' in challenge(mine)


def test_a_daemon_without_the_grant_gets_invalid_scope(deployment: Deployment) -> None:
    with daemon_session(deployment, "stranger") as session, pytest.raises(OAuthError) as refused:
        session.fetch_token(
            deployment.token_endpoint, grant_type="client_credentials", scope=f"{API}/.default"
        )
    assert refused.value.error == "invalid_scope"


# -- 4. revocation: introspection versus local validation -------------------------------------


def revoke(deployment: Deployment, client_id: str, token: str) -> None:
    with daemon_session(deployment, client_id) as session:
        response = session.revoke_token(
            deployment.server.url("/revoke"), token, token_type_hint="access_token"
        )
    assert response.status_code == 200, response.text


def test_revocation_is_seen_by_an_introspecting_api_but_not_by_local_validation(
    deployment: Deployment,
) -> None:
    """A JWT access token carries its own proof: the orders API validating it locally (keys
    from the JWKS, then iss, aud, exp) cannot know it was revoked and accepts it until it
    expires. The instance started with ``--introspect-as orders-api`` also asks gatehouse
    (RFC 7662), authenticating as the client linked to the API, and refuses it at once.

    That instance caches each answer for up to 30 s (see the example's README), so an
    active answer it already holds would outlive a revocation by as much. The revoked token
    is therefore one it has not asked about; the daemon's first token shows that it does
    accept active ones."""
    secret = deployment.clients["orders-api"]["client_secret"]
    with running(
        start_orders_api(
            deployment.server.issuer,
            API,
            deployment.workdir / "introspecting",
            introspect_as=("orders-api", secret),
        )
    ) as introspecting:
        active, revoked = app_token(deployment, "reporting"), app_token(deployment, "reporting")
        for token in (active, revoked):
            assert call(deployment.orders, "GET", "/admin/orders", token).status_code == 200
        seen = call(introspecting, "GET", "/admin/orders", active)
        assert seen.status_code == 200, seen.text

        revoke(deployment, "reporting", revoked)

        refused = call(introspecting, "GET", "/admin/orders", revoked)
        assert refused.status_code == 401, refused.text
        assert 'error="invalid_token"' in challenge(refused)
        assert "no longer active" in challenge(refused)
        still = call(deployment.orders, "GET", "/admin/orders", revoked)
        assert still.status_code == 200, still.text


# -- 5. gatehouse token explain ---------------------------------------------------------------


def explain(deployment: Deployment, token: str, *args: str) -> tuple[int, dict[str, Any]]:
    result = subprocess.run(
        [*gatehouse_command(), "token", "explain", token, *args],
        env=deployment.server.env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr.decode(errors="replace")
    return result.returncode, json.loads(result.stdout)


def test_token_explain_names_the_missing_scope(
    deployment: Deployment, signed_in: RelyingParty
) -> None:
    access_token = signed_in.session.token["access_token"]

    code, report = explain(deployment, access_token, "--audience", API, "--scope", "orders.write")
    assert code == 1
    assert not report["accepted"]
    assert "lacks the delegated scope orders.write" in report["verdict"]
    failed = [check["check"] for check in report["checks"] if not check["ok"]]
    assert failed == ["scope orders.write"]

    code, report = explain(deployment, access_token, "--audience", API, "--scope", "orders.read")
    assert code == 0, report
    assert report["accepted"]
    assert {c["check"] for c in report["checks"]} >= {"signature", "audience", "revocation"}

    # Without database access, an API developer points it at the issuer's published keys.
    code, report = explain(
        deployment, access_token, "--issuer", deployment.server.issuer,
        "--audience", API, "--scope", "orders.read",
    )  # fmt: skip
    assert code == 0, report
