"""The client credentials grant over HTTP: application permissions (app roles) by .default or
by name, the errors for roles, APIs and clients, and the token it issues (RFC 6749 §4.4,
RFC 8707, RFC 9068 §2.2.3.1)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import pytest
from starlette.testclient import TestClient

from gatehouse.admin import clients as client_admin
from gatehouse.admin.apis import revoke_app_role
from gatehouse.admin.errors import AdminError
from gatehouse.runtime import Runtime
from tests.conftest import ISSUER
from tests.support.factories import (
    INVOICES_API,
    ORDERS_API,
    grant_roles,
    make_api,
    make_client,
    make_daemon,
    make_public_client,
)
from tests.support.flow import install_clock
from tests.support.tokens import (
    assert_oauth_error,
    client_credentials,
    token_claims,
    token_header,
    userinfo,
)

DEFAULT = f"{ORDERS_API}/.default"


@pytest.fixture
def daemon(runtime: Runtime) -> dict[str, Any]:
    make_api(runtime, ORDERS_API, roles=("orders.export", "orders.admin", "orders.audit"))
    client = make_daemon(runtime)
    grant_roles(runtime, "daemon", ORDERS_API, "orders.export", "orders.audit")
    return client


def issued(http: TestClient, client: dict[str, Any], **extra: str) -> dict[str, Any]:
    response = client_credentials(http, client, **extra)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# -- Which roles ----------------------------------------------------------------------------


def test_default_yields_every_granted_role(
    runtime: Runtime, http: TestClient, daemon: dict[str, Any]
) -> None:
    body = issued(http, daemon, scope=DEFAULT)
    assert token_claims(runtime, body["access_token"])["roles"] == ["orders.audit", "orders.export"]
    assert body["scope"] == DEFAULT


def test_default_with_a_trailing_slash_identifier(runtime: Runtime, http: TestClient) -> None:
    api = "https://reports.example.com/"
    make_api(runtime, api, scopes=(), roles=("reports.read",))
    client = make_daemon(runtime)
    grant_roles(runtime, "daemon", api, "reports.read")
    body = issued(http, client, scope="https://reports.example.com/.default")
    claims = token_claims(runtime, body["access_token"])
    assert claims["aud"] == api
    assert claims["roles"] == ["reports.read"]


def test_resource_alone_means_default(
    runtime: Runtime, http: TestClient, daemon: dict[str, Any]
) -> None:
    body = issued(http, daemon, resource=ORDERS_API)
    assert token_claims(runtime, body["access_token"])["roles"] == ["orders.audit", "orders.export"]
    assert body["scope"] == DEFAULT


@pytest.mark.parametrize(
    "extra",
    [
        {"scope": "orders.export", "resource": ORDERS_API},
        {"scope": f"{ORDERS_API}/orders.export"},
        {"scope": f"{ORDERS_API}/orders.export", "resource": ORDERS_API},
    ],
    ids=["bare-with-resource", "canonical", "canonical-with-resource"],
)
def test_named_roles(
    runtime: Runtime, http: TestClient, daemon: dict[str, Any], extra: dict[str, str]
) -> None:
    body = issued(http, daemon, **extra)
    assert token_claims(runtime, body["access_token"])["roles"] == ["orders.export"]
    assert body["scope"] == extra["scope"]  # RFC 6749 §5.1: the request, echoed


def test_several_named_roles(runtime: Runtime, http: TestClient, daemon: dict[str, Any]) -> None:
    scope = f"{ORDERS_API}/orders.export {ORDERS_API}/orders.audit"
    body = issued(http, daemon, scope=scope)
    assert token_claims(runtime, body["access_token"])["roles"] == ["orders.audit", "orders.export"]
    assert body["scope"] == scope


def test_a_revoked_role_is_no_longer_issued(
    runtime: Runtime, http: TestClient, daemon: dict[str, Any]
) -> None:
    revoke_app_role(runtime, "daemon", ORDERS_API, "orders.audit")
    body = issued(http, daemon, scope=DEFAULT)
    assert token_claims(runtime, body["access_token"])["roles"] == ["orders.export"]
    assert_oauth_error(
        client_credentials(http, daemon, scope=f"{ORDERS_API}/orders.audit"),
        "invalid_scope",
        "has not been granted",
    )


# -- Errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "error", "fragment"),
    [
        ({"scope": f"{ORDERS_API}/orders.admin"}, "invalid_scope", "has not been granted"),
        ({"scope": "orders.admin", "resource": ORDERS_API}, "invalid_scope", "not been granted"),
        ({"scope": f"{ORDERS_API}/nope"}, "invalid_scope", "has no app role 'nope'"),
        ({"scope": "openid", "resource": ORDERS_API}, "invalid_scope", "has no app role"),
        ({"scope": f"{DEFAULT} {ORDERS_API}/orders.export"}, "invalid_scope", "combined"),
        ({}, "invalid_scope", "name the API"),
        ({"scope": "orders.export"}, "invalid_scope", "name the API"),
        ({"scope": "openid profile"}, "invalid_scope", "name the API"),
        ({"resource": "https://unknown.example.com"}, "invalid_target", "not a registered API"),
        (
            {"scope": "https://unknown.example.com/.default"},
            "invalid_target",
            "not a registered API",
        ),
        ({"resource": "not-a-uri"}, "invalid_target", "absolute URI"),
        ({"resource": f"{ORDERS_API}#x"}, "invalid_target", "without a fragment"),
    ],
    ids=[
        "role-not-granted",
        "bare-role-not-granted",
        "unknown-role",
        "openid-is-no-role",
        "default-combined",
        "nothing",
        "bare-role-without-api",
        "openid-scopes",
        "unknown-resource",
        "unknown-api-default",
        "relative-resource",
        "fragment",
    ],
)
def test_request_errors(
    http: TestClient, daemon: dict[str, Any], extra: dict[str, str], error: str, fragment: str
) -> None:
    assert_oauth_error(client_credentials(http, daemon, **extra), error, fragment)


def test_no_roles_at_all_is_invalid_scope(runtime: Runtime, http: TestClient) -> None:
    make_api(runtime, ORDERS_API)
    client = make_daemon(runtime, "empty")
    for extra in ({"scope": DEFAULT}, {"resource": ORDERS_API}):
        assert_oauth_error(
            client_credentials(http, client, **extra), "invalid_scope", "no application permissions"
        )


def test_a_role_the_api_dropped_is_no_longer_issued(
    runtime: Runtime, http: TestClient, daemon: dict[str, Any]
) -> None:
    """The grant of a role the API no longer defines stays in the database, but no token
    carries it: .default skips it, and naming it is invalid_scope."""
    from gatehouse.admin.apis import ApiSpec, save_api

    keep = [("orders.export", "Export"), ("orders.admin", "Administer")]
    save_api(runtime, ApiSpec(ORDERS_API, roles=keep), create=False)
    body = issued(http, daemon, scope=DEFAULT)
    assert token_claims(runtime, body["access_token"])["roles"] == ["orders.export"]
    assert_oauth_error(
        client_credentials(http, daemon, scope=f"{ORDERS_API}/orders.audit"),
        "invalid_scope",
        "has no app role 'orders.audit'",
    )
    save_api(runtime, ApiSpec(ORDERS_API, roles=[("orders.admin", "Administer")]), create=False)
    assert_oauth_error(
        client_credentials(http, daemon, resource=ORDERS_API),
        "invalid_scope",
        "no application permissions",
    )


def test_roles_on_another_api_do_not_count(
    runtime: Runtime, http: TestClient, daemon: dict[str, Any]
) -> None:
    make_api(runtime, INVOICES_API, roles=("invoices.export",))
    assert_oauth_error(
        client_credentials(http, daemon, scope=f"{INVOICES_API}/.default"),
        "invalid_scope",
        "no application permissions",
    )


def test_two_apis_in_one_request_is_invalid_target(
    runtime: Runtime, http: TestClient, daemon: dict[str, Any]
) -> None:
    make_api(runtime, INVOICES_API, roles=("invoices.export",))
    grant_roles(runtime, "daemon", INVOICES_API, "invoices.export")
    both = f"{ORDERS_API}/orders.export {INVOICES_API}/invoices.export"
    assert_oauth_error(client_credentials(http, daemon, scope=both), "invalid_target", "one API")
    body = urlencode(
        [
            ("grant_type", "client_credentials"),
            ("resource", ORDERS_API),
            ("resource", INVOICES_API),
        ]
    )
    response = http.post(
        "/token",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded"},
        auth=("daemon", daemon["client_secret"]),
    )
    assert_oauth_error(response, "invalid_target", "one resource")


def test_a_client_without_the_grant_is_unauthorized_client(
    runtime: Runtime, http: TestClient, daemon: dict[str, Any]
) -> None:
    web = make_client(runtime, "web")
    grant_roles(runtime, "web", ORDERS_API, "orders.export")
    assert_oauth_error(
        client_credentials(http, web, scope=DEFAULT), "unauthorized_client", "client_credentials"
    )


def test_a_public_client_cannot_be_registered_for_client_credentials(runtime: Runtime) -> None:
    with pytest.raises(AdminError, match="public client cannot use client_credentials"):
        make_public_client(runtime, grant_types=["authorization_code", "client_credentials"])


def test_a_public_client_is_refused_by_the_grant_itself(
    runtime: Runtime, http: TestClient, daemon: dict[str, Any]
) -> None:
    """Defence in depth: even a public client row that somehow has the grant gets no token."""
    spa = make_public_client(runtime)
    stored = runtime.store.clients.get("spa")
    assert stored is not None
    runtime.store.clients.update(
        replace(stored, grant_types=("authorization_code", "client_credentials"))
    )
    assert_oauth_error(
        client_credentials(http, spa, scope=DEFAULT), "unauthorized_client", "public client"
    )


def test_wrong_secret_is_invalid_client(http: TestClient, daemon: dict[str, Any]) -> None:
    wrong = {**daemon, "client_secret": "x" * 43}
    assert_oauth_error(client_credentials(http, wrong, scope=DEFAULT), "invalid_client")


# -- The token ------------------------------------------------------------------------------


def test_the_token_and_the_response(
    runtime: Runtime, http: TestClient, daemon: dict[str, Any]
) -> None:
    clock = install_clock(runtime)
    body = issued(http, daemon, scope=DEFAULT)
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}  # no refresh/ID
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == runtime.provider.config.access_token_lifetime
    header = token_header(runtime, body["access_token"])
    assert header["typ"] == "at+jwt"
    claims = token_claims(runtime, body["access_token"])
    assert claims["aud"] == ORDERS_API
    assert claims["sub"] == "daemon"
    assert claims["client_id"] == "daemon"
    assert claims["iss"] == ISSUER
    assert claims["iat"] == clock.now
    assert claims["exp"] == clock.now + body["expires_in"]
    assert "scope" not in claims
    assert "auth_time" not in claims and "sid" not in claims
    assert claims["jti"]


def test_the_api_lifetime_and_algorithm_apply(runtime: Runtime, http: TestClient) -> None:
    make_api(runtime, ORDERS_API, access_token_lifetime=300, signing_alg="RS256")
    client = make_daemon(runtime)
    grant_roles(runtime, "daemon", ORDERS_API, "orders.export")
    body = issued(http, client, scope=DEFAULT)
    assert body["expires_in"] == 300
    assert token_header(runtime, body["access_token"])["alg"] == "RS256"
    claims = token_claims(runtime, body["access_token"])
    assert claims["exp"] - claims["iat"] == 300


def test_the_token_is_not_accepted_by_userinfo(http: TestClient, daemon: dict[str, Any]) -> None:
    response = userinfo(http, issued(http, daemon, scope=DEFAULT)["access_token"])
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


def test_client_secret_post_works_too(runtime: Runtime, http: TestClient) -> None:
    make_api(runtime, ORDERS_API)
    client = make_daemon(runtime, "poster", auth_method="client_secret_post")
    grant_roles(runtime, "poster", ORDERS_API, "orders.export")
    response = http.post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "scope": DEFAULT,
            "client_id": "poster",
            "client_secret": client["client_secret"],
        },
    )
    assert response.status_code == 200, response.text


def test_deleting_and_recreating_the_client_drops_its_roles(
    runtime: Runtime, http: TestClient, daemon: dict[str, Any]
) -> None:
    client_admin.delete_client(runtime, "daemon")
    again = make_daemon(runtime)
    assert_oauth_error(
        client_credentials(http, again, scope=DEFAULT), "invalid_scope", "no application"
    )


def test_nested_api_identifiers_are_told_apart(runtime: Runtime, http: TestClient) -> None:
    parent, child = "https://api.example.com", "https://api.example.com/v2"
    make_api(runtime, parent, scopes=(), roles=("export",))
    make_api(runtime, child, scopes=(), roles=("export", "audit"))
    client = make_daemon(runtime)
    grant_roles(runtime, "daemon", child, "export", "audit")
    for scope in (f"{child}/.default", f"{child}/audit"):
        claims = token_claims(runtime, issued(http, client, scope=scope)["access_token"])
        assert claims["aud"] == child, scope
    assert_oauth_error(
        client_credentials(http, client, scope=f"{parent}/.default"),
        "invalid_scope",
        "no application permissions",
    )
