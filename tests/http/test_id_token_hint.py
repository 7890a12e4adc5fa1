"""id_token_hint at the authorization endpoint (OIDC Core §3.1.2.1)."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from gatehouse.runtime import Runtime
from tests.support.factories import make_client, make_user
from tests.support.flow import redeem, run_flow


def _id_token(runtime: Runtime, http: TestClient, username: str) -> tuple[dict[str, Any], str]:
    client = make_client(runtime, f"app-{username}")
    result = run_flow(http, f"app-{username}", login=username)
    return client, redeem(http, result.params["code"], result.verifier, client).json()["id_token"]


def test_prompt_none_with_the_hint_of_the_signed_in_user_returns_a_code(
    runtime: Runtime, http: TestClient
) -> None:
    make_user(runtime, "alice")
    _client, hint = _id_token(runtime, http, "alice")
    result = run_flow(http, "app-alice", prompt="none", id_token_hint=hint)
    assert "code" in result.params


def test_prompt_none_with_another_users_hint_is_login_required(
    runtime: Runtime, http: TestClient
) -> None:
    make_user(runtime, "alice")
    make_user(runtime, "bob")
    _client, bobs_hint = _id_token(runtime, http, "bob")
    http.cookies.clear()
    _id_token(runtime, http, "alice")  # the browser is now signed in as alice
    result = run_flow(http, "app-alice", prompt="none", id_token_hint=bobs_hint)
    assert result.params["error"] == "login_required"


def test_a_forged_hint_is_invalid_request(runtime: Runtime, http: TestClient) -> None:
    make_user(runtime, "alice")
    _client, hint = _id_token(runtime, http, "alice")
    header, payload, signature = hint.split(".")
    result = run_flow(http, "app-alice", id_token_hint=f"{header}.{payload}.{'A' * len(signature)}")
    assert result.params["error"] == "invalid_request"
    assert "id_token_hint" in result.params["error_description"]
