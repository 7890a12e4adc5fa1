"""DPoP over HTTP (RFC 9449): bound tokens from the token endpoint, bound refresh tokens of
public clients, nonces, require_dpop, and DPoP-bound tokens at UserInfo and introspection."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from httpx2 import Response
from starlette.testclient import TestClient

from gatehouse.admin import clients as client_admin
from gatehouse.protocol.dpop import ALGS
from gatehouse.runtime import Runtime
from tests.conftest import ISSUER
from tests.support.dpop import DPoPKey
from tests.support.factories import (
    ORDERS_API,
    grant_roles,
    make_api,
    make_client,
    make_daemon,
    make_public_client,
    make_user,
)
from tests.support.flow import sign_in
from tests.support.tokens import assert_oauth_error, client_post, introspect, token_claims

TOKEN = f"{ISSUER}/token"
USERINFO = f"{ISSUER}/userinfo"
SPA_REDIRECT = "http://127.0.0.1:5173/callback"


@pytest.fixture
def key() -> DPoPKey:
    return DPoPKey()


@pytest.fixture
def daemon(runtime: Runtime) -> dict[str, Any]:
    make_api(runtime, ORDERS_API)
    client = make_daemon(runtime)
    grant_roles(runtime, "daemon", ORDERS_API, "orders.export")
    return client


@pytest.fixture
def spa(runtime: Runtime) -> dict[str, Any]:
    make_user(runtime)
    return make_public_client(
        runtime,
        grant_types=["authorization_code", "refresh_token"],
        scopes=["openid", "profile", "offline_access"],
    )


def token_request(
    http: TestClient, client: dict[str, Any], data: dict[str, str], *proofs: str
) -> Response:
    headers = [("DPoP", proof) for proof in proofs]
    return client_post(http, "/token", client, data, headers=headers)


def cc(http: TestClient, daemon: dict[str, Any], *proofs: str) -> Response:
    data = {"grant_type": "client_credentials", "scope": f"{ORDERS_API}/.default"}
    return token_request(http, daemon, data, *proofs)


def code_tokens(http: TestClient, spa: dict[str, Any], key: DPoPKey | None) -> dict[str, Any]:
    """The SPA signs alice in and redeems the code, with a proof of ``key`` when given."""
    result = sign_in(http, "spa", redirect_uri=SPA_REDIRECT, scope="openid profile offline_access")
    data = {
        "grant_type": "authorization_code",
        "code": result.params["code"],
        "redirect_uri": SPA_REDIRECT,
        "code_verifier": result.verifier,
    }
    proofs = [key.proof("POST", TOKEN)] if key else []
    response = token_request(http, spa, data, *proofs)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def refresh(http: TestClient, client: dict[str, Any], token: str, key: DPoPKey | None) -> Response:
    proofs = [key.proof("POST", TOKEN)] if key else []
    return token_request(
        http, client, {"grant_type": "refresh_token", "refresh_token": token}, *proofs
    )


# -- The token endpoint ---------------------------------------------------------------------


def test_client_credentials_with_a_proof_gives_a_bound_token(
    runtime: Runtime, http: TestClient, daemon: dict[str, Any], key: DPoPKey
) -> None:
    response = cc(http, daemon, key.proof("POST", TOKEN))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "DPoP"
    assert token_claims(runtime, body["access_token"])["cnf"] == {"jkt": key.jkt}
    assert "dpop-nonce" not in response.headers


def test_without_a_proof_the_token_is_a_bearer_token(
    runtime: Runtime, http: TestClient, daemon: dict[str, Any]
) -> None:
    body = cc(http, daemon).json()
    assert body["token_type"] == "Bearer"
    assert "cnf" not in token_claims(runtime, body["access_token"])


def test_a_client_that_requires_dpop_is_refused_without_a_proof(
    runtime: Runtime, http: TestClient, daemon: dict[str, Any], key: DPoPKey
) -> None:
    client_admin.update_client(runtime, client_admin.ClientSpec("daemon", require_dpop=True))
    assert_oauth_error(cc(http, daemon), "invalid_dpop_proof", "must send a DPoP proof")
    assert cc(http, daemon, key.proof("POST", TOKEN)).json()["token_type"] == "DPoP"


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda k: k.proof("GET", TOKEN), "another method"),
        (lambda k: k.proof("POST", USERINFO), "another URI"),
        (lambda k: k.proof("POST", TOKEN, typ="JWT"), "typ"),
        (lambda k: k.proof("POST", TOKEN, iat=1), "too old"),
    ],
    ids=["htm", "htu", "typ", "iat"],
)
def test_a_bad_proof_is_invalid_dpop_proof(
    http: TestClient, daemon: dict[str, Any], key: DPoPKey, make: Any, fragment: str
) -> None:
    assert_oauth_error(cc(http, daemon, make(key)), "invalid_dpop_proof", fragment)


def test_two_proofs_and_a_replayed_proof_are_refused(
    http: TestClient, daemon: dict[str, Any], key: DPoPKey
) -> None:
    proof = key.proof("POST", TOKEN)
    assert_oauth_error(cc(http, daemon, proof, proof), "invalid_dpop_proof", "one DPoP header")
    assert cc(http, daemon, proof).status_code == 200
    assert_oauth_error(cc(http, daemon, proof), "invalid_dpop_proof", "already used")


def test_required_nonces_travel_in_the_dpop_nonce_header(
    runtime: Runtime, http: TestClient, daemon: dict[str, Any], key: DPoPKey
) -> None:
    provider = runtime.provider
    provider.config = dataclasses.replace(provider.config, dpop_nonce_required=True)
    refused = cc(http, daemon, key.proof("POST", TOKEN))
    assert_oauth_error(refused, "use_dpop_nonce", "nonce")
    nonce = refused.headers["dpop-nonce"]
    accepted = cc(http, daemon, key.proof("POST", TOKEN, nonce=nonce))
    assert accepted.status_code == 200, accepted.text
    assert accepted.headers["dpop-nonce"] == nonce


def test_discovery_advertises_the_proof_algorithms(http: TestClient) -> None:
    metadata = http.get("/.well-known/openid-configuration").json()
    assert metadata["dpop_signing_alg_values_supported"] == list(ALGS)


def test_cors_lets_a_browser_send_proofs_and_read_nonces(
    runtime: Runtime, http: TestClient, spa: dict[str, Any]
) -> None:
    origin = "http://127.0.0.1:5173"
    preflight = http.options(
        "/token", headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
    )
    assert "DPoP" in preflight.headers["access-control-allow-headers"]
    assert "DPoP-Nonce" in preflight.headers["access-control-expose-headers"]


# -- Refresh tokens (RFC 9449 §5) -----------------------------------------------------------


def test_a_public_clients_refresh_token_is_bound_to_its_key(
    runtime: Runtime, http: TestClient, spa: dict[str, Any], key: DPoPKey
) -> None:
    tokens = code_tokens(http, spa, key)
    assert tokens["token_type"] == "DPoP"
    assert token_claims(runtime, tokens["access_token"])["cnf"] == {"jkt": key.jkt}
    stranger = DPoPKey()
    for other, fragment in ((None, "bound to a DPoP key"), (stranger, "another key")):
        assert_oauth_error(
            refresh(http, spa, tokens["refresh_token"], other), "invalid_grant", fragment
        )
    # The refused attempts spent nothing and revoked nothing: the key holder refreshes.
    renewed = refresh(http, spa, tokens["refresh_token"], key)
    assert renewed.status_code == 200, renewed.text
    assert token_claims(runtime, renewed.json()["access_token"])["cnf"] == {"jkt": key.jkt}
    again = refresh(http, spa, renewed.json()["refresh_token"], key)
    assert again.status_code == 200, again.text


def test_a_confidential_clients_refresh_token_is_not_bound(
    runtime: Runtime, http: TestClient, key: DPoPKey
) -> None:
    make_user(runtime)
    web = make_client(runtime, redirect_uris=[SPA_REDIRECT], scopes=["openid", "offline_access"])
    result = sign_in(http, "web", redirect_uri=SPA_REDIRECT, scope="openid offline_access")
    data = {
        "grant_type": "authorization_code",
        "code": result.params["code"],
        "redirect_uri": SPA_REDIRECT,
        "code_verifier": result.verifier,
    }
    tokens = token_request(http, web, data, key.proof("POST", TOKEN)).json()
    assert tokens["token_type"] == "DPoP"
    renewed = refresh(http, web, tokens["refresh_token"], None)
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["token_type"] == "Bearer"


def test_a_public_clients_unbound_refresh_token_stays_usable_without_a_proof(
    http: TestClient, spa: dict[str, Any]
) -> None:
    tokens = code_tokens(http, spa, None)
    assert tokens["token_type"] == "Bearer"
    assert refresh(http, spa, tokens["refresh_token"], None).status_code == 200


# -- UserInfo (RFC 9449 §7) and introspection (§6.2) ---------------------------------------


def userinfo(http: TestClient, scheme: str, token: str, *proofs: str) -> Response:
    headers = [("Authorization", f"{scheme} {token}"), *(("DPoP", p) for p in proofs)]
    return http.get("/userinfo", headers=headers)


def assert_dpop_challenge(response: Response, error: str, fragment: str) -> None:
    assert response.status_code == 401, response.text
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('DPoP realm="gatehouse", '), challenge
    assert f'error="{error}"' in challenge
    assert f'algs="{" ".join(ALGS)}"' in challenge
    assert response.json()["error"] == error
    assert fragment in response.json()["error_description"]


def test_userinfo_accepts_a_bound_token_with_a_proof_of_its_key(
    http: TestClient, spa: dict[str, Any], key: DPoPKey
) -> None:
    access = code_tokens(http, spa, key)["access_token"]
    response = userinfo(http, "DPoP", access, key.proof("GET", USERINFO, access_token=access))
    assert response.status_code == 200, response.text
    assert response.json()["sub"]


@pytest.mark.parametrize(
    ("send", "error", "fragment"),
    [
        (lambda k, a: ("Bearer", []), "invalid_token", "DPoP-bound"),
        (lambda k, a: ("DPoP", []), "invalid_dpop_proof", "needs a DPoP proof"),
        (
            lambda k, a: ("DPoP", [DPoPKey().proof("GET", USERINFO, access_token=a)]),
            "invalid_dpop_proof",
            "another key",
        ),
        (lambda k, a: ("DPoP", [k.proof("GET", USERINFO)]), "invalid_dpop_proof", "lacks ath"),
        (
            lambda k, a: ("DPoP", [k.proof("GET", TOKEN, access_token=a)]),
            "invalid_dpop_proof",
            "another URI",
        ),
    ],
    ids=["as-bearer", "no-proof", "other-key", "no-ath", "wrong-htu"],
)
def test_userinfo_refuses_a_bound_token_without_the_right_proof(
    http: TestClient, spa: dict[str, Any], key: DPoPKey, send: Any, error: str, fragment: str
) -> None:
    access = code_tokens(http, spa, key)["access_token"]
    scheme, proofs = send(key, access)
    assert_dpop_challenge(userinfo(http, scheme, access, *proofs), error, fragment)


def test_userinfo_refuses_a_replayed_proof(
    http: TestClient, spa: dict[str, Any], key: DPoPKey
) -> None:
    access = code_tokens(http, spa, key)["access_token"]
    proof = key.proof("GET", USERINFO, access_token=access)
    assert userinfo(http, "DPoP", access, proof).status_code == 200
    assert_dpop_challenge(userinfo(http, "DPoP", access, proof), "invalid_dpop_proof", "already")


def test_userinfo_refuses_a_bearer_token_sent_as_dpop(
    http: TestClient, spa: dict[str, Any], key: DPoPKey
) -> None:
    access = code_tokens(http, spa, None)["access_token"]
    response = userinfo(http, "DPoP", access, key.proof("GET", USERINFO, access_token=access))
    assert_dpop_challenge(response, "invalid_token", "not DPoP-bound")
    assert userinfo(http, "Bearer", access).status_code == 200


def test_introspection_shows_the_binding(
    runtime: Runtime, http: TestClient, daemon: dict[str, Any], key: DPoPKey
) -> None:
    access = cc(http, daemon, key.proof("POST", TOKEN)).json()["access_token"]
    body = introspect(http, daemon, access).json()
    assert body["active"] is True
    assert body["token_type"] == "DPoP"
    assert body["cnf"] == {"jkt": key.jkt}
