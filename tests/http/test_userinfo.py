"""UserInfo (OIDC Core §5.3) and bearer token validation (RFC 6750, RFC 9068 §4): claims by
scope, and an exact 401/403 challenge for every way a token can be wrong."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from joserfc.jwk import RSAKey
from starlette.testclient import TestClient

from gatehouse.admin.users import delete_user, find_user, set_disabled
from gatehouse.keys.jose import generate_signing_key, load_private_key, sign_jwt, unverified_header
from gatehouse.runtime import Runtime
from gatehouse.storage.records import UserProfile
from tests.conftest import ISSUER
from tests.support.factories import make_client, make_user
from tests.support.flow import get_tokens, install_clock

USERINFO = f"{ISSUER}/userinfo"
ALL_SCOPES = ["openid", "profile", "email", "phone", "address", "offline_access"]
ADDRESS = {"street_address": "1 Main St", "locality": "Springfield", "country": "US"}


@pytest.fixture
def web(runtime: Runtime) -> dict[str, Any]:
    user = make_user(runtime, phone_number="+1 555 0100", given_name="Alice", family_name="Liddell")
    stored = find_user(runtime, user["id"])
    profile = replace(UserProfile.of(stored), address=ADDRESS)
    runtime.store.users.update_profile(stored.id, profile, int(time.time()))
    return make_client(runtime, scopes=ALL_SCOPES)


@pytest.fixture
def tokens(http: TestClient, web: dict[str, Any]) -> dict[str, Any]:
    return get_tokens(http, web, scope="openid profile email")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_bearer_error(response: Any, status: int, error: str, fragment: str) -> None:
    assert response.status_code == status, response.text
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="gatehouse", ')
    assert f'error="{error}"' in challenge
    assert response.json()["error"] == error
    assert fragment in response.json()["error_description"], response.json()
    assert response.headers["cache-control"] == "no-store"


def assert_no_credentials(response: Any, fragment: str = "Authorization: Bearer") -> None:
    """RFC 6750 §3.1: 401 and a challenge without an error code, and so a body without one."""
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == 'Bearer realm="gatehouse"'
    body = response.json()
    assert "error" not in body, body
    assert set(body) == {"error_description"}, body
    assert fragment in body["error_description"], body
    assert response.headers["cache-control"] == "no-store"


# -- Claims -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        pytest.param("openid", set(), id="openid"),
        pytest.param(
            "openid profile",
            {"name", "given_name", "family_name", "preferred_username", "updated_at"},
            id="profile",
        ),
        pytest.param("openid email", {"email", "email_verified"}, id="email"),
        pytest.param("openid phone", {"phone_number", "phone_number_verified"}, id="phone"),
        pytest.param("openid address", {"address"}, id="address"),
    ],
)
def test_claims_follow_the_granted_scopes(
    http: TestClient, web: dict[str, Any], scope: str, expected: set[str]
) -> None:
    body = get_tokens(http, web, scope=scope)
    response = http.get("/userinfo", headers=bearer(body["access_token"]))
    assert response.status_code == 200, response.text
    claims = response.json()
    assert set(claims) == {"sub", *expected}
    if "email" in expected:
        assert claims["email"] == "alice@example.com" and claims["email_verified"] is False
    if "address" in expected:
        assert claims["address"] == ADDRESS
    if "phone_number" in expected:
        assert claims["phone_number"] == "+1 555 0100"
    if "name" in expected:
        assert claims["preferred_username"] == "alice" and claims["given_name"] == "Alice"


def test_get_and_post_with_the_header(http: TestClient, tokens: dict[str, Any]) -> None:
    got = http.get("/userinfo", headers=bearer(tokens["access_token"]))
    posted = http.post("/userinfo", headers=bearer(tokens["access_token"]))
    assert got.status_code == posted.status_code == 200
    assert got.json() == posted.json()
    assert got.headers["cache-control"] == "no-store"
    assert got.headers["content-type"].startswith("application/json")


def test_post_with_the_token_in_the_form_body(http: TestClient, tokens: dict[str, Any]) -> None:
    response = http.post("/userinfo", data={"access_token": tokens["access_token"]})
    assert response.status_code == 200, response.text
    assert response.json()["email"] == "alice@example.com"


@pytest.mark.parametrize(
    "content_type",
    [
        "Application/X-WWW-Form-Urlencoded; charset=UTF-8",
        "APPLICATION/X-WWW-FORM-URLENCODED",
        "application/x-www-form-urlencoded ; charset=utf-8",
    ],
)
def test_form_body_media_type_is_case_insensitive(
    http: TestClient, tokens: dict[str, Any], content_type: str
) -> None:
    """RFC 9110 §8.3.1: media types are case-insensitive."""
    response = http.post(
        "/userinfo",
        content=f"access_token={tokens['access_token']}",
        headers={"content-type": content_type},
    )
    assert response.status_code == 200, response.text
    assert response.json()["email"] == "alice@example.com"


def test_form_body_token_beside_another_schemes_header(
    http: TestClient, tokens: dict[str, Any]
) -> None:
    """A Basic header (say, from a proxy in front) carries no bearer token, so the one in
    the body is the only one sent."""
    response = http.post(
        "/userinfo",
        data={"access_token": tokens["access_token"]},
        headers={"Authorization": "Basic d2ViOnNlY3JldA=="},
    )
    assert response.status_code == 200, response.text


def test_lowercase_bearer_scheme_is_accepted(http: TestClient, tokens: dict[str, Any]) -> None:
    response = http.get("/userinfo", headers={"Authorization": f"bearer {tokens['access_token']}"})
    assert response.status_code == 200


# -- Missing and malformed requests -----------------------------------------------------------


def test_missing_token_is_401_without_an_error_code(http: TestClient, web: dict[str, Any]) -> None:
    """RFC 6750 §3.1: a request without credentials gets a bare challenge."""
    for response in (http.get("/userinfo"), http.post("/userinfo")):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Bearer realm="gatehouse"'
        assert_no_credentials(response, "an access token is required")


def test_token_in_the_query_string_is_not_accepted(
    http: TestClient, tokens: dict[str, Any]
) -> None:
    response = http.get("/userinfo", params={"access_token": tokens["access_token"]})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="gatehouse"'
    assert_no_credentials(response)


def test_token_in_a_json_body_is_not_accepted(http: TestClient, tokens: dict[str, Any]) -> None:
    response = http.post("/userinfo", json={"access_token": tokens["access_token"]})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="gatehouse"'
    assert_no_credentials(response)


def test_token_in_header_and_body_is_invalid_request(
    http: TestClient, tokens: dict[str, Any]
) -> None:
    response = http.post(
        "/userinfo",
        headers=bearer(tokens["access_token"]),
        data={"access_token": tokens["access_token"]},
    )
    assert_bearer_error(response, 400, "invalid_request", "send the access token once")


def test_duplicate_access_token_in_the_body_is_invalid_request(
    http: TestClient, tokens: dict[str, Any]
) -> None:
    token = tokens["access_token"]
    response = http.post(
        "/userinfo",
        content=f"access_token={token}&access_token={token}",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert_bearer_error(response, 400, "invalid_request", "more than once")


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("Bearer", id="bearer-without-token"),
        pytest.param("Bearer    ", id="bearer-blank"),
    ],
)
def test_malformed_authorization_header(http: TestClient, web: dict[str, Any], header: str) -> None:
    """RFC 6750 §3.1: a malformed request is 400 invalid_request (as gatehouse.rs answers)."""
    response = http.get("/userinfo", headers={"Authorization": header})
    assert_bearer_error(response, 400, "invalid_request", "Bearer <access token>")


@pytest.mark.parametrize(
    ("scheme", "credentials"),
    [
        pytest.param("Basic ", "d2ViOnNlY3JldA==", id="basic-scheme"),
        pytest.param("Token ", "t0ken-value", id="other-scheme"),
        pytest.param("", "Bearerabc", id="no-space-after-bearer"),
    ],
)
def test_another_scheme_is_a_request_without_credentials(
    http: TestClient, web: dict[str, Any], scheme: str, credentials: str
) -> None:
    """RFC 6750 §3.1: a request "attempted using an unsupported authentication method" gets
    the challenge without an error code, as one without credentials does."""
    header = {"Authorization": scheme + credentials}
    for response in (http.get("/userinfo", headers=header), http.post("/userinfo", headers=header)):
        assert_no_credentials(response, "is not of the Bearer scheme")
        assert credentials not in response.text  # another scheme's credentials may be a password


# -- Every way a token can be wrong -----------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return (
        json.loads(base64.urlsafe_b64decode(pad(header))),
        json.loads(base64.urlsafe_b64decode(pad(payload))),
        signature,
    )


def _claims(tokens: dict[str, Any]) -> dict[str, Any]:
    return _parts(tokens["access_token"])[1]


def _sign_with_provider_key(
    runtime: Runtime, claims: dict[str, Any], typ: str = "at+jwt", alg: str = "ES256"
) -> str:
    return sign_jwt(claims, runtime.provider.keys.keyring().signing_key(alg), typ=typ)


def forged_alg_none(runtime: Runtime, tokens: dict[str, Any]) -> str:
    header = {"alg": "none", "typ": "at+jwt"}
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(_claims(tokens)).encode())}."


def forged_hs256_with_public_key(runtime: Runtime, tokens: dict[str, Any]) -> str:
    """The classic key confusion: HMAC keyed with the published public key."""
    jwk = next(k for k in runtime.provider.keys.keyring().jwks["keys"] if k["alg"] == "ES256")
    header = {"alg": "HS256", "typ": "at+jwt", "kid": jwk["kid"]}
    signing_input = (
        f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(_claims(tokens)).encode())}"
    )
    signature = hmac.new(json.dumps(jwk).encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def forged_hs256_with_rsa_pem(runtime: Runtime, tokens: dict[str, Any]) -> str:
    jwk = next(k for k in runtime.provider.keys.keyring().jwks["keys"] if k["alg"] == "RS256")
    pem = RSAKey.import_key(jwk).as_pem(private=False)
    header = {"alg": "HS256", "typ": "at+jwt", "kid": jwk["kid"]}
    signing_input = (
        f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(_claims(tokens)).encode())}"
    )
    return f"{signing_input}.{_b64(hmac.new(pem, signing_input.encode(), hashlib.sha256).digest())}"


def foreign_key_same_kid(runtime: Runtime, tokens: dict[str, Any]) -> str:
    kid = unverified_header(tokens["access_token"])["kid"]
    generated = generate_signing_key("ES256")
    key = load_private_key(generated.private_pem, kid, "ES256")
    return sign_jwt(_claims(tokens), key, typ="at+jwt")


def foreign_key_own_kid(runtime: Runtime, tokens: dict[str, Any]) -> str:
    generated = generate_signing_key("ES256")
    key = load_private_key(generated.private_pem, generated.kid, "ES256")
    return sign_jwt(_claims(tokens), key, typ="at+jwt")


def tampered_signature(runtime: Runtime, tokens: dict[str, Any]) -> str:
    head, payload, signature = tokens["access_token"].split(".")
    flipped = ("A" if signature[10] != "A" else "B").join((signature[:10], signature[11:]))
    return f"{head}.{payload}.{flipped}"


def tampered_payload(runtime: Runtime, tokens: dict[str, Any]) -> str:
    head, _payload, signature = tokens["access_token"].split(".")
    claims = {**_claims(tokens), "scope": "openid profile email phone address"}
    return f"{head}.{_b64(json.dumps(claims).encode())}.{signature}"


def id_token(runtime: Runtime, tokens: dict[str, Any]) -> str:
    return str(tokens["id_token"])


def typ_jwt(runtime: Runtime, tokens: dict[str, Any]) -> str:
    """Everything right except the type: must not pass as an access token (RFC 9068 §4)."""
    return _sign_with_provider_key(runtime, _claims(tokens), typ="JWT")


def other_issuer(runtime: Runtime, tokens: dict[str, Any]) -> str:
    return _sign_with_provider_key(runtime, {**_claims(tokens), "iss": "https://evil.example"})


def other_audience(runtime: Runtime, tokens: dict[str, Any]) -> str:
    return _sign_with_provider_key(runtime, {**_claims(tokens), "aud": "https://api.example.com"})


def no_jti(runtime: Runtime, tokens: dict[str, Any]) -> str:
    claims = _claims(tokens)
    del claims["jti"]
    return _sign_with_provider_key(runtime, claims)


def exp_as_string(runtime: Runtime, tokens: dict[str, Any]) -> str:
    return _sign_with_provider_key(
        runtime, {**_claims(tokens), "exp": str(int(time.time()) + 3600)}
    )


def iat_an_hour_ahead(runtime: Runtime, tokens: dict[str, Any]) -> str:
    """Issue 11 item 8: gatehouse.rs refuses a token issued in the future; so does UserInfo."""
    return _sign_with_provider_key(runtime, {**_claims(tokens), "iat": int(time.time()) + 3600})


def nbf_an_hour_ahead(runtime: Runtime, tokens: dict[str, Any]) -> str:
    return _sign_with_provider_key(runtime, {**_claims(tokens), "nbf": int(time.time()) + 3600})


def nbf_as_string(runtime: Runtime, tokens: dict[str, Any]) -> str:
    return _sign_with_provider_key(runtime, {**_claims(tokens), "nbf": str(int(time.time()))})


def no_iat(runtime: Runtime, tokens: dict[str, Any]) -> str:
    claims = _claims(tokens)
    del claims["iat"]
    return _sign_with_provider_key(runtime, claims)


def garbage(runtime: Runtime, tokens: dict[str, Any]) -> str:
    return "not-a-jwt"


def three_garbage_parts(runtime: Runtime, tokens: dict[str, Any]) -> str:
    return "eyJ!!.e30.$$$"


def json_array_header(runtime: Runtime, tokens: dict[str, Any]) -> str:
    return f"{_b64(b'[1,2]')}.{_b64(b'{}')}.AAAA"


BAD_TOKENS: list[Any] = [
    pytest.param(garbage, "malformed", id="malformed"),
    pytest.param(three_garbage_parts, "malformed", id="malformed-three-parts"),
    pytest.param(json_array_header, "malformed", id="header-not-an-object"),
    pytest.param(tampered_signature, "signature is invalid", id="tampered-signature"),
    pytest.param(tampered_payload, "signature is invalid", id="tampered-payload"),
    pytest.param(foreign_key_same_kid, "signature is invalid", id="foreign-key-same-kid"),
    pytest.param(foreign_key_own_kid, "signature is invalid", id="foreign-key-own-kid"),
    pytest.param(forged_alg_none, "signature is invalid", id="alg-none"),
    pytest.param(forged_hs256_with_public_key, "signature is invalid", id="hs256-with-public-jwk"),
    pytest.param(forged_hs256_with_rsa_pem, "signature is invalid", id="hs256-with-rsa-public-pem"),
    pytest.param(id_token, "typ must be at+jwt", id="id-token"),
    pytest.param(typ_jwt, "typ must be at+jwt", id="typ-jwt"),
    pytest.param(other_issuer, "another issuer", id="other-issuer"),
    pytest.param(other_audience, "not for this resource", id="other-audience"),
    pytest.param(no_jti, "lacks sub or jti", id="no-jti"),
    pytest.param(exp_as_string, "expired", id="exp-not-a-number"),
    pytest.param(iat_an_hour_ahead, "issued in the future", id="iat-in-the-future"),
    pytest.param(nbf_an_hour_ahead, "not valid yet", id="nbf-in-the-future"),
    pytest.param(nbf_as_string, "not valid yet", id="nbf-not-a-number"),
    pytest.param(no_iat, "lacks iat", id="no-iat"),
]


@pytest.mark.parametrize(("forge", "fragment"), BAD_TOKENS)
def test_bad_tokens_are_401_invalid_token(
    runtime: Runtime,
    http: TestClient,
    tokens: dict[str, Any],
    forge: Callable[[Runtime, dict[str, Any]], str],
    fragment: str,
) -> None:
    token = forge(runtime, tokens)
    for response in (
        http.get("/userinfo", headers=bearer(token)),
        http.post("/userinfo", data={"access_token": token}),
    ):
        assert_bearer_error(response, 401, "invalid_token", fragment)
    # The genuine token still works: the checks reject the forgery, not everything.
    assert http.get("/userinfo", headers=bearer(tokens["access_token"])).status_code == 200


def test_expired_token(runtime: Runtime, http: TestClient, web: dict[str, Any]) -> None:
    clock = install_clock(runtime)
    body = get_tokens(http, web)
    clock.advance(body["expires_in"] - 1)
    assert http.get("/userinfo", headers=bearer(body["access_token"])).status_code == 200
    clock.advance(1)
    assert_bearer_error(
        http.get("/userinfo", headers=bearer(body["access_token"])), 401, "invalid_token", "expired"
    )


def test_revoked_jti(runtime: Runtime, http: TestClient, tokens: dict[str, Any]) -> None:
    claims = _claims(tokens)
    runtime.provider.revocations.deny_access_token(claims["jti"], claims["exp"])
    response = http.get("/userinfo", headers=bearer(tokens["access_token"]))
    assert_bearer_error(response, 401, "invalid_token", "revoked")


def test_disabled_user(runtime: Runtime, http: TestClient, tokens: dict[str, Any]) -> None:
    set_disabled(runtime, "alice", True)
    response = http.get("/userinfo", headers=bearer(tokens["access_token"]))
    assert_bearer_error(response, 401, "invalid_token", "disabled or deleted")


def test_deleted_user(runtime: Runtime, http: TestClient, tokens: dict[str, Any]) -> None:
    delete_user(runtime, "alice")
    response = http.get("/userinfo", headers=bearer(tokens["access_token"]))
    assert_bearer_error(response, 401, "invalid_token", "disabled or deleted")


def test_token_without_openid_is_403_insufficient_scope(
    http: TestClient, web: dict[str, Any]
) -> None:
    body = get_tokens(http, web, scope="profile email")
    response = http.get("/userinfo", headers=bearer(body["access_token"]))
    assert_bearer_error(response, 403, "insufficient_scope", "openid")
    assert 'scope="openid"' in response.headers["www-authenticate"]


def test_error_description_in_the_challenge_is_quoted_safely(
    http: TestClient, web: dict[str, Any]
) -> None:
    response = http.get("/userinfo", headers=bearer('a"b\\c'))
    challenge = response.headers["www-authenticate"]
    assert challenge.count('"') % 2 == 0
    assert 'error_description="' in challenge


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"caf%C3%A9=1&caf%C3%A9=2", id="non-ascii-parameter-name"),
        pytest.param(b"%FF%FE=1", id="non-utf8-parameter-name"),
        pytest.param("access_token=x&回调=1&回调=2".encode(), id="raw-utf8-name"),
    ],
)
def test_challenge_stays_ascii_when_the_description_echoes_input(
    http: TestClient, web: dict[str, Any], body: bytes
) -> None:
    """RFC 6750 §3: error_description in the header is limited to printable ASCII; echoing a
    non-ASCII parameter name there used to crash the response (500)."""
    response = http.post(
        "/userinfo", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 400
    challenge = response.headers["www-authenticate"]
    assert challenge.isascii() and "\\" not in challenge
    assert 'error="invalid_request"' in challenge


@pytest.mark.parametrize("claim", ["iat", "nbf"])
def test_a_start_a_few_seconds_ahead_is_clock_skew_between_servers(
    runtime: Runtime, http: TestClient, tokens: dict[str, Any], claim: str
) -> None:
    token = _sign_with_provider_key(runtime, {**_claims(tokens), claim: int(time.time()) + 5})
    assert http.get("/userinfo", headers=bearer(token)).status_code == 200
