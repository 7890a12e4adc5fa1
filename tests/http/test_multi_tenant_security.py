"""The multi-tenant paths under attack (docs/multi-tenant-apps.md): codes and refresh tokens
carried to another tenant, to another client or under a forged routing prefix; the common
authority with a redirect URI not registered, hostile hints, and a client that is not
multi-tenant. Three tenants: acme (home of the multi-tenant applications ``orders`` and
``billing``), and beta and gamma where both are present."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import pytest
from starlette.testclient import TestClient

from gatehouse.admin import admin_consents as admin_consent_admin
from gatehouse.admin.tenants import update_tenant
from gatehouse.runtime import Runtime, TenantRuntimes
from gatehouse.web.tenant_dispatch import TenantDispatch
from tests.conftest import ISSUER
from tests.support.dpop import DPoPKey
from tests.support.factories import make_client, make_user
from tests.support.flow import (
    REDIRECT_URI,
    assert_error_page,
    authorize_params,
    query_of,
    redeem,
    run_flow,
)
from tests.support.tenants import server_app, tenant_client, tenant_runtimes

SCOPES = "openid profile email offline_access"


@dataclass
class World:
    tenants: TenantRuntimes
    app: TenantDispatch
    orders: dict[str, Any]
    billing: dict[str, Any]

    def http(self, name: str) -> TestClient:
        return tenant_client(self.app, name)

    def common(self) -> TestClient:
        return TestClient(self.app, base_url=ISSUER, follow_redirects=False)


@pytest.fixture
def world(runtime: Runtime) -> Iterator[World]:
    tenants = tenant_runtimes(runtime, "acme", "beta", "gamma")
    acme, beta, gamma = (tenants.get(name) for name in ("acme", "beta", "gamma"))
    assert acme is not None and beta is not None and gamma is not None
    update_tenant(runtime, "beta", ("domains=beta.example",), ())
    orders = make_client(acme, "orders", multi_tenant=True)
    billing = make_client(acme, "billing", multi_tenant=True)
    for tenant in (beta, gamma):
        make_user(tenant, "bob", email=f"bob@{tenant.store.tenant_id}.example")
        for client_id in ("orders", "billing"):
            admin_consent_admin.grant_admin_consent(tenant, client_id)
    yield World(tenants, server_app(tenants), orders, billing)


def _tokens(world: World, tenant: str, client: dict[str, Any]) -> dict[str, Any]:
    http = world.http(tenant)
    flow = run_flow(http, client["client_id"], login="bob", scope=SCOPES)
    response = redeem(http, flow.params["code"], flow.verifier, client)
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def _code_grant(code: str, verifier: str) -> dict[str, str]:
    """The form that redeems ``code`` at a token endpoint."""
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }


def _refresh(http: TestClient, path: str, refresh_token: str, client: dict[str, Any]) -> Any:
    return http.post(
        path,
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(client["client_id"], client["client_secret"]),
    )


def _assert_invalid_grant(response: Any) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_grant"


# -- Codes and refresh tokens out of their tenant or client ------------------------------------


def test_a_refresh_token_of_gamma_is_refused_at_beta_with_the_right_secret(world: World) -> None:
    refresh_token = _tokens(world, "gamma", world.orders)["refresh_token"]
    assert refresh_token.startswith("gamma.")
    _assert_invalid_grant(_refresh(world.http("beta"), "/token", refresh_token, world.orders))
    _assert_invalid_grant(_refresh(world.http("acme"), "/token", refresh_token, world.orders))
    # Still good where it was issued.
    assert _refresh(world.http("gamma"), "/token", refresh_token, world.orders).status_code == 200


def test_a_code_of_beta_is_refused_at_common_for_another_multi_tenant_client(
    world: World,
) -> None:
    beta = world.http("beta")
    flow = run_flow(beta, "orders", login="bob", scope=SCOPES)
    data = _code_grant(flow.params["code"], flow.verifier)
    billing = (world.billing["client_id"], world.billing["client_secret"])
    _assert_invalid_grant(world.common().post("/t/common/token", data=data, auth=billing))
    # billing's secret does not make it orders either.
    as_orders = world.common().post(
        "/t/common/token", data=data, auth=("orders", world.billing["client_secret"])
    )
    assert as_orders.status_code == 401 and as_orders.json()["error"] == "invalid_client"


def test_a_refresh_token_of_beta_is_refused_at_common_for_another_client(world: World) -> None:
    refresh_token = _tokens(world, "beta", world.orders)["refresh_token"]
    _assert_invalid_grant(_refresh(world.common(), "/t/common/token", refresh_token, world.billing))


@pytest.mark.parametrize("prefix", ["gamma.", "acme.", "", "default.", "common.", "nope."])
@pytest.mark.parametrize("authority", ["common", "organizations"])
def test_a_forged_routing_prefix_is_invalid_grant(
    world: World, prefix: str, authority: str
) -> None:
    """beta's code with its prefix replaced: routed to another tenant (or none), where it is
    no code at all; and the code itself still redeems at beta afterwards."""
    beta = world.http("beta")
    flow = run_flow(beta, "orders", login="bob", scope=SCOPES)
    code = flow.params["code"]
    forged = prefix + code.removeprefix("beta.")
    data = _code_grant(forged, flow.verifier)
    auth = ("orders", world.orders["client_secret"])
    _assert_invalid_grant(world.common().post(f"/t/{authority}/token", data=data, auth=auth))
    # At beta's own endpoint, the forged value is no code of beta's either.
    _assert_invalid_grant(redeem(beta, forged, flow.verifier, world.orders))
    assert redeem(beta, code, flow.verifier, world.orders).status_code == 200


def test_a_forged_refresh_token_prefix_is_invalid_grant(world: World) -> None:
    refresh_token = _tokens(world, "beta", world.orders)["refresh_token"]
    forged = "gamma." + refresh_token.removeprefix("beta.")
    _assert_invalid_grant(_refresh(world.common(), "/t/common/token", forged, world.orders))
    _assert_invalid_grant(_refresh(world.http("gamma"), "/token", forged, world.orders))


# -- The common authority's authorization endpoint ---------------------------------------------


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/callback",
        f"{REDIRECT_URI}/more",
        f"{REDIRECT_URI}?x=1",
        REDIRECT_URI.upper(),
        "",
    ],
)
@pytest.mark.parametrize(
    "hint", [{}, {"login_hint": "bob@beta.example"}, {"domain_hint": "beta.example"}]
)
def test_common_never_redirects_to_an_unregistered_uri(
    world: World, redirect_uri: str, hint: dict[str, str]
) -> None:
    params, _ = authorize_params("orders", scope=SCOPES, redirect_uri=redirect_uri, **hint)
    response = world.common().get("/t/common/authorize", params=params)
    assert "location" not in response.headers
    assert_error_page(response, "invalid_request")


def test_the_find_form_checks_the_redirect_uri_it_is_given_again(world: World) -> None:
    """The request travels through the page in a hidden field: a changed one is checked as
    if it came from the application."""
    http = world.common()
    page = http.get("/t/common/authorize", params=authorize_params("orders", scope=SCOPES)[0])
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    params, _ = authorize_params("orders", scope=SCOPES, redirect_uri="https://evil.example/cb")
    request = "&".join(f"{k}={v}" for k, v in params.items())
    for answer in ({"login": "bob@beta.example"}, {"tenant": "beta"}):
        response = http.post(
            "/t/common/authorize/find", data={"csrf_token": csrf, "request": request, **answer}
        )
        assert "location" not in response.headers
        assert_error_page(response, "invalid_request")


GARBAGE_HINTS = [
    "x" * 20_000,
    "@" * 5_000,
    "bob@" + "a" * 20_000 + ".example",
    "bob@beta.example\r\nSet-Cookie: x=1",
    "bob@beta.example\x00",
    "bob@../../etc/passwd",
    "bob@beta.example/../acme",
    "bob@\u0431eta.example",  # a Cyrillic b
    "<script>alert(1)</script>@beta.example",
]


@pytest.mark.parametrize("hint", GARBAGE_HINTS)
@pytest.mark.parametrize("name", ["login_hint", "domain_hint"])
def test_garbage_hints_show_the_page_or_an_error_never_a_500(
    world: World, name: str, hint: str
) -> None:
    params, _ = authorize_params("orders", scope=SCOPES, **{name: hint})
    response = world.common().get("/t/common/authorize", params=params)
    assert response.status_code in (200, 303, 400), response.text[:500]
    assert "<script>alert" not in response.text
    location = response.headers.get("location", "")
    if location:
        # Only a well-formed hint sends the browser on, and only to its tenant.
        assert location.startswith(f"{ISSUER}/t/beta/authorize?"), location[:200]
        assert "\r" not in location and "\n" not in location and "\x00" not in location


def test_an_oversized_login_hint_is_refused_and_a_long_one_is_cut_at_the_tenant(
    world: World,
) -> None:
    params, _ = authorize_params("orders", scope=SCOPES, login_hint="x" * 20_000 + "@beta.example")
    refused = world.common().get("/t/common/authorize", params=params)
    assert_error_page(refused, "invalid_request")
    assert "too long" in refused.text
    # Under the parameters' limit (protocol/messages.py), with a domain of a tenant: sent on,
    # and the tenant keeps no more of it than it keeps of any login_hint.
    hint = "x" * 4_000 + "@beta.example"
    params, _ = authorize_params("orders", scope=SCOPES, login_hint=hint)
    sent_on = world.common().get("/t/common/authorize", params=params)
    assert sent_on.status_code == 303
    location = sent_on.headers["location"]
    assert query_of(location)["login_hint"] == hint
    beta = world.http("beta")
    at_beta = beta.get(location.removeprefix(f"{ISSUER}/t/beta"))
    assert at_beta.status_code in (302, 303) and at_beta.headers["location"].startswith("/login?")
    login = beta.get(at_beta.headers["location"])
    assert login.status_code == 200 and "x" * 255 in login.text and "x" * 256 not in login.text


@pytest.mark.parametrize("name", ["login_hint", "domain_hint"])
def test_a_hint_that_is_not_utf_8_is_a_clear_error(world: World, name: str) -> None:
    params, _ = authorize_params("orders", scope=SCOPES)
    query = "&".join(f"{k}={v}" for k, v in params.items())
    response = world.common().get(f"/t/common/authorize?{query}&{name}=%ED%A0%80%FF")
    assert response.status_code in (200, 400), response.text[:300]
    assert "location" not in response.headers


def test_an_oversized_login_typed_on_the_page_is_answered_on_the_page(world: World) -> None:
    http = world.common()
    page = http.get("/t/common/authorize", params=authorize_params("orders", scope=SCOPES)[0])
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    request = page.text.split('name="request" value="')[1].split('"')[0].replace("&amp;", "&")
    for login in ("bob@" + "a" * 20_000 + ".example", "x" * 20_000, "<b>bob</b>@evil<.example"):
        response = http.post(
            "/t/common/authorize/find",
            data={"csrf_token": csrf, "request": request, "login": login},
        )
        assert response.status_code in (400, 413), response.text[:300]
        assert "<b>bob</b>" not in response.text


# -- A client that is not multi-tenant -----------------------------------------------------------


def test_a_single_tenant_client_at_common_is_told_to_use_its_tenant(world: World) -> None:
    acme = world.tenants.get("acme")
    assert acme is not None
    internal = make_client(acme, "internal")
    http = world.common()
    page = http.get("/t/common/authorize", params=authorize_params("internal", scope=SCOPES)[0])
    assert_error_page(page, "unauthorized_client")
    assert "not a multi-tenant application" in page.text
    assert "location" not in page.headers
    # The token endpoint, with the client named by HTTP Basic as by client_id.
    data = {"grant_type": "refresh_token", "refresh_token": "acme.abc"}
    for auth in (("internal", internal["client_secret"]), None):
        body = data if auth else {**data, "client_id": "internal"}
        response = http.post("/t/common/token", data=body, auth=auth)
        assert response.status_code == 400
        assert response.json()["error"] == "unauthorized_client"
        assert "multi-tenant" in response.json()["error_description"]


def test_a_request_at_common_must_name_its_client(world: World) -> None:
    response = world.common().post(
        "/t/common/token", data={"grant_type": "refresh_token", "refresh_token": "beta.abc"}
    )
    assert response.status_code == 400 and response.json()["error"] == "unauthorized_client"
    page = world.common().get("/t/common/authorize", params={"response_type": "code"})
    assert page.status_code == 400
    assert "location" not in page.headers


@pytest.mark.parametrize("response_mode", [None, "fragment", "form_post"])
def test_prompt_none_at_common_without_a_hint_is_interaction_required(
    world: World, response_mode: str | None
) -> None:
    """OIDC Core §3.1.2.1: with prompt=none no page may be shown; the authority cannot ask
    for the organisation, so it answers the client (in its response mode) instead."""
    extra = {"response_mode": response_mode} if response_mode else {}
    params, _ = authorize_params("orders", scope=SCOPES, prompt="none", state="s1", **extra)
    response = world.common().get("/t/common/authorize", params=params)
    if response_mode == "form_post":
        assert response.status_code == 200
        assert 'name="error" value="interaction_required"' in response.text
        assert f'value="{ISSUER}/t/common"' in response.text
        return
    assert response.status_code in (302, 303), response.text[:300]
    location = response.headers["location"]
    assert location.startswith(params["redirect_uri"])
    answer = (
        dict(parse_qsl(location.partition("#")[2]))
        if response_mode == "fragment"
        else query_of(location)
    )
    assert answer["error"] == "interaction_required"
    assert "login_hint or domain_hint" in answer["error_description"]
    assert answer["state"] == "s1" and answer["iss"] == f"{ISSUER}/t/common"


def test_prompt_none_at_common_with_a_hint_goes_on_to_the_tenant(world: World) -> None:
    params, _ = authorize_params(
        "orders", scope=SCOPES, prompt="none", login_hint="bob@beta.example"
    )
    response = world.common().get("/t/common/authorize", params=params)
    assert response.headers["location"].startswith(f"{ISSUER}/t/beta/authorize?")


def test_a_dpop_proof_made_for_common_is_refused_and_the_tenant_s_endpoint_takes_it(
    world: World,
) -> None:
    """A DPoP proof names the URL it was made for; the tenant's token endpoint, which answers
    for ``common``, accepts only its own (docs/multi-tenant-apps.md). Refused without
    touching the code, which the tenant's own endpoint then redeems, bound to the key."""
    beta = world.http("beta")
    flow = run_flow(beta, "orders", login="bob", scope=SCOPES)
    data = _code_grant(flow.params["code"], flow.verifier)
    orders = (world.orders["client_id"], world.orders["client_secret"])
    key = DPoPKey()
    at_common = world.common().post(
        "/t/common/token",
        data=data,
        auth=orders,
        headers={"DPoP": key.proof("POST", f"{ISSUER}/t/common/token")},
    )
    assert at_common.status_code == 400, at_common.text
    assert at_common.json()["error"] == "invalid_dpop_proof"

    at_beta = beta.post(
        "/token",
        data=data,
        auth=orders,
        headers={"DPoP": key.proof("POST", f"{ISSUER}/t/beta/token")},
    )
    assert at_beta.status_code == 200, at_beta.text
    assert at_beta.json()["token_type"] == "DPoP"
