"""Calling the token, introspection and revocation endpoints as a client would, and reading
the tokens that come back. Shared by the tests/http modules about grants and token management."""

from __future__ import annotations

from typing import Any

from httpx2 import Response
from starlette.testclient import TestClient

from gatehouse.keys.jose import public_keyset, verify_jwt
from gatehouse.runtime import Runtime
from gatehouse.settings import SIGNING_ALGS


def client_post(
    http: TestClient, path: str, client: dict[str, Any], data: dict[str, str], **kwargs: Any
) -> Response:
    """POST a form as ``client``: Basic auth when it has a secret, else client_id in the body."""
    data = dict(data)
    auth = None
    if "client_secret" in client:
        auth = (client["client_id"], client["client_secret"])
    else:
        data.setdefault("client_id", client["client_id"])
    return http.post(path, data=data, auth=auth, **kwargs)


def refresh(http: TestClient, client: dict[str, Any], refresh_token: str, **extra: str) -> Response:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}
    return client_post(http, "/token", client, data)


def client_credentials(http: TestClient, client: dict[str, Any], **extra: str) -> Response:
    return client_post(http, "/token", client, {"grant_type": "client_credentials", **extra})


def introspect(http: TestClient, client: dict[str, Any], token: str, **extra: str) -> Response:
    return client_post(http, "/introspect", client, {"token": token, **extra})


def revoke(http: TestClient, client: dict[str, Any], token: str, **extra: Any) -> Response:
    headers = extra.pop("headers", None)
    return client_post(http, "/revoke", client, {"token": token, **extra}, headers=headers)


def userinfo(http: TestClient, access_token: str) -> Response:
    return http.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"})


def token_claims(runtime: Runtime, token: str) -> dict[str, Any]:
    """Verify a gatehouse-signed JWT (access or ID token) with the published keys."""
    keys = public_keyset(runtime.keys.keyring().jwks)
    _header, claims = verify_jwt(token, keys, algorithms=SIGNING_ALGS)
    return claims


def token_header(runtime: Runtime, token: str) -> dict[str, Any]:
    keys = public_keyset(runtime.keys.keyring().jwks)
    header, _claims = verify_jwt(token, keys, algorithms=SIGNING_ALGS)
    return header


def assert_oauth_error(
    response: Response, error: str, fragment: str = "", status: int | None = None
) -> dict[str, Any]:
    """An RFC 6749 §5.2 JSON error: the code, a description containing ``fragment``, no-store,
    and the status that goes with the code (401 for invalid_client, else 400)."""
    expected = status if status is not None else (401 if error == "invalid_client" else 400)
    assert response.status_code == expected, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    assert body["error"] == error, body
    assert fragment in body["error_description"], body
    if error == "invalid_client":
        assert response.headers["www-authenticate"].startswith("Basic")
    return body
