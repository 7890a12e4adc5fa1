"""Token revocation over HTTP (RFC 7009): refresh tokens take their family with them, access
tokens go on the deny-list, and the answer is 200 whatever the token was (§2.2)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from gatehouse.runtime import Runtime
from tests.support.factories import (
    REDIRECT_URI,
    make_client,
    make_public_client,
    make_user,
)
from tests.support.flow import get_tokens, install_clock
from tests.support.tokens import (
    assert_oauth_error,
    introspect,
    refresh,
    revoke,
    userinfo,
)

SPA_ORIGIN = "http://127.0.0.1:5173"


@pytest.fixture
def web(runtime: Runtime) -> dict[str, Any]:
    make_user(runtime)
    return make_client(runtime)


@pytest.fixture
def tokens(http: TestClient, web: dict[str, Any]) -> dict[str, Any]:
    return get_tokens(http, web, scope="openid profile offline_access")


def revoked_ok(http: TestClient, client: dict[str, Any], token: str, **extra: Any) -> None:
    response = revoke(http, client, token, **extra)
    assert response.status_code == 200, response.text
    assert response.content == b""
    assert response.headers["cache-control"] == "no-store"


# -- Refresh tokens --------------------------------------------------------------------------


def test_revoking_a_refresh_token_kills_its_family(
    http: TestClient, web: dict[str, Any], tokens: dict[str, Any]
) -> None:
    first = tokens["refresh_token"]
    second = refresh(http, web, first).json()["refresh_token"]
    third = refresh(http, web, second).json()["refresh_token"]
    # Revoking an older token of the family is enough to end the newest.
    revoked_ok(http, web, first)
    assert_oauth_error(refresh(http, web, third), "invalid_grant")


def test_revoking_the_current_refresh_token(
    http: TestClient, web: dict[str, Any], tokens: dict[str, Any]
) -> None:
    revoked_ok(http, web, tokens["refresh_token"])
    assert_oauth_error(refresh(http, web, tokens["refresh_token"]), "invalid_grant")
    assert introspect(http, web, tokens["refresh_token"]).json() == {"active": False}


def test_revoking_one_family_leaves_another(
    http: TestClient, web: dict[str, Any], tokens: dict[str, Any]
) -> None:
    other = get_tokens(http, web, scope="openid offline_access")["refresh_token"]
    revoked_ok(http, web, tokens["refresh_token"])
    assert refresh(http, web, other).status_code == 200


@pytest.mark.parametrize("hint", ["access_token", "refresh_token", "unknown_type"])
def test_the_hint_does_not_hide_a_refresh_token(
    http: TestClient, web: dict[str, Any], tokens: dict[str, Any], hint: str
) -> None:
    revoked_ok(http, web, tokens["refresh_token"], token_type_hint=hint)
    assert refresh(http, web, tokens["refresh_token"]).status_code == 400


# -- Access tokens ---------------------------------------------------------------------------


@pytest.mark.parametrize("hint", [None, "access_token", "refresh_token"])
def test_revoking_an_access_token(
    http: TestClient, web: dict[str, Any], tokens: dict[str, Any], hint: str | None
) -> None:
    access = tokens["access_token"]
    assert userinfo(http, access).status_code == 200
    extra = {"token_type_hint": hint} if hint else {}
    revoked_ok(http, web, access, **extra)
    response = userinfo(http, access)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert "revoked" in response.json()["error_description"]
    assert introspect(http, web, access).json() == {"active": False}
    # The refresh token is a separate grant artefact and still works.
    assert refresh(http, web, tokens["refresh_token"]).status_code == 200


def test_revoking_an_access_token_twice_is_fine(
    http: TestClient, web: dict[str, Any], tokens: dict[str, Any]
) -> None:
    revoked_ok(http, web, tokens["access_token"])
    revoked_ok(http, web, tokens["access_token"])


def test_revoking_an_expired_access_token_is_fine(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    clock = install_clock(runtime)
    access = get_tokens(http, web, scope="openid")["access_token"]
    clock.advance(runtime.provider.config.access_token_lifetime + 1)
    revoked_ok(http, web, access)


# -- Tokens that are not the caller's ---------------------------------------------------------


def test_another_clients_tokens_answer_200_and_keep_working(
    runtime: Runtime, http: TestClient, web: dict[str, Any], tokens: dict[str, Any]
) -> None:
    other = make_client(runtime, "other")
    revoked_ok(http, other, tokens["access_token"])
    revoked_ok(http, other, tokens["refresh_token"])
    assert userinfo(http, tokens["access_token"]).status_code == 200
    assert refresh(http, web, tokens["refresh_token"]).status_code == 200


@pytest.mark.parametrize("token", ["unknown", "a.b.c", "A" * 43, "x" * 4000, "é"])
def test_unknown_tokens_answer_200(http: TestClient, web: dict[str, Any], token: str) -> None:
    revoked_ok(http, web, token)


# -- Requests --------------------------------------------------------------------------------


def test_missing_token_is_invalid_request(http: TestClient, web: dict[str, Any]) -> None:
    response = http.post(
        "/revoke", data={"token_type_hint": "access_token"}, auth=("web", web["client_secret"])
    )
    assert_oauth_error(response, "invalid_request", "token")


def test_a_confidential_client_must_authenticate(
    http: TestClient, web: dict[str, Any], tokens: dict[str, Any]
) -> None:
    response = http.post("/revoke", data={"token": tokens["refresh_token"]})
    assert_oauth_error(response, "invalid_client")
    response = http.post("/revoke", data={"token": tokens["refresh_token"], "client_id": "web"})
    assert_oauth_error(response, "invalid_client")
    wrong = {**web, "client_secret": "w" * 43}
    assert_oauth_error(revoke(http, wrong, tokens["refresh_token"]), "invalid_client")
    # None of these revoked anything.
    assert refresh(http, web, tokens["refresh_token"]).status_code == 200


def test_revocation_is_post_only(http: TestClient) -> None:
    assert http.get("/revoke").status_code == 405


# -- Public clients and CORS -----------------------------------------------------------------


@pytest.fixture
def spa(runtime: Runtime) -> dict[str, Any]:
    make_user(runtime)
    return make_public_client(runtime, redirect_uris=[REDIRECT_URI, f"{SPA_ORIGIN}/callback"])


def test_a_public_client_revokes_its_own_tokens_with_client_id_only(
    http: TestClient, spa: dict[str, Any]
) -> None:
    body = get_tokens(http, spa, scope="openid offline_access")
    revoked_ok(http, spa, body["refresh_token"])
    assert_oauth_error(refresh(http, spa, body["refresh_token"]), "invalid_grant")
    revoked_ok(http, spa, body["access_token"])
    assert userinfo(http, body["access_token"]).status_code == 401


def test_a_public_client_cannot_revoke_a_confidential_clients_token(
    http: TestClient, spa: dict[str, Any], runtime: Runtime
) -> None:
    web = make_client(runtime)
    body = get_tokens(http, web, scope="openid offline_access")
    revoked_ok(http, spa, body["refresh_token"])
    assert refresh(http, web, body["refresh_token"]).status_code == 200


def test_cors_on_revoke_for_the_clients_origin(http: TestClient, spa: dict[str, Any]) -> None:
    body = get_tokens(http, spa, scope="openid offline_access")
    response = revoke(http, spa, body["refresh_token"], headers={"Origin": SPA_ORIGIN})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == SPA_ORIGIN
    assert "Origin" in response.headers["vary"]
    assert "access-control-allow-credentials" not in response.headers

    preflight = http.options(
        "/revoke",
        headers={
            "Origin": SPA_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == SPA_ORIGIN
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()


def test_cors_errors_carry_the_header_too(http: TestClient, spa: dict[str, Any]) -> None:
    """A browser app must be able to read the error of a failed revocation."""
    response = http.post("/revoke", data={"client_id": "spa"}, headers={"Origin": SPA_ORIGIN})
    assert response.status_code == 400
    assert response.headers["access-control-allow-origin"] == SPA_ORIGIN


def test_no_cors_for_an_unknown_origin(http: TestClient, spa: dict[str, Any]) -> None:
    response = http.post(
        "/revoke",
        data={"client_id": "spa", "token": "x"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    preflight = http.options(
        "/revoke",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers
