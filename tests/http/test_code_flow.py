"""The authorization code flow end to end, in-process, on SQLite and PostgreSQL."""

from __future__ import annotations

from starlette.testclient import TestClient

from gatehouse.keys.jose import public_keyset, verify_jwt
from gatehouse.runtime import Runtime
from tests.conftest import ISSUER
from tests.support.factories import make_client, make_user
from tests.support.flow import redeem, run_flow


def test_sign_in_consent_and_tokens(runtime: Runtime, http: TestClient) -> None:
    client = make_client(runtime)
    make_user(runtime)
    result = run_flow(http, scope="openid profile email offline_access")
    assert result.params["iss"] == ISSUER
    assert "code" in result.params

    response = redeem(http, result.params["code"], result.verifier, client)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "openid profile email offline_access"
    assert body["refresh_token"]

    keys = public_keyset(http.get("/jwks").json())
    header, id_claims = verify_jwt(body["id_token"], keys, algorithms=["RS256"])
    assert header["alg"] == "RS256" and header["kid"]
    assert id_claims["aud"] == "web" and id_claims["iss"] == ISSUER
    assert id_claims["amr"] == ["pwd"] and id_claims["sid"] and id_claims["at_hash"]
    at_header, at_claims = verify_jwt(body["access_token"], keys, algorithms=["ES256"])
    assert at_header["typ"] == "at+jwt"
    assert at_claims["client_id"] == "web"

    info = http.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.status_code == 200, info.text
    assert info.json()["email"] == "alice@example.com"
    assert info.json()["sub"] == id_claims["sub"]


def test_second_authorization_uses_sso_and_stored_consent(
    runtime: Runtime, http: TestClient
) -> None:
    make_client(runtime)
    make_user(runtime)
    run_flow(http)
    response = http.get(
        "/authorize",
        params={
            "response_type": "code",
            "client_id": "web",
            "redirect_uri": "https://app.example.com/callback",
            "scope": "openid profile",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("https://app.example.com/callback?code=")
