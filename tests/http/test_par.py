"""Pushed authorization requests over HTTP (RFC 9126): a client pushes its request to /par,
authenticated, and the browser brings only client_id and the request_uri to /authorize.
Every way a push or a request_uri can be wrong gets the spec's error, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from gatehouse.runtime import Runtime
from tests.support.factories import REDIRECT_URI, make_client, make_public_client, make_user
from tests.support.flow import (
    FakeClock,
    assert_error_page,
    authorize_params,
    follow_to_client,
    install_clock,
    query_of,
    redeem,
)
from tests.support.tokens import token_claims

URN = "urn:ietf:params:oauth:request_uri:"


@pytest.fixture
def web(runtime: Runtime) -> dict[str, Any]:
    make_user(runtime)
    return make_client(runtime)


@pytest.fixture
def clock(runtime: Runtime) -> FakeClock:
    return install_clock(runtime)


def push(
    http: TestClient, client: dict[str, Any], **overrides: Any
) -> tuple[Any, dict[str, str], str]:
    """POST /par with the client's secret (Basic); the response, the parameters pushed and
    the PKCE verifier."""
    params, verifier = authorize_params(client["client_id"], **overrides)
    auth = (client["client_id"], client["client_secret"]) if "client_secret" in client else None
    return http.post("/par", data=params, auth=auth), params, verifier


def pushed_uri(http: TestClient, client: dict[str, Any], **overrides: Any) -> tuple[str, str, str]:
    """A request_uri for a good request; with its state and PKCE verifier."""
    response, params, verifier = push(http, client, **overrides)
    assert response.status_code == 201, response.text
    return response.json()["request_uri"], params["state"], verifier


def test_a_pushed_request_signs_in_with_only_client_id_and_request_uri(
    runtime: Runtime, http: TestClient, web: dict[str, Any], clock: FakeClock
) -> None:
    response, params, verifier = push(http, web, scope="openid email")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"request_uri", "expires_in"}
    assert body["request_uri"].startswith(URN) and len(body["request_uri"]) > len(URN) + 30
    assert body["expires_in"] == 60
    assert response.headers["cache-control"] == "no-store"
    authorize = http.get("/authorize", params={"client_id": "web", **body})
    location = follow_to_client(http, authorize)
    answer = query_of(location)
    assert answer["state"] == params["state"]
    tokens = redeem(http, answer["code"], verifier, web).json()
    assert tokens["scope"] == "openid email"
    assert token_claims(runtime, tokens["id_token"])["nonce"] == params["nonce"]


def test_a_public_client_pushes_with_its_client_id(runtime: Runtime, http: TestClient) -> None:
    make_user(runtime)
    spa = make_public_client(runtime, redirect_uris=["http://127.0.0.1:5173/callback"])
    response, _, _ = push(http, spa, redirect_uri="http://127.0.0.1:5173/callback")
    assert response.status_code == 201, response.text


# -- Bad pushes: JSON errors at /par (RFC 9126 §2.3) -----------------------------------------


@pytest.mark.parametrize(
    ("overrides", "error", "fragment"),
    [
        pytest.param(
            {"redirect_uri": "https://evil.example/cb"},
            "invalid_request",
            "is not registered",
            id="unregistered-redirect_uri",
        ),
        pytest.param(
            {"request_uri": URN + "x"}, "invalid_request", "not allowed", id="request_uri-in-push"
        ),
        pytest.param(
            {"response_type": "token"},
            "unsupported_response_type",
            "not supported",
            id="response_type",
        ),
        pytest.param({"scope": "openid admin"}, "invalid_scope", "admin", id="scope"),
        pytest.param(
            {"code_challenge_method": "plain"}, "invalid_request", "S256", id="pkce-plain"
        ),
        pytest.param({"claims": "{"}, "invalid_request", "not valid JSON", id="claims-malformed"),
        pytest.param(
            {"request": "not-a-jwt"}, "invalid_request_object", "not a signed JWT", id="request"
        ),
    ],
)
def test_a_bad_request_is_refused_at_push_time(
    http: TestClient, web: dict[str, Any], overrides: dict[str, str], error: str, fragment: str
) -> None:
    response, _, _ = push(http, web, **overrides)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == error
    assert fragment in response.json()["error_description"]
    assert "location" not in response.headers


def test_a_push_needs_client_authentication(http: TestClient, web: dict[str, Any]) -> None:
    response, _, _ = push(http, {**web, "client_secret": "wrong" * 8})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    params, _ = authorize_params("web")
    response = http.post("/par", data=params)  # a confidential client with no secret
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_par_answers_only_post(http: TestClient) -> None:
    assert http.get("/par").status_code == 405


# -- Bad request_uris at /authorize: invalid_request_uri, an error page -----------------------


@pytest.mark.parametrize(
    "request_uri",
    [
        pytest.param(URN + "guessed-value-0123456789", id="not-issued"),
        pytest.param("https://app.example.com/request.jwt", id="remote-url"),
        pytest.param("urn:example:something", id="other-urn"),
    ],
)
def test_a_request_uri_par_did_not_issue_is_refused(
    http: TestClient, web: dict[str, Any], request_uri: str
) -> None:
    response = http.get("/authorize", params={"client_id": "web", "request_uri": request_uri})
    assert_error_page(response, "invalid_request_uri")


def test_an_expired_request_uri_is_refused(
    http: TestClient, web: dict[str, Any], clock: FakeClock
) -> None:
    request_uri, _, _ = pushed_uri(http, web)
    clock.advance(61)
    response = http.get("/authorize", params={"client_id": "web", "request_uri": request_uri})
    assert_error_page(response, "invalid_request_uri")
    assert "expired" in response.text


def test_a_request_uri_is_used_once(
    http: TestClient, web: dict[str, Any], clock: FakeClock
) -> None:
    request_uri, _, _ = pushed_uri(http, web)
    query = {"client_id": "web", "request_uri": request_uri}
    assert http.get("/authorize", params=query).status_code == 303
    response = http.get("/authorize", params=query)
    assert_error_page(response, "invalid_request_uri")
    assert "already used" in response.text


def test_another_clients_request_uri_is_refused_and_stays_usable(
    runtime: Runtime, http: TestClient, web: dict[str, Any], clock: FakeClock
) -> None:
    make_client(runtime, "other")
    request_uri, state, _ = pushed_uri(http, web)
    response = http.get("/authorize", params={"client_id": "other", "request_uri": request_uri})
    assert_error_page(response, "invalid_request_uri")
    assert "not issued to this client" in response.text
    response = http.get("/authorize", params={"client_id": "web", "request_uri": request_uri})
    assert query_of(follow_to_client(http, response))["state"] == state


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        pytest.param({"request_uri": URN + "x"}, "client_id parameter is required", id="no-id"),
        pytest.param(
            {"client_id": "nobody", "request_uri": URN + "x"}, "no application", id="unknown"
        ),
        pytest.param(
            {"client_id": "web", "request_uri": URN + "x", "request": "a.b.c"},
            "not both",
            id="both",
        ),
    ],
)
def test_request_uri_needs_exactly_its_client(
    http: TestClient, web: dict[str, Any], query: dict[str, str], fragment: str
) -> None:
    response = http.get("/authorize", params=query)
    assert_error_page(response, "invalid_request")
    assert fragment in response.text


def test_the_pushed_parameters_count_not_the_query(
    runtime: Runtime, http: TestClient, web: dict[str, Any], clock: FakeClock
) -> None:
    """RFC 9126 §4: with a request_uri, the other parameters of the query are ignored."""
    request_uri, state, _ = pushed_uri(http, web)
    response = http.get(
        "/authorize",
        params={
            "client_id": "web",
            "request_uri": request_uri,
            "redirect_uri": "https://evil.example/cb",
            "state": "from-the-query",
        },
    )
    location = follow_to_client(http, response)
    assert location.startswith(REDIRECT_URI + "?")
    assert query_of(location)["state"] == state


# -- A client that must push ------------------------------------------------------------------


def test_a_client_that_requires_par_cannot_skip_it(
    runtime: Runtime, http: TestClient, clock: FakeClock
) -> None:
    make_user(runtime)
    strict = make_client(runtime, "strict", require_pushed_authorization_requests=True)
    params, _ = authorize_params("strict")
    response = http.get("/authorize", params=params)
    assert_error_page(response, "invalid_request")
    assert "/par" in response.text
    request_uri, state, _ = pushed_uri(http, strict)
    response = http.get("/authorize", params={"client_id": "strict", "request_uri": request_uri})
    assert query_of(follow_to_client(http, response))["state"] == state


def test_discovery_advertises_par(http: TestClient) -> None:
    metadata = http.get("/.well-known/openid-configuration").json()
    assert metadata["pushed_authorization_request_endpoint"] == "http://testserver/par"
    assert metadata["require_pushed_authorization_requests"] is False
    # A request_uri is only ever one /par issued: nothing is fetched from a URL.
    assert metadata["request_uri_parameter_supported"] is False
