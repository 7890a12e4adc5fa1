"""Discovery (OIDC Discovery 1.0 §3, §4), the JWKS (RFC 7517) and CORS for browser clients."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from gatehouse.admin.scopes import upsert_scope
from gatehouse.protocol.token import DEFAULT_GRANTS
from gatehouse.runtime import Runtime
from tests.conftest import ISSUER
from tests.support.factories import make_client, make_public_client, make_user
from tests.support.flow import basic_auth, get_tokens, query_of, start_authorize

REQUIRED = (
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "response_types_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
)
RECOMMENDED = ("userinfo_endpoint", "scopes_supported", "claims_supported")
PRIVATE_JWK_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")


@pytest.fixture
def metadata(http: TestClient) -> dict[str, Any]:
    response = http.get("/.well-known/openid-configuration")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    return body


# -- Discovery --------------------------------------------------------------------------------


def test_required_and_recommended_fields(metadata: dict[str, Any]) -> None:
    for name in (*REQUIRED, *RECOMMENDED):
        assert metadata.get(name), name


def test_the_oauth_authorization_server_metadata_is_the_same_document(
    http: TestClient, metadata: dict[str, Any]
) -> None:
    """RFC 8414 §3: for an issuer without a path, /.well-known/oauth-authorization-server;
    §3.3: its issuer is the issuer the client expected. OAuth-only libraries look there."""
    response = http.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == metadata
    assert response.json()["issuer"] == ISSUER
    preflight = http.options(
        "/.well-known/oauth-authorization-server",
        headers={"Origin": "https://spa.example.com", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code in (200, 204)


def test_issuer_is_exactly_the_issuer(metadata: dict[str, Any]) -> None:
    """OIDC Discovery §4.3: the issuer must be identical to the URL the document came from,
    minus /.well-known/openid-configuration."""
    assert metadata["issuer"] == ISSUER
    assert not metadata["issuer"].endswith("/")


ENDPOINT_METHODS = {
    "authorization_endpoint": "GET",
    "token_endpoint": "POST",
    "userinfo_endpoint": "GET",
    "jwks_uri": "GET",
    "end_session_endpoint": "GET",
    "introspection_endpoint": "POST",
    "revocation_endpoint": "POST",
    "device_authorization_endpoint": "POST",
    "registration_endpoint": "POST",
    "pushed_authorization_request_endpoint": "POST",
}


def test_every_advertised_endpoint_resolves(http: TestClient, metadata: dict[str, Any]) -> None:
    advertised = {k: v for k, v in metadata.items() if k.endswith("_endpoint") or k == "jwks_uri"}
    assert set(advertised) <= set(ENDPOINT_METHODS), set(advertised) - set(ENDPOINT_METHODS)
    for name, url in advertised.items():
        assert url.startswith(ISSUER + "/"), (name, url)
        response = http.request(ENDPOINT_METHODS[name], url[len(ISSUER) :])
        assert response.status_code not in (404, 405), (name, url, response.status_code)
        assert response.status_code < 500


def test_advertised_grant_types_are_exactly_the_registered_ones(
    runtime: Runtime, http: TestClient, metadata: dict[str, Any]
) -> None:
    # The token endpoint's grants, and the authorization endpoint's implicit grant. The
    # legacy ones (implicit, password) work for the clients an operator gave them only
    # (tests/http/test_legacy_grants.py).
    assert sorted(metadata["grant_types_supported"]) == sorted([*DEFAULT_GRANTS, "implicit"])
    client = make_client(runtime)
    for grant_type in DEFAULT_GRANTS:
        response = http.post(
            "/token",
            data={"grant_type": grant_type},
            headers={"Authorization": basic_auth("web", client["client_secret"])},
        )
        assert response.json()["error"] != "unsupported_grant_type", grant_type


def test_advertised_authorization_features_work(
    runtime: Runtime, http: TestClient, metadata: dict[str, Any]
) -> None:
    make_user(runtime)
    make_client(runtime)
    every_type = metadata["response_types_supported"]
    make_client(
        runtime,
        "every-type",
        grant_types=["authorization_code", "implicit"],
        response_types=every_type,
    )
    for response_type in every_type:
        response, _ = start_authorize(http, "every-type", response_type=response_type)
        assert response.headers["location"].startswith("/login?"), response_type
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["subject_types_supported"] == ["public"]
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert metadata["request_parameter_supported"] is True  # tests/http/test_par.py
    assert metadata["request_uri_parameter_supported"] is False
    for mode in metadata["response_modes_supported"]:
        response, _ = start_authorize(http, response_mode=mode)
        assert "error" not in query_of(response.headers["location"]), mode
    for prompt in metadata["prompt_values_supported"]:
        response, _ = start_authorize(http, prompt=prompt)
        location = response.headers["location"]
        assert "invalid_request" not in location, prompt


def test_advertised_client_auth_methods(metadata: dict[str, Any]) -> None:
    methods = metadata["token_endpoint_auth_methods_supported"]
    assert {"client_secret_basic", "client_secret_post", "none"} <= set(methods)
    assert "client_secret_basic" in methods


def test_advertised_id_token_algs_have_published_keys(
    http: TestClient, metadata: dict[str, Any]
) -> None:
    published = {k["alg"] for k in http.get("/jwks").json()["keys"]}
    assert set(metadata["id_token_signing_alg_values_supported"]) <= published
    assert "RS256" in metadata["id_token_signing_alg_values_supported"]  # OIDC Core §15.1
    assert "none" not in metadata["id_token_signing_alg_values_supported"]


def test_scopes_and_claims(runtime: Runtime, http: TestClient) -> None:
    upsert_scope(runtime, "reports:read", "Read reports")
    metadata = http.get("/.well-known/openid-configuration").json()
    assert {"openid", "profile", "email", "offline_access", "reports:read"} <= set(
        metadata["scopes_supported"]
    )
    for claim in ("sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "email", "name"):
        assert claim in metadata["claims_supported"], claim


def test_discovery_is_cacheable(http: TestClient) -> None:
    response = http.get("/.well-known/openid-configuration")
    assert "max-age" in response.headers["cache-control"]


# -- JWKS -------------------------------------------------------------------------------------


def test_jwks_keys_are_public_and_described(http: TestClient) -> None:
    response = http.get("/jwks")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    keys = response.json()["keys"]
    assert {k["alg"] for k in keys} >= {"RS256", "ES256"}
    kids = [k["kid"] for k in keys]
    assert len(kids) == len(set(kids))
    for key in keys:
        assert key["kid"] and key["alg"] and key["use"] == "sig" and key["kty"] in ("RSA", "EC")
        leaked = [m for m in PRIVATE_JWK_MEMBERS if m in key]
        assert not leaked, (key["kid"], leaked)


def test_tokens_are_signed_by_published_keys(runtime: Runtime, http: TestClient) -> None:
    make_user(runtime)
    body = get_tokens(http, make_client(runtime))
    kids = {k["kid"] for k in http.get("/jwks").json()["keys"]}
    for token in (body["access_token"], body["id_token"]):
        head = token.split(".")[0]
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
        assert header["kid"] in kids


# -- CORS -------------------------------------------------------------------------------------

APP_ORIGIN = "https://app.example.com"  # the origin of the default client's redirect URI
SPA_ORIGIN = "https://spa.example.org"  # registered only as a web origin


@pytest.fixture
def clients(runtime: Runtime) -> dict[str, Any]:
    make_user(runtime)
    web = make_client(runtime)
    make_public_client(
        runtime, "spa", redirect_uris=["https://login.example.net/cb"], web_origins=[SPA_ORIGIN]
    )
    return web


def _call(http: TestClient, path: str, origin: str, web: dict[str, Any]) -> Any:
    headers = {"Origin": origin}
    if path == "/token":
        return http.post(
            "/token", data={"grant_type": "authorization_code", "code": "x"}, headers=headers
        )
    if path == "/revoke":
        return http.post("/revoke", data={"token": "x", "client_id": "spa"}, headers=headers)
    return http.get(path, headers=headers)


CORS_PATHS = ["/.well-known/openid-configuration", "/jwks", "/token", "/userinfo", "/revoke"]


def _vary(response: Any) -> list[str]:
    return [v.strip().lower() for h in response.headers.get_list("vary") for v in h.split(",")]


@pytest.mark.parametrize("origin", [APP_ORIGIN, SPA_ORIGIN])
@pytest.mark.parametrize("path", CORS_PATHS)
def test_allowed_origin_is_echoed_without_credentials(
    http: TestClient, clients: dict[str, Any], path: str, origin: str
) -> None:
    response = _call(http, path, origin, clients)
    assert response.status_code < 500
    assert response.headers["access-control-allow-origin"] == origin
    assert "origin" in _vary(response)
    assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize("path", CORS_PATHS)
def test_preflight_for_an_allowed_origin(
    runtime: Runtime, http: TestClient, clients: dict[str, Any], path: str
) -> None:
    response = http.options(
        path,
        headers={
            "Origin": SPA_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code in (200, 204)
    assert response.headers["access-control-allow-origin"] == SPA_ORIGIN
    methods = {m.strip() for m in response.headers["access-control-allow-methods"].split(",")}
    assert {"GET", "POST"} <= methods
    headers = {
        h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")
    }
    assert {"authorization", "content-type"} <= headers
    assert response.headers["access-control-max-age"] == str(runtime.settings.cors_max_age)
    assert "origin" in _vary(response)
    assert "access-control-allow-credentials" not in response.headers


def test_userinfo_error_exposes_the_challenge(http: TestClient, clients: dict[str, Any]) -> None:
    response = http.get("/userinfo", headers={"Origin": SPA_ORIGIN})
    assert response.status_code == 401
    exposed = response.headers["access-control-expose-headers"].lower()
    assert "www-authenticate" in exposed


@pytest.mark.parametrize(
    "origin",
    [
        pytest.param("https://evil.example", id="unregistered"),
        pytest.param("null", id="null"),
        pytest.param("http://app.example.com", id="other-scheme"),
        pytest.param("https://app.example.com:8443", id="other-port"),
        pytest.param("https://app.example.com.evil.example", id="suffix"),
        pytest.param("https://evilapp.example.com", id="prefix"),
        pytest.param("https://sub.app.example.com", id="subdomain"),
        pytest.param("https://app.example.com/", id="trailing-slash"),
        pytest.param("*", id="wildcard"),
    ],
)
@pytest.mark.parametrize("path", CORS_PATHS)
def test_other_origins_get_no_cors_headers(
    http: TestClient, clients: dict[str, Any], path: str, origin: str
) -> None:
    response = _call(http, path, origin, clients)
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-credentials" not in response.headers
    preflight = http.options(
        path, headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-methods" not in preflight.headers


def test_no_origin_no_cors_headers(http: TestClient, clients: dict[str, Any]) -> None:
    response = http.get("/jwks")
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("path", ["/authorize", "/login", "/consent", "/introspect"])
def test_pages_and_server_endpoints_do_not_answer_cors(
    http: TestClient, clients: dict[str, Any], path: str
) -> None:
    response = http.request(
        "POST" if path == "/introspect" else "GET", path, headers={"Origin": APP_ORIGIN}
    )
    assert "access-control-allow-origin" not in response.headers
