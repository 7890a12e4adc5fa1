"""Multi-tenant applications (docs/multi-tenant-apps.md): a client of tenant ``acme`` marked
multi-tenant, used by people of tenant ``beta`` once it has a presence there, and the
``common`` and ``organizations`` authorities that find a person's tenant."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient

from gatehouse.admin import admin_consents as admin_consent_admin
from gatehouse.admin import clients as client_admin
from gatehouse.admin import multi_tenant as multi_tenant_admin
from gatehouse.admin import policy as policy_admin
from gatehouse.admin.errors import AdminError
from gatehouse.admin.tenants import update_tenant
from gatehouse.keys.jose import unverified_claims
from gatehouse.runtime import Runtime, TenantRuntimes
from gatehouse.storage.sign_in_records import AuditQuery
from gatehouse.web.tenant_dispatch import TenantDispatch
from tests.conftest import ISSUER
from tests.support.factories import PASSWORD, make_client, make_user
from tests.support.flow import (
    assert_error_page,
    authorize_params,
    csrf_from,
    follow_to_client,
    query_of,
    redeem,
    run_flow,
    submit_login,
)
from tests.support.tenants import server_app, tenant_client, tenant_runtimes

SCOPES = "openid profile email offline_access"


@dataclass
class World:
    tenants: TenantRuntimes
    app: TenantDispatch
    acme: Runtime
    beta: Runtime
    app_client: dict[str, Any]  # "orders", acme's multi-tenant application

    def http(self, name: str, cookies: object = None) -> TestClient:
        return tenant_client(self.app, name, cookies)


@pytest.fixture
def world(runtime: Runtime) -> Iterator[World]:
    tenants = tenant_runtimes(runtime, "acme", "beta")
    acme, beta = tenants.get("acme"), tenants.get("beta")
    assert acme is not None and beta is not None
    update_tenant(runtime, "acme", ("domains=acme.example", "display_name=Acme"), ())
    update_tenant(runtime, "beta", ("domains=beta.example,beta-corp.example",), ())
    client = make_client(acme, "orders", multi_tenant=True)
    make_user(acme, "alice", email="alice@acme.example")
    make_user(beta, "bob", email="bob@beta.example")
    yield World(tenants, server_app(tenants), acme, beta, client)


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = unverified_claims(token)
    return claims


def _sign_in_at_beta(world: World, **overrides: Any) -> tuple[TestClient, Any, str]:
    http = world.http("beta")
    params, verifier = authorize_params("orders", scope=SCOPES, **overrides)
    return http, http.get("/authorize", params=params), verifier


# -- Registration rules ------------------------------------------------------------------------


def test_client_show_says_multi_tenant_and_update_switches_it(world: World) -> None:
    assert world.app_client["multi_tenant"] is True
    single = client_admin.update_client(
        world.acme, client_admin.ClientSpec(client_id="orders", multi_tenant=False)
    )
    assert single["multi_tenant"] is False
    assert client_admin.get_client(world.acme, "orders")["multi_tenant"] is False


def test_a_multi_tenant_client_id_is_unique_across_tenants(world: World) -> None:
    with pytest.raises(AdminError, match="multi-tenant application of tenant 'acme'"):
        make_client(world.beta, "orders")
    make_client(world.beta, "web")
    make_client(world.acme, "web")
    with pytest.raises(AdminError, match="tenant 'beta' has a client of that id"):
        client_admin.update_client(
            world.acme, client_admin.ClientSpec(client_id="web", multi_tenant=True)
        )
    with pytest.raises(AdminError, match="tenant 'acme' has a client of that id"):
        make_client(world.tenants.default, "web", multi_tenant=True)


def test_tenant_domains_are_validated_and_unique(world: World, runtime: Runtime) -> None:
    with pytest.raises(AdminError, match="already"):
        update_tenant(runtime, "beta", ("domains=acme.example",), ())
    for bad in ("localhost", "exa mple.com", "ex_ample.com", "bücher.example", "-a.example"):
        with pytest.raises(AdminError, match="domains"):
            update_tenant(runtime, "beta", (f"domains={bad}",), ())


# -- A foreign client in tenant beta ----------------------------------------------------------


def test_without_a_presence_the_person_is_told_and_the_client_gets_access_denied(
    world: World,
) -> None:
    http, response, _ = _sign_in_at_beta(world)
    assert response.status_code in (302, 303)
    response = submit_login(http, response.headers["location"], "bob", PASSWORD)
    page = http.get(response.headers["location"])
    assert page.status_code == 403
    assert "is not available in beta" in page.text
    assert "An administrator of <strong>beta</strong> must consent" in page.text
    fields = {
        "csrf_token": csrf_from(page.text),
        "interaction": query_of(response.headers["location"])["interaction"],
        "subject": page.text.split('name="subject" value="')[1].split('"')[0],
        "decision": "deny",
    }
    back = http.post("/consent", data=fields)
    params = query_of(back.headers["location"])
    assert params["error"] == "access_denied"
    assert "not available in tenant 'beta'" in params["error_description"]
    assert params["iss"] == f"{ISSUER}/t/beta"
    events = [e.type for e in world.beta.store.audit.list(AuditQuery())]
    assert "consent.not_available" in events


def test_without_a_presence_prompt_none_is_consent_required(world: World) -> None:
    http, response, _ = _sign_in_at_beta(world)
    submit_login(http, response.headers["location"], "bob", PASSWORD)
    params, _ = authorize_params("orders", scope=SCOPES, prompt="none")
    again = http.get("/authorize", params=params)
    assert query_of(again.headers["location"])["error"] == "consent_required"


def test_admin_consent_creates_the_presence_and_tokens_carry_beta(world: World) -> None:
    granted = admin_consent_admin.grant_admin_consent(world.beta, "orders")
    assert granted["home_tenant"] == "acme" and granted["changed"] is True
    assert multi_tenant_admin.list_presences(world.beta)[0]["home_tenant"] == "acme"
    http, response, verifier = _sign_in_at_beta(world)
    location = follow_to_client(http, response, login="bob")  # no consent page: admin's
    params = query_of(location)
    assert params["iss"] == f"{ISSUER}/t/beta"
    assert params["code"].startswith("beta.")
    tokens = redeem(http, params["code"], verifier, world.app_client)  # acme's secret
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    for token in (body["access_token"], body["id_token"]):
        claims = _claims(token)
        assert claims["iss"] == f"{ISSUER}/t/beta"
        assert claims["tid"] == "beta"
    assert body["refresh_token"].startswith("beta.")
    user = world.beta.store.users.find_by_login("bob")
    assert user is not None
    assert _claims(body["id_token"])["sub"] == user.id
    # What beta keeps is beta's: the session, the refresh token; acme has none of it.
    assert world.acme.store.admin_consents.list() == []


def test_a_user_consent_creates_the_presence_where_the_policy_allows(world: World) -> None:
    policy_admin.set_policy(world.beta, ("user_consent_adds_multi_tenant_apps=true",), ())
    http, response, verifier = _sign_in_at_beta(world)
    location = follow_to_client(http, response, login="bob")  # through the consent page
    tokens = redeem(http, query_of(location)["code"], verifier, world.app_client)
    assert tokens.status_code == 200, tokens.text
    presence = world.beta.store.admin_consents.get("orders")
    assert presence is not None and presence.home_tenant == "acme" and not presence.scopes
    events = [e.type for e in world.beta.store.audit.list(AuditQuery())]
    assert "consent.presence_created" in events


def test_a_wrong_secret_and_a_secret_of_beta_are_refused(world: World) -> None:
    admin_consent_admin.grant_admin_consent(world.beta, "orders")
    http, response, verifier = _sign_in_at_beta(world)
    code = query_of(follow_to_client(http, response, login="bob"))["code"]
    wrong = redeem(http, code, verifier, {**world.app_client, "client_secret": "x" * 40})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"


def test_removing_the_presence_stops_codes_refresh_tokens_and_consents(world: World) -> None:
    policy_admin.set_policy(world.beta, ("user_consent_adds_multi_tenant_apps=true",), ())
    http, response, verifier = _sign_in_at_beta(world)
    tokens = redeem(
        http, query_of(follow_to_client(http, response, login="bob"))["code"], verifier,
        world.app_client,
    ).json()  # fmt: skip
    second = run_flow(http, "orders", login="bob", scope=SCOPES)  # consented: straight back
    assert "code" in second.params
    removed = multi_tenant_admin.remove_presence(world.beta, "orders")
    assert removed == {"client_id": "orders", "home_tenant": "acme", "removed": True}
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    auth = ("orders", world.app_client["client_secret"])
    assert http.post("/token", data=refresh, auth=auth).json()["error"] == "invalid_client"
    assert redeem(http, second.params["code"], second.verifier, world.app_client).status_code == 401
    userinfo = http.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert userinfo.status_code == 401
    user = world.beta.store.users.find_by_login("bob")
    assert user is not None and world.beta.store.consents.get(user.id, "orders") is None
    with pytest.raises(AdminError, match="no presence"):
        multi_tenant_admin.remove_presence(world.beta, "orders")


@pytest.mark.parametrize("how", ["single-tenant", "deleted"])
def test_the_home_tenant_ending_the_app_ends_its_presences(world: World, how: str) -> None:
    admin_consent_admin.grant_admin_consent(world.beta, "orders")
    http, response, verifier = _sign_in_at_beta(world)
    code = query_of(follow_to_client(http, response, login="bob"))["code"]
    if how == "deleted":
        client_admin.delete_client(world.acme, "orders")
    else:
        client_admin.update_client(
            world.acme, client_admin.ClientSpec(client_id="orders", multi_tenant=False)
        )
    assert world.beta.store.admin_consents.get("orders") is None
    # Both logs say what happened: the home tenant's which tenants, beta's from where.
    [home_event] = world.acme.store.audit.list(AuditQuery(types=("admin.client.presences_ended",)))
    assert home_event.client_id == "orders" and "beta" in home_event.details["tenants"]
    [event] = world.beta.store.audit.list(AuditQuery(types=("admin.presence.ended",)))
    assert (event.client_id, event.details["home_tenant"]) == ("orders", "acme")
    assert redeem(http, code, verifier, world.app_client).status_code in (400, 401)
    again = http.get("/authorize", params=authorize_params("orders", scope=SCOPES)[0])
    assert_error_page(again, "invalid_request")


def test_a_single_tenant_client_of_acme_is_never_seen_from_beta(world: World) -> None:
    make_client(world.acme, "internal")
    admin = pytest.raises(AdminError, match="no client 'internal'")
    with admin:
        admin_consent_admin.grant_admin_consent(world.beta, "internal")
    response = world.http("beta").get(
        "/authorize", params=authorize_params("internal", scope=SCOPES)[0]
    )
    assert_error_page(response, "invalid_request")


def test_a_code_of_acme_is_refused_at_beta_and_beta_s_at_acme(world: World) -> None:
    admin_consent_admin.grant_admin_consent(world.beta, "orders")
    make_user(world.acme, "carol")
    acme = world.http("acme")
    at_acme = run_flow(acme, "orders", login="carol", scope=SCOPES)
    beta = world.http("beta")
    at_beta = run_flow(beta, "orders", login="bob", scope=SCOPES)
    elsewhere = redeem(beta, at_acme.params["code"], at_acme.verifier, world.app_client)
    assert elsewhere.json()["error"] == "invalid_grant"
    elsewhere = redeem(acme, at_beta.params["code"], at_beta.verifier, world.app_client)
    assert elsewhere.json()["error"] == "invalid_grant"


# -- The common and organizations authorities ---------------------------------------------------


def _common(world: World, authority: str = "common") -> TestClient:
    return TestClient(world.app, base_url=ISSUER, follow_redirects=False)


def test_the_common_discovery_document_publishes_an_issuer_template(world: World) -> None:
    http = _common(world)
    for authority in ("common", "organizations"):
        document = http.get(f"/t/{authority}/.well-known/openid-configuration").json()
        assert document["issuer"] == f"{ISSUER}/t/{{tenantid}}"
        assert document["authorization_endpoint"] == f"{ISSUER}/t/{authority}/authorize"
        assert document["token_endpoint"] == f"{ISSUER}/t/{authority}/token"
        assert document["jwks_uri"] == f"{ISSUER}/t/{authority}/jwks"
        assert "userinfo_endpoint" not in document
    common = {k["kid"] for k in http.get("/t/common/jwks").json()["keys"]}
    organizations = {k["kid"] for k in http.get("/t/organizations/jwks").json()["keys"]}
    default = {k["kid"] for k in http.get("/jwks").json()["keys"]}
    acme = {k["kid"] for k in http.get("/t/acme/jwks").json()["keys"]}
    assert default | acme <= common
    assert acme <= organizations and not default & organizations


def test_the_common_jwks_leaves_out_a_key_whose_publication_ended(world: World) -> None:
    # The union is read from storage, not from the tenants' key rings: it must apply the
    # same rule as each tenant's own JWKS (keys/keyring.py is_published).
    [ended, *_] = world.acme.store.keys.all()
    now = int(time.time())
    world.acme.store.keys.retire([(ended.kid, now - 120, now - 60)])
    common = {k["kid"] for k in _common(world).get("/t/common/jwks").json()["keys"]}
    assert ended.kid not in common
    assert {k.kid for k in world.beta.store.keys.all()} <= common


def test_common_sends_a_person_to_their_tenant_by_domain(world: World) -> None:
    admin_consent_admin.grant_admin_consent(world.beta, "orders")
    http = _common(world)
    params, verifier = authorize_params("orders", scope=SCOPES)
    page = http.get("/t/common/authorize", params=params)
    assert page.status_code == 200
    assert "Find your organisation" in page.text
    assert ">Acme</button>" in page.text and ">beta</button>" in page.text
    found = http.post(
        "/t/common/authorize/find",
        data={
            "csrf_token": csrf_from(page.text),
            "request": page.text.split('name="request" value="')[1]
            .split('"')[0]
            .replace("&amp;", "&"),
            "login": "bob@beta.example",
        },
    )
    assert found.status_code == 303
    location = found.headers["location"]
    assert location.startswith(f"{ISSUER}/t/beta/authorize?")
    assert query_of(location)["login_hint"] == "bob@beta.example"
    beta = world.http("beta", http.cookies)
    response = beta.get(
        urlsplit(location).path.removeprefix("/t/beta") + "?" + urlsplit(location).query
    )
    code = query_of(follow_to_client(beta, response, login="bob"))["code"]
    # The common token endpoint hands the code to beta's.
    tokens = http.post(
        "/t/common/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": params["redirect_uri"],
            "code_verifier": verifier,
        },
        auth=("orders", world.app_client["client_secret"]),
    )
    assert tokens.status_code == 200, tokens.text
    assert _claims(tokens.json()["access_token"])["tid"] == "beta"
    refreshed = http.post(
        "/t/common/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens.json()["refresh_token"]},
        auth=("orders", world.app_client["client_secret"]),
    )
    assert refreshed.status_code == 200, refreshed.text
    assert _claims(refreshed.json()["id_token"])["iss"] == f"{ISSUER}/t/beta"


def test_common_with_login_hint_goes_straight_to_the_tenant(world: World) -> None:
    params, _ = authorize_params("orders", scope=SCOPES, login_hint="alice@acme.example")
    response = _common(world).get("/t/common/authorize", params=params)
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"{ISSUER}/t/acme/authorize?")


@pytest.mark.parametrize(
    ("login", "problem"),
    [("eve@nowhere.example", "No organisation here signs in people of nowhere.example"),
     ("eve", "Type your email address")],
)  # fmt: skip
def test_common_says_when_a_domain_is_unknown(world: World, login: str, problem: str) -> None:
    http = _common(world)
    params, _ = authorize_params("orders", scope=SCOPES)
    page = http.get("/t/common/authorize", params=params)
    request = page.text.split('name="request" value="')[1].split('"')[0].replace("&amp;", "&")
    answer = http.post(
        "/t/common/authorize/find",
        data={"csrf_token": csrf_from(page.text), "request": request, "login": login},
    )
    assert answer.status_code == 400
    assert problem in answer.text
    picked = http.post(
        "/t/common/authorize/find",
        data={"csrf_token": csrf_from(page.text), "request": request, "tenant": "nope"},
    )
    assert picked.status_code == 400 and "does not sign people in here" in picked.text
    forged = http.post(
        "/t/common/authorize/find",
        data={"csrf_token": "x" * 43, "request": request, "login": login},
    )
    assert forged.status_code == 403


def test_organizations_never_sends_anyone_to_the_default_tenant(world: World) -> None:
    http = _common(world)
    params, _ = authorize_params("orders", scope=SCOPES)
    page = http.get("/t/organizations/authorize", params=params)
    request = page.text.split('name="request" value="')[1].split('"')[0].replace("&amp;", "&")
    picked = http.post(
        "/t/organizations/authorize/find",
        data={"csrf_token": csrf_from(page.text), "request": request, "tenant": "default"},
    )
    assert picked.status_code == 400


def test_only_multi_tenant_clients_may_use_common(world: World) -> None:
    make_client(world.acme, "internal")
    http = _common(world)
    single = http.get("/t/common/authorize", params=authorize_params("internal")[0])
    assert_error_page(single, "unauthorized_client")
    unknown = http.get("/t/common/authorize", params=authorize_params("nobody")[0])
    assert_error_page(unknown, "invalid_request")
    bad_uri = http.get(
        "/t/common/authorize",
        params=authorize_params("orders", redirect_uri="https://evil.example/cb")[0],
    )
    assert_error_page(bad_uri, "invalid_request")
    token = http.post(
        "/t/common/token",
        data={"grant_type": "authorization_code", "code": "acme.x", "client_id": "internal"},
    )
    assert token.status_code == 400 and token.json()["error"] == "unauthorized_client"


@pytest.mark.parametrize("code", ["nope.abc", "default-less", "Bad%20.x", "organizations.abc"])
def test_the_common_token_endpoint_refuses_codes_it_cannot_route(world: World, code: str) -> None:
    response = _common(world).post(
        "/t/organizations/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": "x"},
        auth=("orders", world.app_client["client_secret"]),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_the_common_token_endpoint_takes_codes_and_refresh_tokens_only(world: World) -> None:
    response = _common(world).post(
        "/t/common/token",
        data={"grant_type": "client_credentials"},
        auth=("orders", world.app_client["client_secret"]),
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
