"""A multi-tenant application used by people of several tenants through ``common``, in
Chromium against a served gatehouse (docs/multi-tenant-apps.md; issue 14, part 7).

``orders`` is acme's multi-tenant application; Authlib plays it, configured with nothing but
the ``/t/common`` authority's discovery document. It is present in beta by an administrator's
consent (``gatehouse --tenant beta consent grant-admin``) and in gamma by its first person's
own consent (gamma's policy lets people add it); delta never let it in. Each person finds
their organisation on the "Find your organisation" page by their email's domain or from its
list; the tokens carry their tenant's ``iss`` and ``tid``; the application checks the ID
token's issuer against the template (as Entra's libraries do) and its API validates access
tokens with gatehouse.rs ``MultiTenantValidator`` for beta and gamma only. Runs on SQLite and
PostgreSQL."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from joserfc.errors import InvalidClaimError
from playwright.sync_api import Page, expect

from gatehouse.rs import InvalidToken, MultiTenantValidator
from tests.support.browser import LoopbackSite, answer_consent, query_of, sign_in
from tests.support.live_server import LiveServer
from tests.support.relying_party import AuthorizationStart, RelyingParty
from tests.support.tenant_server import tenant_of

# Four tenants provisioned through the real CLI, each command a process of its own: on a
# busy machine that alone can take a minute and more, beside six sign-ins in the browser.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(360)]

PASSWORD = "correct horse battery staple"
ORDERS_API = "https://orders.example.com"
SCOPE = "openid profile email offline_access orders.read"
# The tenants whose people the application, and its API, accept.
ACCEPTED = ("beta", "gamma")
ORDERS_SECRET = "orders-application-secret-0123456789abcdef"


@dataclass
class Deployment:
    server: LiveServer
    tenants: dict[str, LiveServer]
    rp: RelyingParty  # the application, knowing only the common authority
    api: MultiTenantValidator  # its API, for beta and gamma
    redirect_uri: str

    def issuer(self, tenant: str) -> str:
        return f"{self.server.issuer}/t/{tenant}"


def _provision(tenant: LiveServer, name: str, person: str, tmp_path: Path, **more: Any) -> Any:
    """The tenant's orders API (the application's scope resolves in each tenant), its
    person, and ``more`` sections, in one ``gatehouse apply``: every command is a process."""
    document = {
        "tenant": name,
        "apis": [
            {
                "identifier": ORDERS_API,
                "name": "Orders",
                "scopes": {"orders.read": "Read your orders"},
            }
        ],
        "users": [{"username": person, "password": PASSWORD, "email": f"{person}@{name}.example"}],
        **more,
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(json.dumps(document))  # JSON is YAML
    return tenant.cli("apply", str(path))


@pytest.fixture
def deployment(
    server: LiveServer, loopback_site: Callable[..., LoopbackSite], tmp_path: Path
) -> Iterator[Deployment]:
    redirect_uri = loopback_site().url("/callback")
    tenants = {
        "acme": tenant_of(server, "acme", "display_name=Acme", "domains=acme.example"),
        "beta": tenant_of(server, "beta", "display_name=Beta Industries", "domains=beta.example"),
        "gamma": tenant_of(
            server,
            "gamma",
            "display_name=Gamma Labs",
            "domains=gamma.example",
            policy=("user_consent_adds_multi_tenant_apps=true",),
        ),
        "delta": tenant_of(server, "delta", "display_name=Delta", "domains=delta.example"),
    }
    client = {
        "client_id": "orders",
        "name": "Orders",
        "secret": ORDERS_SECRET,
        "redirect_uris": [redirect_uri],
        "scope": SCOPE,
        "multi_tenant": True,
    }
    _provision(tenants["acme"], "acme", "alice", tmp_path, clients=[client])
    for name, person in (("beta", "bob"), ("gamma", "carol"), ("delta", "dave")):
        _provision(tenants[name], name, person, tmp_path)
    # beta lets the application in for everyone (its presence), as its administrator would.
    server.cli("--tenant", "beta", "consent", "grant-admin", "--client", "orders")
    common = dataclasses.replace(server, base_url=f"{server.base_url}/t/common")
    credentials = {"client_id": "orders", "client_secret": ORDERS_SECRET}
    rp = RelyingParty(common, credentials, redirect_uri, scope=SCOPE)
    api = MultiTenantValidator([f"{server.issuer}/t/{t}" for t in ACCEPTED], ORDERS_API)
    try:
        yield Deployment(server, tenants, rp, api, redirect_uri)
    finally:
        rp.close()
        api.close()


def _landed(page: Page, deployment: Deployment) -> dict[str, str]:
    page.wait_for_url(lambda url: url.startswith(f"{deployment.redirect_uri}?"))
    return query_of(page.url)


def _find_by_email(page: Page, email: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Find your organisation")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Next").click()


def _signs_in(page: Page, tenant: str, email: str, deployment: Deployment) -> None:
    """The tenant's own sign-in page, with the email typed at common already filled in."""
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.url.startswith(f"{deployment.issuer(tenant)}/login?"), page.url
    expect(page.get_by_label("Username or email")).to_have_value(email)
    sign_in(page, email, PASSWORD)


