"""MSAL for Python against a live gatehouse, as an application written for Microsoft's
identity platform uses it after changing only its authority (docs/microsoft-compatibility.md):
a daemon's client credentials for an API of the entra token profile, a web app's and a
desktop app's authorization code flow with PKCE (Chromium signing in and consenting) and
their silent refresh; and the tokens validated as an Entra-style API does, with
gatehouse.rs and with PyJWT the way Microsoft's Python sample APIs check iss, aud, tid and
scp/roles.

gatehouse is reached through a TLS front (tests/support/tls_front.py): MSAL takes only https
authorities with a path. Each test runs against the default tenant (authority
``{origin}/t/default``, where gatehouse serves the default tenant besides its bare issuer)
and against tenant acme (``{origin}/t/acme``, acme's issuer), on SQLite and PostgreSQL: one
server per module and backend serves both, each tenant provisioned once.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import msal
import pytest
import requests
from playwright.sync_api import Browser, Page

from gatehouse.rs import EntraClaims, HttpOptions, InvalidToken, TokenValidator
from tests.conftest import TEST_SECRET_KEY
from tests.support.browser import VIEWPORT, WAIT_MS, LoopbackSite, answer_consent, sign_in
from tests.support.live_server import LiveServer, start_server
from tests.support.tenant_server import tenant_of
from tests.support.tls_front import TlsFront

pytestmark = pytest.mark.e2e

ORDERS = "https://orders.example.com"
READ = f"{ORDERS}/orders.read"
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Authority:
    """What MSAL is given: the TLS front's origin below a tenant's path; and the issuer
    found there (the default tenant's is the bare origin)."""

    front: TlsFront
    tenant: str

    @property
    def url(self) -> str:
        return f"{self.front.origin}/t/{self.tenant}"

    @property
    def issuer(self) -> str:
        return self.front.origin if self.tenant == "default" else self.url


@pytest.fixture(scope="module")
def front(module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsFront]:
    """One per module and backend (``gatehouse`` starts it in front of its server)."""
    tls = TlsFront(tmp_path_factory.mktemp("tls"))
    yield tls
    tls.stop()


@pytest.fixture(params=["default", "acme"])
def authority(request: pytest.FixtureRequest, front: TlsFront) -> Authority:
    return Authority(front, request.param)


@pytest.fixture(scope="module")
def gatehouse(
    module_database_url: str, tmp_path_factory: pytest.TempPathFactory, front: TlsFront
) -> Iterator[LiveServer]:
    """``gatehouse serve`` whose issuer is the TLS front's origin, with tenant acme: one per
    module and backend, serving both authorities."""
    server = start_server(
        module_database_url,
        tmp_path_factory.mktemp("server"),
        secret_key=TEST_SECRET_KEY,
        settings={"GATEHOUSE_ISSUER": front.origin},
    )
    front.start(server.port)
    try:
        yield server
    finally:
        server.stop()
        print(f"--- gatehouse log ---\n{server.log()[-6000:]}")


@pytest.fixture(scope="module")
def callback_site(module_loopback_site: Callable[..., LoopbackSite]) -> LoopbackSite:
    """Where both apps' authorization responses are posted (each test reads its own)."""
    return module_loopback_site()


@pytest.fixture(scope="module")
def provisioned(gatehouse: LiveServer) -> dict[str, dict[str, Any]]:
    """What ``provision`` made in each tenant of ``gatehouse``, by tenant."""
    return {}


@pytest.fixture
def clients(
    gatehouse: LiveServer,
    authority: Authority,
    callback_site: LoopbackSite,
    provisioned: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """The authority's tenant provisioned (by its first test; the tests' apps are distinct
    clients, so none sees another's consent or tokens); a test's posts start empty."""
    callback_site.posts.clear()
    if authority.tenant not in provisioned:
        server = gatehouse if authority.tenant == "default" else tenant_of(gatehouse, "acme")
        provisioned[authority.tenant] = provision(server, callback_site.url("/callback"))
    return provisioned[authority.tenant]


def provision(server: LiveServer, redirect_uri: str) -> dict[str, Any]:
    """The orders API of the entra profile, a daemon with an app role on it, a web app and
    a desktop app (public) of the entra profile allowed its scope, and alice: as
    docs/microsoft-compatibility.md does. MSAL sends a client secret in the request body,
    so the confidential clients use client_secret_post."""
    server.cli(
        "api", "create", "--identifier", ORDERS, "--name", "Orders",
        "--scope", "orders.read=Read your orders",
        "--app-role", "orders.export=Export every order",
        "--token-profile", "entra",
    )  # fmt: skip
    daemon = server.cli(
        "client", "create", "--client-id", "nightly-export",
        "--grant-type", "client_credentials", "--auth-method", "client_secret_post",
    )  # fmt: skip
    server.cli(
        "grant", "app-role", "--client", "nightly-export", "--api", ORDERS,
        "--role", "orders.export",
    )  # fmt: skip
    web = server.create_client(
        "order-desk",
        [redirect_uri],
        scope=f"openid profile offline_access {READ}",
        name="Order Desk",
        extra=("--token-profile", "entra", "--auth-method", "client_secret_post"),
    )
    desktop = server.create_client(
        "desk-cli",
        [redirect_uri],
        client_type="public",
        scope=f"openid profile offline_access {READ}",
        name="Order Desk CLI",
        extra=("--token-profile", "entra"),
    )
    alice = server.create_user("alice", PASSWORD, email="alice@example.com", name="Alice")
    return {"daemon": daemon, "web": web, "desktop": desktop, "alice": alice}


def msal_http(front: TlsFront) -> requests.Session:
    """MSAL's HTTP client: trusts the front's CA, ignores proxies from the environment."""
    session = requests.Session()
    session.verify = str(front.ca_file)
    session.trust_env = False
    return session


def claims_of(token: str) -> dict[str, Any]:
    """The payload, unverified: the API checks below are the ones that verify."""
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def sample_api_check(
    authority: Authority, token: str, *, scope: str | None, role: str | None
) -> dict[str, Any]:
    """What a Microsoft sample API written with PyJWT does with a bearer token: the key from
    the authority's JWK Set, then signature, exp, iss and aud; then the tenant (tid) and the
    permission: a delegated scope in scp, or an application role in roles."""
    front = authority.front
    config = requests.get(
        f"{authority.url}/.well-known/openid-configuration", verify=str(front.ca_file), timeout=30
    ).json()
    assert config["issuer"] == authority.issuer
    keys = jwt.PyJWKClient(config["jwks_uri"], ssl_context=front.ssl_context())
    claims: dict[str, Any] = jwt.decode(
        token,
        keys.get_signing_key_from_jwt(token).key,
        algorithms=["ES256", "RS256"],
        audience=ORDERS,
        issuer=config["issuer"],
        options={"require": ["exp", "iat", "iss", "aud", "tid", "oid", "ver"]},
    )
    assert claims["tid"] in (authority.tenant,) and claims["ver"] == "2.0"
    if scope is not None:
        assert scope in claims["scp"].split(" ")
    if role is not None:
        assert role in claims["roles"]
    return claims


def rs_validator(authority: Authority, tenants: tuple[str, ...] = ()) -> TokenValidator:
    """gatehouse.rs as an Entra-style API configures it: its issuer, its audience, its
    tenants (the authority's unless given)."""
    client = httpx.Client(verify=authority.front.ssl_context(), trust_env=False)
    return TokenValidator(
        authority.issuer,
        ORDERS,
        entra=EntraClaims(list(tenants or (authority.tenant,))),
        http=HttpOptions(client=client),
    )


def test_a_daemon_gets_an_app_only_token_with_its_roles(
    clients: dict[str, Any], authority: Authority
) -> None:
    daemon = clients["daemon"]
    app = msal.ConfidentialClientApplication(
        daemon["client_id"],
        client_credential=daemon["client_secret"],
        oidc_authority=authority.url,
        http_client=msal_http(authority.front),
    )
    result = app.acquire_token_for_client(scopes=[f"{ORDERS}/.default"])
    assert "access_token" in result, result
    assert result["token_type"] == "Bearer" and result["token_source"] == "identity_provider"
    claims = claims_of(result["access_token"])
    assert claims["roles"] == ["orders.export"] and "scp" not in claims
    assert (claims["oid"], claims["azp"], claims["idtyp"]) == ("nightly-export",) * 2 + ("app",)
    assert (claims["tid"], claims["ver"], claims["azpacr"]) == (authority.tenant, "2.0", "1")
    assert claims["aud"] == ORDERS and claims["iss"] == authority.issuer
    # MSAL caches it: the second call does not go to gatehouse.
    again = app.acquire_token_for_client(scopes=[f"{ORDERS}/.default"])
    assert again["token_source"] == "cache" and again["access_token"] == result["access_token"]

    sample_api_check(authority, result["access_token"], scope=None, role="orders.export")
    with rs_validator(authority) as validator:
        token = validator.validate(result["access_token"])
        assert token.require_roles("orders.export") is token and token.scopes == frozenset()


def msal_app(authority: Authority, client: dict[str, Any]) -> msal.ClientApplication:
    """A web app (confidential, with its secret) or a desktop app (public, PKCE only)."""
    http = msal_http(authority.front)
    if "client_secret" in client:
        return msal.ConfidentialClientApplication(
            client["client_id"],
            client_credential=client["client_secret"],
            oidc_authority=authority.url,
            http_client=http,
        )
    return msal.PublicClientApplication(
        client["client_id"], oidc_authority=authority.url, http_client=http
    )


@pytest.mark.parametrize(("kind", "azpacr"), [("web", "1"), ("desktop", "0")])
def test_an_app_signs_alice_in_and_refreshes_silently(
    clients: dict[str, Any],
    authority: Authority,
    callback_site: LoopbackSite,
    browser: Browser,
    kind: str,
    azpacr: str,
) -> None:
    site = callback_site
    callback = site.url("/callback")
    client, alice = clients[kind], clients["alice"]
    app = msal_app(authority, client)
    # form_post, as MSAL recommends (RFC 9700 §4.3.1): the code never travels in a URL.
    flow = app.initiate_auth_code_flow(
        scopes=[READ], redirect_uri=callback, response_mode="form_post"
    )
    assert flow["auth_uri"].startswith(f"{authority.issuer}/authorize?")

    page = _browser_page(browser)
    page.goto(flow["auth_uri"])
    sign_in(page, "alice", PASSWORD)
    answer_consent(page)
    page.wait_for_url(callback)
    page.context.close()
    ((path, auth_response),) = site.posts
    assert path == "/callback" and auth_response["iss"] == authority.issuer  # RFC 9207

    result = app.acquire_token_by_auth_code_flow(flow, auth_response)
    assert "access_token" in result, result
    # MSAL's account: home_account_id is oid.tid, from gatehouse's client_info.
    id_claims = result["id_token_claims"]
    assert (id_claims["oid"], id_claims["tid"], id_claims["sub"]) == (
        alice["id"],
        authority.tenant,
        alice["id"],
    )
    (account,) = app.get_accounts()
    assert account["home_account_id"] == f"{alice['id']}.{authority.tenant}"
    assert account["local_account_id"] == alice["id"] and account["username"] == "alice"
    access = claims_of(result["access_token"])
    assert (access["scp"], access["oid"], access["tid"], access["ver"]) == (
        "orders.read",
        alice["id"],
        authority.tenant,
        "2.0",
    )
    assert (access["azp"], access["azpacr"], access["idtyp"]) == (
        client["client_id"],
        azpacr,
        "user",
    )
    sample_api_check(authority, result["access_token"], scope="orders.read", role=None)

    # acquire_token_silent finds the account's refresh token and redeems it.
    silent = app.acquire_token_silent([READ], account=account, force_refresh=True)
    assert silent is not None and "access_token" in silent, silent
    assert silent["token_source"] == "identity_provider"
    assert silent["access_token"] != result["access_token"]
    refreshed = claims_of(silent["access_token"])
    assert (refreshed["scp"], refreshed["oid"], refreshed["tid"]) == (
        "orders.read",
        alice["id"],
        authority.tenant,
    )
    with rs_validator(authority) as validator:
        token = validator.validate(silent["access_token"])
        assert token.require_scopes("orders.read") is token and token.claims["oid"] == alice["id"]
    # An API serving another tenant refuses it.
    with (
        rs_validator(authority, ("contoso",)) as other,
        pytest.raises(InvalidToken, match=f"tenant '{authority.tenant}'"),
    ):
        other.validate(silent["access_token"])


def _browser_page(browser: Browser) -> Page:
    """A fresh profile that trusts the front's certificate, as a browser trusts a real one."""
    context = browser.new_context(viewport=VIEWPORT, ignore_https_errors=True)
    context.set_default_timeout(WAIT_MS)
    return context.new_page()
