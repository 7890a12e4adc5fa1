"""Isolation is the product: nothing one tenant issued or holds is accepted by another
tenant's endpoints. Each test mints something in tenant ``home`` and presents it to tenant
``other``, for a pair of new tenants and for the default tenant with a new one, both ways;
the answer is the spec's error (invalid_grant, invalid_client, invalid_token, ...), never a
500, and what was presented still works at home.

Both tenants have a client ``web`` with the same id and a user ``alice`` with the same
password: they differ only by tenant.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from gatehouse.runtime import Runtime, TenantRuntimes
from gatehouse.web.cookies import CookieNames
from tests.support.device import enter_code, make_device_client, poll, start_device
from tests.support.factories import PASSWORD, make_client, make_user
from tests.support.flow import (
    assert_error_page,
    authorize_params,
    query_of,
    redeem,
    run_flow,
    submit_login,
)
from tests.support.tenants import server_app, tenant_client, tenant_runtimes

LOGGED_OUT = "https://app.example.com/logged-out"
PAIRS = [("acme", "beta"), ("beta", "acme"), ("default", "acme"), ("acme", "default")]


@dataclass
class Side:
    name: str
    runtime: Runtime
    http: TestClient
    web: dict[str, Any]
    tv: dict[str, Any]

    @property
    def session_cookie(self) -> str:
        return CookieNames.of_tenant(self.name).session


@dataclass
class Minted:
    """What ``home`` issued to alice and her client ``web``."""

    tokens: dict[str, Any]
    code: str
    verifier: str
    session: str


def _side(app: Any, tenants: TenantRuntimes, name: str) -> Side:
    runtime = tenants.get(name)
    assert runtime is not None
    web = make_client(runtime, post_logout_redirect_uris=[LOGGED_OUT])
    tv = make_device_client(runtime)
    make_user(runtime)
    return Side(name, runtime, tenant_client(app, name), web, tv)


@pytest.fixture(params=PAIRS, ids=[f"{a}-to-{b}" for a, b in PAIRS])
def sides(request: pytest.FixtureRequest, runtime: Runtime) -> Iterator[tuple[Side, Side]]:
    tenants = tenant_runtimes(runtime, "acme", "beta")
    app = server_app(tenants)
    home, other = (_side(app, tenants, name) for name in request.param)
    with home.http, other.http:
        yield home, other


@pytest.fixture
def home(sides: tuple[Side, Side]) -> Side:
    return sides[0]


@pytest.fixture
def other(sides: tuple[Side, Side]) -> Side:
    return sides[1]


@pytest.fixture
def minted(home: Side) -> Minted:
    first = run_flow(home.http, scope="openid profile email offline_access")
    tokens = redeem(home.http, first.params["code"], first.verifier, home.web)
    assert tokens.status_code == 200, tokens.text
    second = run_flow(home.http)  # signed in already: straight back with a code
    return Minted(
        tokens.json(),
        second.params["code"],
        second.verifier,
        home.http.cookies[home.session_cookie],
    )


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _introspected(side: Side, token: str) -> dict[str, Any]:
    response = side.http.post(
        "/introspect",
        data={"token": token},
        auth=(side.web["client_id"], side.web["client_secret"]),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_code_is_invalid_grant_elsewhere_and_still_redeems_at_home(
    home: Side, other: Side, minted: Minted
) -> None:
    response = redeem(other.http, minted.code, minted.verifier, other.web)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert redeem(home.http, minted.code, minted.verifier, home.web).status_code == 200


def test_a_refresh_token_is_invalid_grant_elsewhere(
    home: Side, other: Side, minted: Minted
) -> None:
    refresh = {"grant_type": "refresh_token", "refresh_token": minted.tokens["refresh_token"]}
    elsewhere = other.http.post(
        "/token", data=refresh, auth=(other.web["client_id"], other.web["client_secret"])
    )
    assert elsewhere.status_code == 400
    assert elsewhere.json()["error"] == "invalid_grant"
    at_home = home.http.post(
        "/token", data=refresh, auth=(home.web["client_id"], home.web["client_secret"])
    )
    assert at_home.status_code == 200, at_home.text


def test_an_access_token_is_invalid_token_at_userinfo_and_inactive_at_introspection(
    home: Side, other: Side, minted: Minted
) -> None:
    access_token = minted.tokens["access_token"]
    userinfo = other.http.get("/userinfo", headers=_bearer(access_token))
    assert userinfo.status_code == 401
    assert 'error="invalid_token"' in userinfo.headers["www-authenticate"]
    assert _introspected(other, access_token) == {"active": False}
    assert _introspected(other, minted.tokens["refresh_token"]) == {"active": False}
    # RFC 7009 §2.2: revoking a token the server does not know is a 200, and changes nothing.
    revoked = other.http.post(
        "/revoke",
        data={"token": access_token},
        auth=(other.web["client_id"], other.web["client_secret"]),
    )
    assert revoked.status_code == 200
    assert _introspected(home, access_token)["active"] is True
    assert home.http.get("/userinfo", headers=_bearer(access_token)).status_code == 200


def test_a_client_s_secret_is_invalid_client_elsewhere(home: Side, other: Side) -> None:
    response = other.http.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": "x" * 43},
        auth=(home.web["client_id"], home.web["client_secret"]),
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_a_client_of_one_tenant_is_unknown_to_another(home: Side, other: Side) -> None:
    make_client(home.runtime, "home-only")
    params, _ = authorize_params("home-only")
    page = other.http.get("/authorize", params=params)
    assert_error_page(page, "invalid_request")
    assert "no application is registered with client_id" in page.text
    response = other.http.post("/par", data=params, auth=("home-only", "secret"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_a_user_of_one_tenant_cannot_sign_in_to_another(home: Side, other: Side) -> None:
    make_user(home.runtime, "home-only")
    params, _ = authorize_params()
    response = other.http.get("/authorize", params=params)
    page = submit_login(other.http, response.headers["location"], "home-only", PASSWORD)
    assert page.status_code == 200
    assert "The username or password is not correct." in page.text


def test_a_session_cookie_signs_nobody_in_elsewhere(
    home: Side, other: Side, minted: Minted
) -> None:
    other.http.cookies.set(other.session_cookie, minted.session)
    location = run_flow(other.http, prompt="none").params
    assert location["error"] == "login_required"
    account = other.http.get("/account")
    assert account.status_code == 303
    assert account.headers["location"].startswith("/authorize?")
    # Nor does the other tenant's logout end the session at home.
    other.http.get("/logout")
    assert "code" in run_flow(home.http, prompt="none").params


def test_consent_given_in_one_tenant_is_asked_again_in_another(
    home: Side, other: Side, minted: Minted
) -> None:
    params, _ = authorize_params()
    response = other.http.get("/authorize", params=params)
    after_login = submit_login(other.http, response.headers["location"])
    assert after_login.headers["location"].startswith("/consent?")


def test_an_interaction_and_a_pushed_request_belong_to_their_tenant(
    home: Side, other: Side
) -> None:
    params, _ = authorize_params()
    paused = home.http.get("/authorize", params=params).headers["location"]
    interaction = query_of(paused)["interaction"]
    assert_error_page(
        other.http.get("/login", params={"interaction": interaction}), "invalid_request"
    )
    pushed = home.http.post(
        "/par", data=params, auth=(home.web["client_id"], home.web["client_secret"])
    )
    request_uri = pushed.json()["request_uri"]
    response = other.http.get("/authorize", params={"client_id": "web", "request_uri": request_uri})
    assert_error_page(response, "invalid_request_uri")
    used_at_home = home.http.get(
        "/authorize", params={"client_id": "web", "request_uri": request_uri}
    )
    assert used_at_home.status_code == 303


def test_a_device_code_and_its_user_code_belong_to_their_tenant(home: Side, other: Side) -> None:
    started = start_device(home.http, home.tv).json()
    polled = poll(other.http, other.tv, started["device_code"])
    assert polled.status_code == 400
    assert polled.json()["error"] == "invalid_grant"
    page = enter_code(other.http, started["user_code"])
    assert page.status_code == 400
    assert poll(home.http, home.tv, started["device_code"]).json()["error"] == (
        "authorization_pending"
    )


def test_an_id_token_is_no_hint_elsewhere_and_keys_are_not_shared(
    home: Side, other: Side, minted: Minted
) -> None:
    response = other.http.get(
        "/logout",
        params={"id_token_hint": minted.tokens["id_token"], "post_logout_redirect_uri": LOGGED_OUT},
    )
    assert response.status_code == 400
    assert "location" not in response.headers
    params, _ = authorize_params(prompt="none", id_token_hint=minted.tokens["id_token"])
    refused = other.http.get("/authorize", params=params)
    assert refused.status_code in (303, 400)
    home_kids = {k["kid"] for k in home.http.get("/jwks").json()["keys"]}
    other_kids = {k["kid"] for k in other.http.get("/jwks").json()["keys"]}
    assert not home_kids & other_kids
    home_issuer = home.http.get("/.well-known/openid-configuration").json()["issuer"]
    other_issuer = other.http.get("/.well-known/openid-configuration").json()["issuer"]
    assert home_issuer != other_issuer


def test_one_browser_keeps_a_session_per_tenant(home: Side, other: Side) -> None:
    """The same cookie jar at both: signed in at home, not elsewhere; the default tenant's
    cookie (path /) reaches a tenant's pages, which do not read it."""
    run_flow(home.http)
    with tenant_client(other.http.app, other.name, cookies=home.http.cookies) as browser:  # type: ignore[arg-type]
        assert run_flow(browser, prompt="none").params["error"] == "login_required"
        run_flow(browser)
    assert "code" in run_flow(home.http, prompt="none").params


# -- Multi-tenant applications (docs/multi-tenant-apps.md) ---------------------------------------


def test_a_multi_tenant_client_is_refused_elsewhere_until_it_has_a_presence(
    home: Side, other: Side
) -> None:
    from gatehouse.admin.admin_consents import grant_admin_consent
    from gatehouse.keys.jose import unverified_claims

    app = make_client(home.runtime, "shared", multi_tenant=True)
    no_presence = other.http.post(
        "/token",
        data={"grant_type": "client_credentials"},
        auth=(app["client_id"], app["client_secret"]),
    )
    assert no_presence.status_code == 401 and no_presence.json()["error"] == "invalid_client"
    grant_admin_consent(other.runtime, "shared")
    there = run_flow(other.http, "shared")
    assert redeem(home.http, there.params["code"], there.verifier, app).json()["error"] == (
        "invalid_grant"
    )
    tokens = redeem(other.http, there.params["code"], there.verifier, app)
    assert tokens.status_code == 200, tokens.text
    assert unverified_claims(tokens.json()["id_token"])["tid"] == other.name
