"""The Entra token profile over HTTP, on SQLite and PostgreSQL: the claims MSAL and
Microsoft.Identity.Web read, in tokens from the code flow, refresh and client credentials;
client_info when asked for; what introspection and discovery say of them."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from gatehouse.runtime import Runtime
from tests.conftest import ISSUER
from tests.support.factories import (
    ORDERS_API,
    grant_roles,
    make_api,
    make_client,
    make_daemon,
    make_user,
)
from tests.support.flow import redeem, sign_in
from tests.support.tokens import client_credentials, introspect, refresh, token_claims

READ = f"{ORDERS_API}/orders.read"
SCOPE = f"openid profile offline_access {READ}"
ENTRA_ACCESS = {"oid", "tid", "ver", "azp", "azpacr", "idtyp", "scp"}


@pytest.fixture
def alice(runtime: Runtime) -> str:
    return str(make_user(runtime)["id"])


@pytest.fixture
def web(runtime: Runtime) -> dict[str, Any]:
    """An MSAL-style web app of the entra profile, for the orders API of the entra profile."""
    make_api(runtime, ORDERS_API, token_profile="entra")
    return make_client(
        runtime,
        scopes=["openid", "profile", "offline_access", READ],
        token_profile="entra",
    )


def code_flow(http: TestClient, client: dict[str, Any], **extra: str) -> dict[str, Any]:
    result = sign_in(http, client["client_id"], scope=SCOPE)
    response = redeem(http, result.params["code"], result.verifier, client, **extra)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def decoded(client_info: str) -> dict[str, Any]:
    padded = client_info + "=" * (-len(client_info) % 4)
    return dict(json.loads(base64.urlsafe_b64decode(padded)))


def test_the_code_flow_gives_entra_claims_and_client_info_when_asked(
    runtime: Runtime, http: TestClient, web: dict[str, Any], alice: str
) -> None:
    body = code_flow(http, web, client_info="1")  # as MSAL sends it
    assert decoded(body["client_info"]) == {"uid": alice, "utid": "default"}
    id_token = token_claims(runtime, body["id_token"])
    assert (id_token["oid"], id_token["tid"], id_token["ver"]) == (alice, "default", "2.0")
    assert id_token["sub"] == alice and id_token["iss"] == ISSUER
    access = token_claims(runtime, body["access_token"])
    assert {k: access[k] for k in ENTRA_ACCESS} == {
        "oid": alice,
        "tid": "default",
        "ver": "2.0",
        "azp": "web",
        "azpacr": "1",
        "idtyp": "user",
        "scp": "orders.read",
    }
    assert (access["aud"], access["iss"], access["scope"]) == (ORDERS_API, ISSUER, "orders.read")
    # The response's scope names the API scope as the client asked for it (canonical).
    assert READ in body["scope"].split()

    again = refresh(http, web, body["refresh_token"], client_info="1")
    assert again.status_code == 200, again.text
    assert decoded(again.json()["client_info"]) == {"uid": alice, "utid": "default"}
    refreshed = token_claims(runtime, again.json()["access_token"])
    assert (refreshed["oid"], refreshed["scp"], refreshed["tid"]) == (
        alice,
        "orders.read",
        "default",
    )


def test_client_info_only_when_asked_and_only_for_the_profile(
    runtime: Runtime, http: TestClient, web: dict[str, Any], alice: str
) -> None:
    assert "client_info" not in code_flow(http, web)
    assert "client_info" not in code_flow(http, web, client_info="0")
    plain = make_client(runtime, "plain", scopes=["openid", "profile", "offline_access", READ])
    body = code_flow(http, plain, client_info="1")
    assert "client_info" not in body
    assert not {"oid", "tid", "ver"} & set(token_claims(runtime, body["id_token"]))
    # The API's profile, not the client's, shapes the access token.
    assert token_claims(runtime, body["access_token"])["scp"] == "orders.read"


def test_client_credentials_for_an_entra_api(runtime: Runtime, http: TestClient) -> None:
    make_api(runtime, ORDERS_API, token_profile="entra")
    daemon = make_daemon(runtime)
    grant_roles(runtime, "daemon", ORDERS_API, "orders.export", "orders.admin")
    response = client_credentials(http, daemon, scope=f"{ORDERS_API}/.default", client_info="1")
    assert response.status_code == 200, response.text
    body = response.json()
    assert "client_info" not in body and "refresh_token" not in body
    assert body["scope"] == f"{ORDERS_API}/.default"
    access = token_claims(runtime, body["access_token"])
    assert access["roles"] == ["orders.admin", "orders.export"]
    assert (access["oid"], access["azp"], access["azpacr"], access["idtyp"]) == (
        "daemon",
        "daemon",
        "1",
        "app",
    )
    assert "scp" not in access and access["ver"] == "2.0" and access["tid"] == "default"


def test_introspection_shows_the_entra_claims(
    runtime: Runtime, http: TestClient, web: dict[str, Any], alice: str
) -> None:
    """RFC 7662 §2.2: the active token's claims, the Entra profile's included."""
    body = code_flow(http, web)
    response = introspect(http, web, body["access_token"])
    assert response.status_code == 200, response.text
    shown = response.json()
    assert shown["active"] is True
    assert {k: shown[k] for k in ENTRA_ACCESS} == {
        "oid": alice,
        "tid": "default",
        "ver": "2.0",
        "azp": "web",
        "azpacr": "1",
        "idtyp": "user",
        "scp": "orders.read",
    }
    # A refresh token has no Entra claims to show.
    refreshed = introspect(http, web, body["refresh_token"]).json()
    assert refreshed["active"] is True and not ENTRA_ACCESS & set(refreshed)


def test_a_standard_apis_tokens_are_unchanged(runtime: Runtime, http: TestClient) -> None:
    make_api(runtime, ORDERS_API)  # rfc9068, the default
    daemon = make_daemon(runtime)
    grant_roles(runtime, "daemon", ORDERS_API, "orders.export")
    response = client_credentials(http, daemon, scope=f"{ORDERS_API}/.default")
    access = token_claims(runtime, response.json()["access_token"])
    assert not ENTRA_ACCESS & set(access)
    shown = introspect(http, daemon, response.json()["access_token"]).json()
    assert shown["active"] is True and not ENTRA_ACCESS & set(shown)


def test_discovery_lists_the_id_token_claims(http: TestClient) -> None:
    metadata = http.get("/.well-known/openid-configuration").json()
    assert {"oid", "tid", "ver"} <= set(metadata["claims_supported"])
    assert metadata["issuer"] == ISSUER  # the authority MSAL is given: unchanged
