"""Token introspection over HTTP (RFC 7662): who may look at a token, what an active answer
holds, and the many ways a token is inactive without saying why (§2.2, §4)."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey
from starlette.testclient import TestClient

from gatehouse.admin.users import find_user, set_disabled
from gatehouse.crypto import sha256_digest
from gatehouse.keys.jose import sign_jwt
from gatehouse.runtime import Runtime
from gatehouse.storage.records import SessionSelector
from tests.conftest import ISSUER
from tests.support.cookies import SESSION_COOKIE
from tests.support.factories import (
    ORDERS_API,
    grant_roles,
    make_api,
    make_client,
    make_daemon,
    make_public_client,
    make_user,
)
from tests.support.flow import get_tokens, install_clock, past_retry_window
from tests.support.tokens import (
    assert_oauth_error,
    client_credentials,
    introspect,
    refresh,
    revoke,
    token_claims,
)

INACTIVE = {"active": False}


@pytest.fixture
def web(runtime: Runtime) -> dict[str, Any]:
    make_user(runtime)
    return make_client(runtime)


@pytest.fixture
def tokens(http: TestClient, web: dict[str, Any]) -> dict[str, Any]:
    return get_tokens(http, web, scope="openid profile offline_access")


def active(http: TestClient, client: dict[str, Any], token: str, **extra: str) -> dict[str, Any]:
    response = introspect(http, client, token, **extra)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    assert body["active"] is True, body
    return body


def assert_inactive(http: TestClient, client: dict[str, Any], token: str, **extra: str) -> None:
    response = introspect(http, client, token, **extra)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == INACTIVE  # exactly: nothing about why (RFC 7662 §2.2)


# -- Active answers --------------------------------------------------------------------------


def test_an_access_token_is_active_for_the_client_it_was_issued_to(
    runtime: Runtime, http: TestClient, web: dict[str, Any], tokens: dict[str, Any]
) -> None:
    claims = token_claims(runtime, tokens["access_token"])
    body = active(http, web, tokens["access_token"])
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "openid profile offline_access"
    assert body["client_id"] == "web"
    assert body["sub"] == claims["sub"]
    assert body["aud"] == f"{ISSUER}/userinfo"
    assert body["iss"] == ISSUER
    assert body["exp"] == claims["exp"]
    assert body["iat"] == claims["iat"]
    assert body["nbf"] == claims["nbf"] == claims["iat"]
    assert body["jti"] == claims["jti"]


@pytest.mark.parametrize("hint", ["access_token", "refresh_token", "something_else"])
def test_any_hint_finds_the_token(
    http: TestClient, web: dict[str, Any], tokens: dict[str, Any], hint: str
) -> None:
    """RFC 7662 §2.1: the hint only speeds the lookup; a wrong one must not hide the token."""
    assert active(http, web, tokens["access_token"], token_type_hint=hint)["token_type"] == "Bearer"
    refresh_body = active(http, web, tokens["refresh_token"], token_type_hint=hint)
    assert refresh_body["client_id"] == "web"
    assert "token_type" not in refresh_body  # RFC 7662 §2.2: an access token type only


def test_a_refresh_token_is_active_for_its_client(
    runtime: Runtime, http: TestClient, web: dict[str, Any], tokens: dict[str, Any]
) -> None:
    claims = token_claims(runtime, tokens["access_token"])
    body = active(http, web, tokens["refresh_token"], token_type_hint="refresh_token")
    assert body["client_id"] == "web"
    assert body["sub"] == claims["sub"]
    assert body["scope"] == "openid profile offline_access"
    assert body["iss"] == ISSUER
    assert body["username"] == "alice"
    assert body["exp"] > body["iat"]
    # RFC 7662 §2.2: token_type is the type of an access token (RFC 6749 §7.1, "Bearer");
    # a refresh token has none, so the answer leaves it out and keeps every other field.
    assert set(body) == {"active", "scope", "client_id", "sub", "username", "iss", "exp", "iat"}


def test_the_api_client_sees_tokens_for_its_api(runtime: Runtime, http: TestClient) -> None:
    make_user(runtime)
    api_client = make_daemon(runtime, "orders-api")
    make_api(runtime, ORDERS_API, client_id="orders-api")
    shop = make_client(runtime, "shop", scopes=["openid", "orders.read"])
    body = get_tokens(http, shop, scope="openid orders.read")
    info = active(http, api_client, body["access_token"])
    assert info["aud"] == ORDERS_API
    assert info["client_id"] == "shop"
    assert info["scope"] == "orders.read"
    # …but not the client's tokens for another audience, nor its refresh tokens.
    own = get_tokens(http, shop, scope="openid")
    assert_inactive(http, api_client, own["access_token"])


def test_the_api_client_does_not_see_refresh_tokens(runtime: Runtime, http: TestClient) -> None:
    make_user(runtime)
    api_client = make_daemon(runtime, "orders-api")
    make_api(runtime, ORDERS_API, client_id="orders-api")
    shop = make_client(runtime, "shop", scopes=["openid", "offline_access", "orders.read"])
    body = get_tokens(http, shop, scope="openid offline_access orders.read")
    assert_inactive(http, api_client, body["refresh_token"])


def test_a_client_credentials_token(runtime: Runtime, http: TestClient) -> None:
    make_api(runtime, ORDERS_API)
    daemon = make_daemon(runtime)
    grant_roles(runtime, "daemon", ORDERS_API, "orders.export")
    token = client_credentials(http, daemon, scope=f"{ORDERS_API}/.default").json()["access_token"]
    body = active(http, daemon, token)
    assert body["sub"] == "daemon" and body["client_id"] == "daemon"
    assert body["roles"] == ["orders.export"]
    assert "scope" not in body


# -- Inactive answers ------------------------------------------------------------------------


def test_another_clients_token_is_inactive(
    runtime: Runtime, http: TestClient, tokens: dict[str, Any]
) -> None:
    other = make_client(runtime, "other")
    assert_inactive(http, other, tokens["access_token"])
    assert_inactive(http, other, tokens["refresh_token"])


def test_an_expired_access_token_is_inactive(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    clock = install_clock(runtime)
    body = get_tokens(http, web, scope="openid")
    clock.advance(runtime.provider.config.access_token_lifetime - 1)
    active(http, web, body["access_token"])
    clock.advance(1)
    assert_inactive(http, web, body["access_token"])


def test_an_expired_refresh_token_is_inactive(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    clock = install_clock(runtime)
    body = get_tokens(http, web, scope="openid offline_access")
    clock.advance(runtime.provider.config.refresh_token_idle_lifetime + 1)
    assert_inactive(http, web, body["refresh_token"])


def test_a_revoked_access_token_is_inactive(
    http: TestClient, web: dict[str, Any], tokens: dict[str, Any]
) -> None:
    assert revoke(http, web, tokens["access_token"]).status_code == 200
    assert_inactive(http, web, tokens["access_token"])


def test_rotated_and_revoked_refresh_tokens_are_inactive(
    http: TestClient, web: dict[str, Any], tokens: dict[str, Any]
) -> None:
    first = tokens["refresh_token"]
    second = refresh(http, web, first).json()["refresh_token"]
    assert_inactive(http, web, first)  # rotated
    active(http, web, second)
    assert revoke(http, web, second).status_code == 200
    assert_inactive(http, web, second)


def test_a_family_revoked_by_reuse_is_inactive(
    runtime: Runtime, http: TestClient, web: dict[str, Any], tokens: dict[str, Any]
) -> None:
    first = tokens["refresh_token"]
    second = refresh(http, web, first).json()["refresh_token"]
    past_retry_window(runtime)
    assert refresh(http, web, first).status_code == 400
    assert_inactive(http, web, second)


def test_a_session_bound_refresh_token_is_inactive_after_the_session(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    token = get_tokens(http, web, scope="openid profile")["refresh_token"]
    active(http, web, token)
    which = SessionSelector(id_hash=sha256_digest(http.cookies[SESSION_COOKIE]))
    runtime.store.sessions.end_sessions(which, int(time.time()), "logout", "user")
    assert_inactive(http, web, token)


def test_tokens_of_a_disabled_user_are_inactive(
    runtime: Runtime, http: TestClient, web: dict[str, Any], tokens: dict[str, Any]
) -> None:
    set_disabled(runtime, "alice", True)
    assert_inactive(http, web, tokens["access_token"])
    assert_inactive(http, web, tokens["refresh_token"])


def test_a_refresh_token_older_than_the_password_is_inactive(
    runtime: Runtime, http: TestClient, web: dict[str, Any], tokens: dict[str, Any]
) -> None:
    """Introspection applies the grants' rule, not only the revocation set_password does:
    a refresh token whose sign-in predates the current password is not active."""
    alice = find_user(runtime, "alice")
    assert alice.password_hash is not None
    runtime.store.users.set_password(alice.id, alice.password_hash, int(time.time()) + 5)
    assert_inactive(http, web, tokens["refresh_token"])


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_tampered_and_foreign_tokens_are_inactive(
    runtime: Runtime, http: TestClient, web: dict[str, Any], tokens: dict[str, Any]
) -> None:
    token = tokens["access_token"]
    header, payload, signature = token.split(".")
    claims = token_claims(runtime, token)
    original_header = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))

    # The payload changed under the original signature.
    assert_inactive(http, web, f"{header}.{_b64({**claims, 'sub': 'mallory'})}.{signature}")
    # The signature changed.
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert_inactive(http, web, f"{header}.{payload}.{flipped}")
    # Signed by a key gatehouse never published, with gatehouse's kid.
    foreign_key = ECKey.generate_key("P-256", private=True)
    foreign = jwt.encode(
        {"alg": "ES256", "typ": "at+jwt", "kid": original_header["kid"]},
        claims,
        foreign_key,
        algorithms=["ES256"],
    )
    assert_inactive(http, web, foreign)
    # alg none.
    unsigned = f"{_b64({'alg': 'none', 'typ': 'at+jwt'})}.{_b64(claims)}."
    assert_inactive(http, web, unsigned)
    # An ID token is not an access token (typ).
    assert_inactive(http, web, tokens["id_token"])


@pytest.mark.parametrize(
    "change",
    [
        {"iat": 3600},
        {"nbf": 3600},
        {"iat": 3600, "nbf": 3600},
    ],
    ids=["iat", "nbf", "both"],
)
def test_an_access_token_starting_in_the_future_is_inactive(
    runtime: Runtime,
    http: TestClient,
    web: dict[str, Any],
    tokens: dict[str, Any],
    change: dict[str, int],
) -> None:
    """Issue 11 item 8: gatehouse.rs refuses a token whose iat or nbf lies an hour ahead;
    introspection, which APIs ask instead, must not call it active."""
    claims = token_claims(runtime, tokens["access_token"])
    now = int(time.time())
    future = {**claims, **{name: now + ahead for name, ahead in change.items()}}
    signer = runtime.keys.keyring().signing_key("ES256")
    assert_inactive(http, web, sign_jwt(future, signer, typ="at+jwt"))
    assert active(http, web, sign_jwt(claims, signer, typ="at+jwt"))["jti"] == claims["jti"]


@pytest.mark.parametrize(
    "token",
    ["", "x", "a.b.c", "...", "not a token at all", "é" * 20, "A" * 43, "a.b.c.d.e", "x" * 4000],
)
def test_unknown_strings_are_inactive(http: TestClient, web: dict[str, Any], token: str) -> None:
    response = introspect(http, web, token)
    if token == "":
        assert_oauth_error(response, "invalid_request")
        return
    assert response.status_code == 200, response.text
    assert response.json() == INACTIVE


# -- Who may call ----------------------------------------------------------------------------


def test_a_public_client_may_not_introspect(
    runtime: Runtime, http: TestClient, tokens: dict[str, Any]
) -> None:
    spa = make_public_client(runtime)
    assert_oauth_error(introspect(http, spa, tokens["access_token"]), "invalid_client", "public")


def test_no_authentication_is_invalid_client(
    http: TestClient, web: dict[str, Any], tokens: dict[str, Any]
) -> None:
    response = http.post("/introspect", data={"token": tokens["access_token"]})
    assert_oauth_error(response, "invalid_client")
    assert "active" not in response.json()


def test_a_wrong_secret_is_invalid_client(
    http: TestClient, web: dict[str, Any], tokens: dict[str, Any]
) -> None:
    wrong = {**web, "client_secret": "w" * 43}
    assert_oauth_error(introspect(http, wrong, tokens["access_token"]), "invalid_client")


def test_missing_token_is_invalid_request(http: TestClient, web: dict[str, Any]) -> None:
    response = http.post(
        "/introspect", data={"token_type_hint": "access_token"}, auth=("web", web["client_secret"])
    )
    assert_oauth_error(response, "invalid_request", "token")


def test_introspection_is_post_only(http: TestClient, web: dict[str, Any]) -> None:
    assert http.get("/introspect").status_code == 405
