"""id_token_hint at the authorization endpoint (OIDC Core §3.1.2.1)."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from gatehouse.runtime import Runtime
from tests.support.factories import make_client, make_user
from tests.support.flow import redeem, run_flow, start_authorize, submit_login


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


def test_signing_in_as_someone_else_than_the_hint_names_is_login_required(
    runtime: Runtime, http: TestClient
) -> None:
    """OIDC Core §3.1.2.1: the hint names the user the client expects; if another person
    signs in during the request, the client gets login_required, not their code."""
    make_user(runtime, "alice")
    make_user(runtime, "bob")
    _client, alices_hint = _id_token(runtime, http, "alice")
    http.cookies.clear()
    response, _ = start_authorize(http, "app-alice", id_token_hint=alices_hint, state="h1")
    after = submit_login(http, response.headers["location"], "bob")
    assert after.status_code == 303
    location = after.headers["location"]
    assert location.startswith("https://app.example.com/callback?"), location
    assert "error=login_required" in location and "code=" not in location


def test_an_access_token_is_not_an_id_token_hint(runtime: Runtime, http: TestClient) -> None:
    make_user(runtime, "alice")
    client = make_client(runtime, "app")
    result = run_flow(http, "app")
    access_token = redeem(http, result.params["code"], result.verifier, client).json()[
        "access_token"
    ]
    hinted = run_flow(http, "app", prompt="none", id_token_hint=access_token)
    assert hinted.params["error"] == "invalid_request"
    assert http.get("/logout", params={"id_token_hint": access_token}).status_code == 400
