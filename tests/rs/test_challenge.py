"""The WWW-Authenticate challenge and error body (RFC 6750 §3)."""

from __future__ import annotations

import json

import pytest

from gatehouse.rs import (
    InsufficientScope,
    InvalidRequest,
    InvalidToken,
    IssuerUnavailable,
    MissingToken,
    error_response,
    www_authenticate,
)
from gatehouse.rs.errors import BearerError


@pytest.mark.parametrize(
    ("error", "realm", "header"),
    [
        (MissingToken("no token"), "orders", 'Bearer realm="orders"'),
        (MissingToken("no token"), None, "Bearer"),
        (
            InvalidToken("the token expired at 2025-06-15T15:06:09Z"),
            "orders",
            'Bearer realm="orders", error="invalid_token", '
            'error_description="the token expired at 2025-06-15T15:06:09Z"',
        ),
        (
            InvalidRequest("the request has more than one Authorization header"),
            None,
            'Bearer error="invalid_request", '
            'error_description="the request has more than one Authorization header"',
        ),
        (
            InsufficientScope("missing scope orders.write", scope=["orders.read", "orders.write"]),
            "orders",
            'Bearer realm="orders", error="insufficient_scope", '
            'error_description="missing scope orders.write", scope="orders.read orders.write"',
        ),
    ],
)
def test_challenges(error: BearerError, realm: str | None, header: str) -> None:
    assert www_authenticate(error, realm) == header


def test_attacker_controlled_text_cannot_break_the_header() -> None:
    error = InvalidToken('the token was issued by x", error="evil\r\nSet-Cookie: a=b \\ é')
    header = www_authenticate(error, 'my "realm"')
    assert header == (
        'Bearer realm="my ?realm?", error="invalid_token", '
        'error_description="the token was issued by x?, error=?evil??Set-Cookie: a=b ? ?"'
    )
    long = www_authenticate(InvalidToken("x" * 1000), None)
    assert len(long) < 400 and long.endswith('..."')


def test_error_bodies() -> None:
    response = error_response(InsufficientScope("missing scope a", scope=["a"]), "api")
    assert response.status == 403
    assert json.loads(response.body) == {
        "error": "insufficient_scope",
        "error_description": "missing scope a",
        "scope": "a",
    }
    assert dict(response.headers)["www-authenticate"].startswith('Bearer realm="api", error=')
    missing = error_response(MissingToken("this resource needs a bearer access token"), "api")
    assert (missing.status, json.loads(missing.body)) == (
        401,
        {"error_description": "this resource needs a bearer access token"},
    )


def test_an_unavailable_issuer_is_a_503_without_details() -> None:
    response = error_response(IssuerUnavailable("http://10.0.0.7/jwks did not answer"), "api")
    assert response.status == 503
    assert dict(response.headers)["retry-after"] == "5"
    assert "www-authenticate" not in dict(response.headers)
    assert b"10.0.0.7" not in response.body
