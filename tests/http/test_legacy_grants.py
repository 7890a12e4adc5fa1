"""The legacy grants (docs/flows.md), off unless an operator gives them to one client: the
implicit response types and the resource owner password credentials grant (RFC 6749 §4.2,
§4.3), refused for every client that did not opt in; the password grant signs in exactly as
the login page does (throttling, locks, audit), refuses accounts that need a second factor,
and has no consent page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from gatehouse.keys.jose import public_keyset, verify_jwt
from gatehouse.policy import TenantPolicy
from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditQuery
from tests.conftest import ISSUER
from tests.support.factories import PASSWORD, REDIRECT_URI, make_client, make_user
from tests.support.flow import FakeClock, install_clock, run_flow, start_authorize, submit_login
from tests.support.mfa import enrol_totp
from tests.support.responses import read_response
from tests.support.tokens import client_post

LEGACY_APP = {
    "grant_types": ["password", "refresh_token"],
    "redirect_uris": [],
    "scopes": ["openid", "profile", "email", "offline_access"],
}


def password_grant(
    http: TestClient, client: dict[str, Any], username: str = "alice", **extra: str
) -> Any:
    data = {"grant_type": "password", "username": username, "password": PASSWORD, **extra}
    return client_post(http, "/token", client, data)


@pytest.fixture
def legacy(runtime: Runtime) -> dict[str, Any]:
    make_user(runtime)
    return make_client(runtime, "legacy", first_party=True, **LEGACY_APP)


# -- Refused for every client that did not opt in --------------------------------------------


@pytest.mark.parametrize("response_type", ["id_token", "id_token token"])
@pytest.mark.parametrize("kind", ["confidential", "public"])
def test_the_implicit_types_are_refused_without_the_implicit_grant(
    runtime: Runtime, http: TestClient, response_type: str, kind: str
) -> None:
    if kind == "public":
        make_client(runtime, "app", client_type="public", redirect_uris=[REDIRECT_URI])
    else:
        make_client(runtime, "app", response_types=["code", "code id_token"])
    response, _ = start_authorize(http, "app", response_type=response_type, state="s")
    result = read_response(response)
    assert result.mode == "fragment"
    assert result.params["error"] == "unauthorized_client"
    assert "not allowed to use the implicit flow" in result.params["error_description"]
    assert (result.params["state"], result.params["iss"]) == ("s", ISSUER)


@pytest.mark.parametrize("kind", ["confidential", "first-party", "daemon"])
def test_the_password_grant_is_refused_without_the_password_grant(
    runtime: Runtime, http: TestClient, kind: str
) -> None:
    make_user(runtime)
    if kind == "daemon":
        client = make_client(
            runtime, "app", grant_types=["client_credentials"], redirect_uris=[], scopes=[]
        )
    else:
        client = make_client(runtime, "app", first_party=kind == "first-party")
    response = password_grant(http, client)
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"
    assert "not allowed to use the password grant" in response.json()["error_description"]
    # Not even checked: no sign-in was recorded, failed or not.
    assert runtime.store.audit.list(AuditQuery(types=("signin.failed",))) == []


# -- The password grant for a client that opted in -------------------------------------------


def test_a_first_party_legacy_app_signs_a_person_in(
    runtime: Runtime, http: TestClient, legacy: dict[str, Any]
) -> None:
    response = password_grant(http, legacy, scope="openid profile offline_access")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["scope"] == "openid profile offline_access"
    assert body["refresh_token"]
    keys = public_keyset(http.get("/jwks").json())
    _, claims = verify_jwt(body["id_token"], keys, algorithms=["RS256"])
    assert (claims["aud"], claims["amr"], claims["name"]) == ("legacy", ["pwd"], "Alice")
    assert "nonce" not in claims and "sid" not in claims
    info = http.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.json()["sub"] == claims["sub"]
    (event,) = runtime.store.audit.list(AuditQuery(types=("signin.succeeded",)))
    assert (event.client_id, event.details) == ("legacy", {"methods": ["pwd"], "grant": "password"})


def test_a_refresh_token_needs_offline_access_and_the_refresh_grant(
    runtime: Runtime, http: TestClient, legacy: dict[str, Any]
) -> None:
    # No SSO session to tie it to: only an offline grant has one (docs/flows.md).
    assert "refresh_token" not in password_grant(http, legacy, scope="openid").json()
    no_refresh = make_client(
        runtime, "no-refresh", first_party=True, **{**LEGACY_APP, "grant_types": ["password"]}
    )
    body = password_grant(http, no_refresh, scope="openid offline_access").json()
    assert "access_token" in body and "refresh_token" not in body


def test_without_a_scope_the_client_gets_its_registered_ones(
    http: TestClient, legacy: dict[str, Any]
) -> None:
    body = password_grant(http, legacy).json()
    assert body["scope"] == "openid profile email offline_access"


@pytest.mark.parametrize(
    ("data", "error", "fragment"),
    [
        ({"password": "wrong"}, "invalid_grant", "username or password is not right"),
        ({"username": "nobody"}, "invalid_grant", "username or password is not right"),
        ({"username": ""}, "invalid_request", "username parameter is required"),
        ({"password": ""}, "invalid_request", "password parameter is required"),
        ({"scope": "openid phone"}, "invalid_scope", "may not request phone"),
        ({"resource": "https://unknown.example.com"}, "invalid_target", "not a registered API"),
    ],
)
def test_bad_requests(
    http: TestClient, legacy: dict[str, Any], data: dict[str, str], error: str, fragment: str
) -> None:
    response = password_grant(http, legacy, **data)
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert fragment in response.json()["error_description"]


def test_a_third_party_app_gets_only_what_the_person_consented_to(
    runtime: Runtime, http: TestClient
) -> None:
    make_user(runtime)
    app = make_client(
        runtime,
        "third",
        **{
            **LEGACY_APP,
            "grant_types": ["authorization_code", "password", "refresh_token"],
            "redirect_uris": [REDIRECT_URI],
        },
    )
    refused = password_grant(http, app, scope="openid email")
    assert refused.json()["error"] == "invalid_scope"
    assert "no consent page" in refused.json()["error_description"]
    run_flow(http, "third", scope="openid email")  # consents in the browser
    body = password_grant(http, app, scope="openid email profile").json()
    assert body["scope"] == "openid email"


@pytest.mark.parametrize("why", ["set up a second factor", "tenant policy", "client policy"])
def test_an_account_that_needs_a_second_factor_is_refused(
    runtime: Runtime, http: TestClient, why: str
) -> None:
    make_user(runtime)
    legacy = make_client(
        runtime, "legacy", first_party=True, require_mfa=why == "client policy", **LEGACY_APP
    )
    if why == "set up a second factor":
        enrol_totp(runtime)
    if why == "tenant policy":
        runtime.store.policy.update(TenantPolicy(mfa="required"))
    response = password_grant(http, legacy)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert "needs a second factor" in response.json()["error_description"]
    assert "access_token" not in response.json()
    (event,) = runtime.store.audit.list(AuditQuery(types=("signin.failed",)))
    assert event.details == {
        "reason": "second_factor_required",
        "factor": "password",
        "grant": "password",
    }


def test_failures_are_throttled_and_count_with_the_login_pages(
    runtime: Runtime, http: TestClient, legacy: dict[str, Any]
) -> None:
    clock: FakeClock = install_clock(runtime)
    runtime.store.policy.update(
        TenantPolicy(
            login_delay_after_failures=2,
            login_max_delay=timedelta(seconds=8),
            source_lockout_threshold=4,
            lockout_duration=timedelta(minutes=10),
        )
    )
    for _ in range(2):
        wrong = password_grant(http, legacy, password="wrong")
        assert wrong.json()["error"] == "invalid_grant"
    # The third attempt waits, even with the right password: refused before it is checked.
    early = password_grant(http, legacy).json()
    assert (early["error"], "access_token" in early) == ("invalid_grant", False)
    assert "Too many failed attempts. Try again in 1 second." in early["error_description"]
    clock.advance(60)
    password_grant(http, legacy, password="wrong")
    clock.advance(60)
    # The login page counts the same failures: the fourth from this address locks it.
    make_client(runtime, "web")
    authorize, _ = start_authorize(http)
    page = submit_login(http, authorize.headers["location"], password="wrong")
    assert page.status_code == 200
    clock.advance(60)
    locked = password_grant(http, legacy)
    assert locked.json()["error"] == "invalid_grant"
    assert "Too many failed attempts" in locked.json()["error_description"]
    failed = runtime.store.audit.list(AuditQuery(types=("signin.failed",)))
    assert len(failed) == 4
    assert runtime.store.audit.list(AuditQuery(types=("signin.locked",)))
