"""protocol.grants.client_credentials: which API a daemon's token is for and which roles it
carries (RFC 6749 §4.4, RFC 8707), against real storage."""

from __future__ import annotations

from typing import Any

import pytest

from gatehouse.errors import InvalidScope, InvalidTarget, OAuthError, UnauthorizedClient
from gatehouse.protocol.grants.client_credentials import ClientCredentialsGrant
from gatehouse.protocol.provider import Provider
from gatehouse.runtime import Runtime
from gatehouse.tokens.access_token import validate_access_token
from tests.support.factories import INVOICES_API, ORDERS_API, grant_roles, make_api
from tests.unit.protocol.conftest import Registered, params, register

GRANT = ClientCredentialsGrant()


@pytest.fixture
def daemon(runtime: Runtime) -> Registered:
    make_api(runtime, ORDERS_API)  # roles orders.export, orders.admin
    make_api(runtime, INVOICES_API, scopes=(), roles=("invoices.sync",))
    daemon = register(
        runtime, "daemon", grant_types=["client_credentials"], redirect_uris=[], scopes=[]
    )
    grant_roles(runtime, "daemon", ORDERS_API, "orders.export", "orders.admin")
    return daemon


def claims_of(provider: Provider, token: str) -> dict[str, Any]:
    ring = provider.keys.keyring()
    return validate_access_token(
        token, ring, issuer=provider.config.issuer, audience=None, now=provider.clock()
    )


@pytest.mark.parametrize(
    ("request_params", "roles", "scope"),
    [
        ({"scope": f"{ORDERS_API}/.default"}, ["orders.admin", "orders.export"], None),
        ({"resource": ORDERS_API}, ["orders.admin", "orders.export"], f"{ORDERS_API}/.default"),
        ({"scope": f"{ORDERS_API}/orders.export"}, ["orders.export"], None),
        ({"scope": "orders.export", "resource": ORDERS_API}, ["orders.export"], None),
    ],
    ids=["default", "resource-only", "canonical-role", "bare-role-with-resource"],
)
def test_the_token_carries_the_granted_roles_asked_for(
    provider: Provider,
    daemon: Registered,
    request_params: dict[str, str],
    roles: list[str],
    scope: str | None,
) -> None:
    response = GRANT.handle(provider, daemon.client, params(**request_params))
    claims = claims_of(provider, response.access_token)
    assert claims["aud"] == ORDERS_API and claims["roles"] == roles
    assert claims["sub"] == claims["client_id"] == "daemon"
    assert "scope" not in claims and response.refresh_token is None and response.id_token is None
    assert response.scope == (scope or request_params["scope"])


@pytest.mark.parametrize(
    ("request_params", "error", "message"),
    [
        ({}, InvalidScope, "name the API"),
        ({"scope": "https://nowhere.example.com/.default"}, InvalidTarget, "not a registered API"),
        ({"resource": "https://nowhere.example.com"}, InvalidTarget, "not a registered API"),
        (
            {"resource": ORDERS_API, "scope": f"{INVOICES_API}/.default"},
            InvalidTarget,
            "names several",
        ),
        ({"scope": f"{INVOICES_API}/.default"}, InvalidScope, "no application permissions"),
        ({"scope": f"{ORDERS_API}/orders.read"}, InvalidScope, "has no app role 'orders.read'"),
        (
            {"scope": f"{ORDERS_API}/.default {ORDERS_API}/orders.export"},
            InvalidScope,
            "cannot be combined",
        ),
        ({"resource": "not a uri"}, InvalidTarget, "absolute URI"),
    ],
)
def test_what_is_refused(
    provider: Provider,
    daemon: Registered,
    request_params: dict[str, str],
    error: type[OAuthError],
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        GRANT.handle(provider, daemon.client, params(**request_params))


def test_a_role_granted_but_since_dropped_by_the_api_is_not_issued(
    runtime: Runtime, provider: Provider, daemon: Registered
) -> None:
    grant_roles(runtime, "daemon", INVOICES_API, "invoices.sync")
    make_api(runtime, "https://reports.example.com", scopes=(), roles=("reports.read",))
    grant_roles(runtime, "daemon", "https://reports.example.com", "reports.read")
    from gatehouse.admin import apis as api_admin

    api_admin.save_api(
        runtime,
        api_admin.ApiSpec(identifier="https://reports.example.com", roles=[("other", "Other")]),
        create=False,
    )
    with pytest.raises(InvalidScope, match="no application permissions"):
        GRANT.handle(provider, daemon.client, params(resource="https://reports.example.com"))


def test_a_public_client_is_refused(runtime: Runtime, provider: Provider) -> None:
    spa = register(runtime, "spa", client_type="public", redirect_uris=["http://127.0.0.1/cb"])
    with pytest.raises(UnauthorizedClient, match="public client"):
        GRANT.handle(provider, spa.client, params(resource=ORDERS_API))
