"""Token exchange (RFC 8693) of a token from a trusted external issuer for a local access
token: a partner's gateway holds its user's token from the partner's identity provider (a
second issuer made in the test, its keys served live) and exchanges it for a token for the
inventory API, for the local user the token's subject claim names."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from joserfc.jwk import RSAKey
from starlette.testclient import TestClient

from gatehouse.admin import token_exchange as exchange_admin
from gatehouse.admin.users import set_disabled
from gatehouse.protocol.grants.exchange_subject import ID_TOKEN_TYPE, JWT_TOKEN_TYPE
from gatehouse.protocol.grants.token_exchange import GRANT_TYPE
from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditQuery
from tests.cli.conftest import Gatehouse, cli_environment
from tests.support.external_issuer import TOKEN_ENDPOINT, ExternalIssuer, external_issuer
from tests.support.factories import make_api, make_daemon, make_user
from tests.support.tokens import assert_oauth_error, client_post, token_claims

INVENTORY_API = "https://inventory.example.com"


@pytest.fixture(scope="module")
def partner_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "partner-1"}, private=True)


@pytest.fixture
def partner(partner_key: RSAKey) -> Iterator[ExternalIssuer]:
    with external_issuer(partner_key) as issuer:
        yield issuer


@pytest.fixture
def gateway(
    runtime: Runtime, database_url: str, tmp_path: Path, partner: ExternalIssuer
) -> dict[str, Any]:
    """The partner's gateway, allowed to exchange for the inventory API; alice consented to
    inventory.read for it; the partner's issuer trusted, its email claim naming the user."""
    user = make_user(runtime)
    gateway = make_daemon(runtime, "partner-gateway", grant_types=[GRANT_TYPE])
    make_api(runtime, INVENTORY_API, scopes=("inventory.read", "inventory.write"), roles=())
    exchange_admin.grant_token_exchange(runtime, "partner-gateway", INVENTORY_API)
    runtime.store.consents.grant(
        user["id"], "partner-gateway", frozenset({f"{INVENTORY_API}/inventory.read"}), 1
    )
    gh = Gatehouse(cli_environment(database_url, tmp_path))
    gh.ok(
        "issuer", "trust", partner.issuer, "--discovery", partner.discovery_url,
        "--subject-claim", "email",
    )  # fmt: skip
    return {**gateway, "user_id": user["id"]}


def partner_token(partner: ExternalIssuer, **claims: Any) -> str:
    return partner.token(
        **{"sub": "p-4711", "email": "alice@example.com", "email_verified": True, **claims}
    )


def exchange(http: TestClient, gateway: dict[str, Any], token: str, **extra: str) -> Any:
    data = {
        "grant_type": GRANT_TYPE,
        "subject_token": token,
        "subject_token_type": JWT_TOKEN_TYPE,
        "resource": INVENTORY_API,
        **extra,
    }
    return client_post(http, "/token", gateway, data)


def test_a_partners_token_becomes_a_local_token_for_the_user_it_names(
    runtime: Runtime, http: TestClient, gateway: dict[str, Any], partner: ExternalIssuer
) -> None:
    response = exchange(http, gateway, partner_token(partner, acr="partner:gold"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
    assert body["scope"] == f"{INVENTORY_API}/inventory.read"
    claims = token_claims(runtime, body["access_token"])
    assert claims["sub"] == gateway["user_id"]
    assert claims["aud"] == INVENTORY_API and claims["client_id"] == "partner-gateway"
    assert claims["act"] == {"sub": "partner-gateway"}
    assert "acr" not in claims  # the partner's words, not gatehouse's
    assert claims["exp"] <= int(time.time()) + 300  # never outlives the partner's token
    [event] = runtime.store.audit.list(AuditQuery(types=("token.exchanged",)))
    assert event.user_id == gateway["user_id"]
    assert event.details["subject_issuer"] == partner.issuer
    assert event.details["subject_client_id"] is None


def test_an_id_token_of_the_partner_may_be_the_subject(
    http: TestClient, gateway: dict[str, Any], partner: ExternalIssuer
) -> None:
    token = partner_token(partner)
    response = exchange(http, gateway, token, subject_token_type=ID_TOKEN_TYPE)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("claims", "fragment"),
    [
        ({"email": "nobody@example.com"}, "no user here matches the subject_token's email"),
        ({"email_verified": False}, "email address is not verified"),
        ({"email": None}, "no email claim"),
        ({"aud": "https://elsewhere.example.com"}, "aud must contain"),
        ({"exp": int(time.time()) - 3600}, "expired"),
    ],
)
def test_a_token_that_names_no_one_here_or_is_not_for_us_is_refused(
    runtime: Runtime,
    http: TestClient,
    gateway: dict[str, Any],
    partner: ExternalIssuer,
    claims: dict[str, Any],
    fragment: str,
) -> None:
    response = exchange(http, gateway, partner_token(partner, **claims))
    assert_oauth_error(response, "invalid_request", fragment)
    [event] = runtime.store.audit.list(AuditQuery(types=("token.exchange_refused",)))
    assert event.client_id == "partner-gateway"


def test_a_token_of_an_untrusted_issuer_is_refused(
    http: TestClient, gateway: dict[str, Any], partner_key: RSAKey
) -> None:
    with external_issuer(partner_key) as stranger:
        response = exchange(http, gateway, partner_token(stranger))
    assert_oauth_error(response, "invalid_request", "nor a token of a trusted issuer")


def test_an_hmac_forgery_with_the_partners_public_key_is_refused(
    http: TestClient, gateway: dict[str, Any], partner: ExternalIssuer
) -> None:
    forged = partner.forged("HS256", email="alice@example.com", aud=TOKEN_ENDPOINT)
    assert_oauth_error(exchange(http, gateway, forged), "invalid_request", "never an HMAC")


def test_a_disabled_user_gets_nothing(
    runtime: Runtime, http: TestClient, gateway: dict[str, Any], partner: ExternalIssuer
) -> None:
    set_disabled(runtime, "alice", True)
    response = exchange(http, gateway, partner_token(partner))
    assert_oauth_error(response, "invalid_request", "the user is disabled")


def test_only_scopes_the_user_consented_to_for_the_gateway(
    http: TestClient, gateway: dict[str, Any], partner: ExternalIssuer
) -> None:
    response = exchange(http, gateway, partner_token(partner), scope="inventory.write")
    assert_oauth_error(response, "invalid_scope", "has not consented to inventory.write")


def test_the_pair_must_be_allowed(
    runtime: Runtime, http: TestClient, gateway: dict[str, Any], partner: ExternalIssuer
) -> None:
    exchange_admin.revoke_token_exchange(runtime, "partner-gateway", INVENTORY_API)
    response = exchange(http, gateway, partner_token(partner))
    assert_oauth_error(response, "invalid_target", "may not exchange tokens")
