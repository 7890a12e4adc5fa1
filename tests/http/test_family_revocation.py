"""Revoking a token family also revokes the access tokens issued with it (RFC 9700 §4.14.2):
UserInfo and introspection refuse them, not only the refresh tokens."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from gatehouse.runtime import Runtime
from tests.support.factories import make_client, make_user
from tests.support.flow import past_retry_window, redeem, run_flow


def _userinfo(http: TestClient, access_token: str) -> int:
    return http.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"}).status_code


def _refresh(http: TestClient, client: dict[str, Any], refresh_token: str) -> Any:
    return http.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(client["client_id"], client["client_secret"]),
    )


def test_reuse_of_a_rotated_refresh_token_revokes_every_access_token_of_the_family(
    runtime: Runtime, http: TestClient
) -> None:
    client = make_client(runtime)
    make_user(runtime)
    result = run_flow(http, scope="openid offline_access")
    first = redeem(http, result.params["code"], result.verifier, client).json()
    second = _refresh(http, client, first["refresh_token"]).json()
    assert _userinfo(http, first["access_token"]) == 200
    assert _userinfo(http, second["access_token"]) == 200

    past_retry_window(runtime)
    reused = _refresh(http, client, first["refresh_token"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"

    assert _userinfo(http, first["access_token"]) == 401  # issued with the code
    assert _userinfo(http, second["access_token"]) == 401  # issued with the rotated token
    assert _refresh(http, client, second["refresh_token"]).status_code == 400


def test_revoking_a_refresh_token_revokes_its_access_tokens(
    runtime: Runtime, http: TestClient
) -> None:
    client = make_client(runtime)
    make_user(runtime)
    result = run_flow(http, scope="openid offline_access")
    tokens = redeem(http, result.params["code"], result.verifier, client).json()
    response = http.post(
        "/revoke",
        data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
        auth=(client["client_id"], client["client_secret"]),
    )
    assert response.status_code == 200
    assert _userinfo(http, tokens["access_token"]) == 401
