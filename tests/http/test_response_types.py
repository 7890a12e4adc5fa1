"""Every response type in every response mode it may travel in, and what goes wrong: OAuth 2.0
Multiple Response Type Encoding Practices, Form Post Response Mode, OIDC Core §3.2 (implicit)
and §3.3 (hybrid): which code and tokens come back, with c_hash and at_hash, the code
redeemed as usual, errors in the request's response mode."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from gatehouse.crypto import left_half_hash
from gatehouse.keys.jose import public_keyset, verify_jwt
from gatehouse.runtime import Runtime
from tests.conftest import ISSUER
from tests.support.factories import REDIRECT_URI, make_client, make_user
from tests.support.flow import redeem, start_authorize
from tests.support.responses import ClientResponse, read_response, run_to_client

HYBRID = ["code", "code id_token", "code token", "code id_token token"]
IMPLICIT = ["id_token", "id_token token"]
EVERY_TYPE = HYBRID + IMPLICIT
NONCE = "n-0S6_WzA2Mj"
STATE = "st-4711"

# Each response type with each mode it may travel in; None: the default for the type.
COMBINATIONS = [
    ("code", None, "query"),
    ("code", "query", "query"),
    ("code", "fragment", "fragment"),
    ("code", "form_post", "form_post"),
    *[
        (response_type, mode, mode or "fragment")
        for response_type in EVERY_TYPE[1:]
        for mode in (None, "fragment", "form_post")
    ],
]


@pytest.fixture
def rp(runtime: Runtime) -> dict[str, Any]:
    """A confidential web app registered for every response type (the implicit ones by the
    operator's explicit choice)."""
    make_user(runtime)
    return make_client(
        runtime,
        "rp",
        grant_types=["authorization_code", "implicit", "refresh_token"],
        response_types=EVERY_TYPE,
    )


def _id_claims(http: TestClient, token: str) -> dict[str, Any]:
    _, claims = verify_jwt(token, public_keyset(http.get("/jwks").json()), algorithms=["RS256"])
    return claims


@pytest.mark.parametrize(("response_type", "mode", "delivered"), COMBINATIONS)
def test_each_response_type_in_each_mode(
    http: TestClient,
    rp: dict[str, Any],
    response_type: str,
    mode: str | None,
    delivered: str,
) -> None:
    result = run_to_client(
        http,
        "rp",
        response_type=response_type,
        response_mode=mode,
        state=STATE,
        nonce=NONCE,
        scope="openid profile offline_access",
    )
    assert (result.redirect_uri, result.mode) == (REDIRECT_URI, delivered)
    params = result.params
    assert (params["state"], params["iss"]) == (STATE, ISSUER)
    parts = response_type.split(" ")
    assert ("code" in params) == ("code" in parts)
    assert ("id_token" in params) == ("id_token" in parts)
    assert ("access_token" in params) == ("token" in parts)
    # RFC 6749 §4.2.2: the authorization endpoint never issues a refresh token.
    assert "refresh_token" not in params
    if "access_token" in params:
        assert params["token_type"] == "Bearer"
        assert int(params["expires_in"]) > 0
        info = http.get("/userinfo", headers={"Authorization": f"Bearer {params['access_token']}"})
        assert info.status_code == 200, info.text
    if "id_token" in params:
        claims = _id_claims(http, params["id_token"])
        assert (claims["iss"], claims["aud"], claims["nonce"]) == (ISSUER, "rp", NONCE)
        # OIDC Core §3.3.2.11: the hashes of what came with the ID token, and only those.
        assert claims.get("c_hash") == (
            left_half_hash(params["code"], "RS256") if "code" in params else None
        )
        assert claims.get("at_hash") == (
            left_half_hash(params["access_token"], "RS256") if "access_token" in params else None
        )
        if "token" not in parts:
            # No access token for UserInfo: the scope's claims are in the ID token (§5.4).
            assert claims["name"] == "Alice"
    if "code" in params:
        _redeem_the_code(http, rp, result, params.get("id_token"))


def _redeem_the_code(
    http: TestClient, rp: dict[str, Any], result: ClientResponse, front_id_token: str | None
) -> None:
    """OIDC Core §3.3.3: the hybrid flow's code redeems as usual; the ID token from the token
    endpoint names the same person, with the request's nonce."""
    response = redeem(http, result.params["code"], result.verifier, rp)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["refresh_token"]
    claims = _id_claims(http, body["id_token"])
    assert claims["nonce"] == NONCE and "c_hash" not in claims
    if front_id_token is not None:
        front = _id_claims(http, front_id_token)
        assert (claims["sub"], claims["sid"]) == (front["sub"], front["sid"])


def test_a_replayed_hybrid_code_revokes_the_access_token_that_came_with_it(
    http: TestClient, rp: dict[str, Any]
) -> None:
    """RFC 6749 §4.1.2: the tokens issued from a code that is used twice are revoked, the
    access token of a `code token` response among them."""
    result = run_to_client(
        http, "rp", response_type="code token", nonce=NONCE, scope="openid profile"
    )
    front = {"Authorization": f"Bearer {result.params['access_token']}"}
    assert http.get("/userinfo", headers=front).status_code == 200
    assert redeem(http, result.params["code"], result.verifier, rp).status_code == 200
    replayed = redeem(http, result.params["code"], result.verifier, rp)
    assert replayed.json()["error"] == "invalid_grant"
    assert http.get("/userinfo", headers=front).status_code == 401


def test_the_order_of_the_values_does_not_matter(http: TestClient, rp: dict[str, Any]) -> None:
    result = run_to_client(http, "rp", response_type="token id_token code", nonce=NONCE)
    assert {"code", "id_token", "access_token"} <= result.params.keys()


# -- Errors, in the request's response mode ----------------------------------------------------

REFUSED = [
    pytest.param(
        "web",
        {"response_type": "code id_token"},
        "unauthorized_client",
        "not registered for response_type 'code id_token'",
        "fragment",
        id="type-not-registered",
    ),
    pytest.param(
        "web",
        {"response_type": "code token", "response_mode": "form_post"},
        "unauthorized_client",
        "not registered for response_type 'code token'",
        "form_post",
        id="type-not-registered-form_post",
    ),
    pytest.param(
        "rp",
        {"response_type": "code id_token", "response_mode": "query"},
        "invalid_request",
        "response_mode=query cannot carry the tokens",
        "fragment",
        id="query-with-an-id-token",
    ),
    pytest.param(
        "rp",
        {"response_type": "id_token token", "response_mode": "query"},
        "invalid_request",
        "use fragment or form_post",
        "fragment",
        id="query-with-an-access-token",
    ),
    pytest.param(
        "rp",
        {"response_type": "code id_token", "nonce": None},
        "invalid_request",
        "nonce is required",
        "fragment",
        id="hybrid-without-nonce",
    ),
    pytest.param(
        "rp",
        {"response_type": "id_token", "nonce": None, "response_mode": "form_post"},
        "invalid_request",
        "nonce is required",
        "form_post",
        id="implicit-without-nonce",
    ),
    pytest.param(
        "rp",
        {"response_type": "code id_token", "scope": "profile"},
        "invalid_scope",
        "must include openid",
        "fragment",
        id="id-token-without-openid",
    ),
    pytest.param(
        "rp",
        {"response_type": "token"},
        "unsupported_response_type",
        "'token' is not supported",
        "query",
        id="plain-oauth-implicit",
    ),
    pytest.param(
        "rp",
        {"response_type": "code", "response_mode": "web_message"},
        "invalid_request",
        "response_mode 'web_message' is not supported",
        "query",
        id="unknown-mode",
    ),
    pytest.param(
        "rp",
        {"response_type": "code", "response_mode": "form_post", "prompt": "none"},
        "login_required",
        "not signed in",
        "form_post",
        id="prompt-none-in-form_post",
    ),
    pytest.param(
        "rp",
        {"response_type": "id_token", "response_mode": "fragment", "prompt": "none"},
        "login_required",
        "not signed in",
        "fragment",
        id="prompt-none-in-fragment",
    ),
]


@pytest.mark.parametrize(("client_id", "overrides", "error", "fragment", "mode"), REFUSED)
def test_errors_travel_in_the_response_mode(
    runtime: Runtime,
    http: TestClient,
    rp: dict[str, Any],
    client_id: str,
    overrides: dict[str, Any],
    error: str,
    fragment: str,
    mode: str,
) -> None:
    make_client(runtime)
    response, _ = start_authorize(http, client_id, state=STATE, **overrides)
    result = read_response(response)
    assert (result.redirect_uri, result.mode) == (REDIRECT_URI, mode)
    assert result.params["error"] == error, result.params
    assert fragment in result.params["error_description"]
    assert (result.params["state"], result.params["iss"]) == (STATE, ISSUER)
    assert not {"code", "id_token", "access_token"} & result.params.keys()


# -- The form_post page ------------------------------------------------------------------------


def test_the_form_post_page_posts_the_response_and_works_without_javascript(
    http: TestClient, rp: dict[str, Any]
) -> None:
    hostile = '"><script>alert(1)</script>'
    response, _ = start_authorize(
        http, "rp", response_mode="form_post", prompt="none", state=hostile
    )
    assert response.status_code == 200
    assert response.headers["cache-control"].startswith("no-store")
    page = response.text
    # The state comes back exactly, as a field value, never as markup.
    assert "<script>alert(1)" not in page
    assert read_response(response).params["state"] == hostile
    # Submitted by a static script (the CSP allows no inline script), or by its button.
    assert '<script src="/static/form-post.js"></script>' in page
    assert '<button type="submit"' in page
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    # form-action would also govern where the form may post: the client's own origin.
    assert "form-action" not in csp
    assert http.get("/static/form-post.js").status_code == 200
