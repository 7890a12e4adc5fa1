"""The claims request parameter over HTTP (OIDC Core §5.5): value constraints in the ID token
and at UserInfo (also for a refreshed token of the same grant), acr asked for through it as
acr_values would, never more than the granted scopes release, and malformed or oversized
requests refused with invalid_request at the redirect URI."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from gatehouse.accounts.assurance import ACR_MFA
from gatehouse.runtime import Runtime
from tests.support.factories import make_client, make_user
from tests.support.flow import (
    FakeClock,
    assert_error_redirect,
    get_tokens,
    install_clock,
    sign_in,
    start_authorize,
)
from tests.support.tokens import token_claims

EMAIL = "alice@example.com"


@pytest.fixture
def web(runtime: Runtime) -> dict[str, Any]:
    make_user(runtime, email=EMAIL)
    return make_client(runtime)


@pytest.fixture
def clock(runtime: Runtime) -> FakeClock:
    return install_clock(runtime)


def userinfo(http: TestClient, access_token: str) -> dict[str, Any]:
    response = http.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_value_constraint_that_holds_releases_the_claim(
    runtime: Runtime, http: TestClient, web: dict[str, Any], clock: FakeClock
) -> None:
    claims = {
        "id_token": {"email": {"essential": True, "value": EMAIL}},
        "userinfo": {"email": {"values": ["bob@example.com", EMAIL]}, "name": None},
    }
    tokens = get_tokens(http, web, claims=json.dumps(claims))
    assert token_claims(runtime, tokens["id_token"])["email"] == EMAIL
    assert userinfo(http, tokens["access_token"])["email"] == EMAIL


def test_a_value_constraint_that_fails_withholds_the_claim_without_an_error(
    runtime: Runtime, http: TestClient, web: dict[str, Any], clock: FakeClock
) -> None:
    claims = {
        "id_token": {"email": {"essential": True, "value": "bob@example.com"}},
        "userinfo": {"email_verified": {"value": True}, "email": {"value": "bob@example.com"}},
    }
    tokens = get_tokens(http, web, claims=json.dumps(claims))
    id_token = token_claims(runtime, tokens["id_token"])
    assert "email" not in id_token
    assert id_token["email_verified"] is False  # not constrained in the ID token
    info = userinfo(http, tokens["access_token"])
    assert "email" not in info and "email_verified" not in info  # false is not true
    assert info["preferred_username"] == "alice"
    # The constraint belongs to the grant: a refreshed UserInfo token keeps it.
    refreshed = http.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=("web", web["client_secret"]),
    ).json()
    assert "email" not in userinfo(http, refreshed["access_token"])
    assert "email" not in token_claims(runtime, refreshed["id_token"])


def test_the_claims_parameter_never_widens_the_granted_scopes(
    runtime: Runtime, http: TestClient, web: dict[str, Any], clock: FakeClock
) -> None:
    claims = {"userinfo": {"email": {"essential": True}}, "id_token": {"email": None}}
    tokens = get_tokens(http, web, scope="openid profile", claims=json.dumps(claims))
    assert "email" not in token_claims(runtime, tokens["id_token"])
    assert "email" not in userinfo(http, tokens["access_token"])


def test_acr_with_values_asks_for_the_class_as_acr_values_does(
    runtime: Runtime, http: TestClient, web: dict[str, Any], clock: FakeClock
) -> None:
    sign_in(http)  # a password session
    claims = {"id_token": {"acr": {"essential": True, "values": [ACR_MFA]}}}
    response, _ = start_authorize(http, claims=json.dumps(claims))
    # The person has no second factor yet: walked through setting one up (docs/step-up.md).
    assert response.headers["location"].startswith("/mfa/totp/enroll?interaction=")
    claims = {"id_token": {"acr": {"essential": True, "values": ["phr"]}}}
    response, _ = start_authorize(http, claims=json.dumps(claims), state="s1")
    assert_error_redirect(response, "unmet_authentication_requirements", state="s1")


@pytest.mark.parametrize(
    ("claims", "fragment"),
    [
        pytest.param("{not json", "not valid JSON", id="not-json"),
        pytest.param('["userinfo"]', "must be a JSON object", id="array"),
        pytest.param('{"userinfo": []}', "userinfo member must be", id="member-array"),
        pytest.param('{"userinfo": {"email": 1}}', "null or a JSON object", id="claim-number"),
        pytest.param(
            '{"id_token": {"email": {"essential": "yes"}}}', "essential must be", id="essential"
        ),
        pytest.param(
            '{"id_token": {"email": {"value": "a", "values": ["a"]}}}', "not both", id="both"
        ),
        pytest.param('{"id_token": {"email": {"values": []}}}', "1 to 16", id="values-empty"),
        pytest.param(
            '{"id_token": {"email": {"value": {"x": 1}}}}', "a value must be", id="value-object"
        ),
        pytest.param('{"id_token": {"n": {"value": NaN}}}', "not valid JSON", id="nan"),
        pytest.param('{"id_token": {"n": {"value": 1e999}}}', "a value must be", id="infinity"),
        pytest.param('{"userinfo": {"a": null, "a": null}}', "appears twice", id="duplicate"),
        pytest.param(
            json.dumps({"userinfo": {f"c{i}": None for i in range(33)}}),
            "more than 32 claims",
            id="too-many-claims",
        ),
        pytest.param("[" * 3000 + "]" * 3000, "too long", id="oversized"),
        pytest.param("[" * 2000 + "]" * 2000, "nested too deeply", id="deep"),
    ],
)
def test_a_malformed_claims_parameter_is_invalid_request(
    http: TestClient, web: dict[str, Any], claims: str, fragment: str
) -> None:
    response, _ = start_authorize(http, claims=claims, state="st")
    params = assert_error_redirect(response, "invalid_request", state="st")
    assert fragment in params["error_description"], params


def test_discovery_says_the_claims_parameter_is_supported(http: TestClient) -> None:
    metadata = http.get("/.well-known/openid-configuration").json()
    assert metadata["claims_parameter_supported"] is True
    assert "email" in metadata["claims_supported"]