def _tokens_of(
    deployment: Deployment, page: Page, start: AuthorizationStart, tenant: str
) -> dict[str, Any]:
    """Redeemed at the common token endpoint; the ID token checked by the application, the
    access token by its API: both of ``tenant``."""
    params = _landed(page, deployment)
    assert params["iss"] == deployment.issuer(tenant)  # RFC 9207: the tenant, not common
    assert params["code"].startswith(f"{tenant}.")
    token = deployment.rp.redeem(page.url, start)
    claims = deployment.rp.validate_id_token(token, start.nonce, tenants=ACCEPTED)
    assert claims["iss"] == deployment.issuer(tenant) and claims["tid"] == tenant
    access = deployment.api.validate(token["access_token"])
    assert access.claims["iss"] == deployment.issuer(tenant)
    assert access.claims["tid"] == tenant
    assert "orders.read" in access.scopes
    return token


def test_a_multi_tenant_application_through_common(deployment: Deployment, page: Page) -> None:
    """One test, so the four tenants are provisioned once (each command is a process)."""
    assert deployment.rp.metadata["issuer"] == f"{deployment.server.issuer}/t/{{tenantid}}"
    _people_of_two_tenants_use_it(deployment, page)
    page.context.clear_cookies()
    _a_tenant_without_it_refuses_and_its_api_refuses_other_tenants(deployment, page)


def _people_of_two_tenants_use_it(deployment: Deployment, page: Page) -> None:
    rp = deployment.rp
    # bob of beta (present by an administrator's consent) types his email.
    start = rp.start()
    page.goto(start.url)
    expect(page.get_by_role("button", name="Beta Industries")).to_be_visible()
    expect(page.get_by_role("button", name="Gamma Labs")).to_have_count(0)  # not yet there
    _find_by_email(page, "bob@beta.example")
    _signs_in(page, "beta", "bob@beta.example", deployment)
    token = _tokens_of(deployment, page, start, "beta")  # no consent page: the admin's
    # Authlib alone compares iss with the discovery document's issuer, the template: a
    # client of common must check the issuer by the template and the tid instead.
    with pytest.raises(InvalidClaimError, match="iss"):
        rp.validate_id_token(token, start.nonce)
    # Refreshed through common too, still beta's.
    refreshed = rp.session.refresh_token(rp.metadata["token_endpoint"])
    assert deployment.api.validate(refreshed["access_token"]).claims["tid"] == "beta"

    # carol of gamma: her own consent brings the application into gamma.
    page.context.clear_cookies()
    start = rp.start()
    page.goto(start.url)
    _find_by_email(page, "carol@gamma.example")
    _signs_in(page, "gamma", "carol@gamma.example", deployment)
    expect(page.get_by_role("heading", level=1)).to_have_text("Allow access?")
    expect(page.locator("main")).to_contain_text("Orders")
    answer_consent(page, "Allow")
    _tokens_of(deployment, page, start, "gamma")

    # In a fresh browser, gamma is now in the list: carol picks it there.
    page.context.clear_cookies()
    start = rp.start()
    page.goto(start.url)
    page.get_by_role("button", name="Gamma Labs").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.url.startswith(f"{deployment.issuer('gamma')}/login?")
    sign_in(page, "carol", PASSWORD)
    _tokens_of(deployment, page, start, "gamma")  # consented before: straight back


def _a_tenant_without_it_refuses_and_its_api_refuses_other_tenants(
    deployment: Deployment, page: Page
) -> None:
    rp = deployment.rp

    # dave of delta, which never let the application in.
    start = rp.start()
    page.goto(start.url)
    _find_by_email(page, "dave@delta.example")
    _signs_in(page, "delta", "dave@delta.example", deployment)
    expect(page.get_by_role("heading", level=1)).to_have_text("Orders is not available in Delta")
    page.get_by_role("button", name="Go back to Orders").click()
    answer = _landed(page, deployment)
    assert answer["error"] == "access_denied" and answer["state"] == start.state
    assert "consent grant-admin" in answer["error_description"]
    assert answer["iss"] == deployment.issuer("delta")

    # alice of acme, the application's home, sent there at once by domain_hint: a token of
    # a tenant neither the application nor its API accept.
    page.context.clear_cookies()
    start = rp.start(domain_hint="acme.example")
    page.goto(start.url)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.url.startswith(f"{deployment.issuer('acme')}/login?")
    sign_in(page, "alice", PASSWORD)
    answer_consent(page, "Allow")
    _landed(page, deployment)
    token = rp.redeem(page.url, start)
    with pytest.raises(InvalidClaimError, match="iss"):
        rp.validate_id_token(token, start.nonce, tenants=ACCEPTED)
    assert rp.validate_id_token(token, start.nonce, tenants=("acme",))["tid"] == "acme"
    with pytest.raises(InvalidToken, match="not one of this API's tenants"):
        deployment.api.validate(token["access_token"])
