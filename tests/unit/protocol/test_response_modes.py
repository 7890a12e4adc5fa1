"""protocol.response_modes: the authorization response's parameters with state and iss
(RFC 6749 §4.1.2, RFC 9207 §2), in the query, the fragment or a form to post."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from gatehouse.errors import ClientRedirect, InvalidRequest, InvalidScope
from gatehouse.protocol.response_modes import (
    authorization_response,
    error_location,
    error_response,
    response_location,
)

ISSUER = "https://id.example.com"
CALLBACK = "https://app.example.com/cb?tenant=7"


def test_the_query_keeps_the_redirect_uris_own_query_and_adds_state_and_iss() -> None:
    location = response_location(ISSUER, ClientRedirect(CALLBACK, "s 1"), {"code": "c"})
    parts = urlsplit(location)
    assert parts.path == "/cb" and not parts.fragment
    assert parse_qsl(parts.query) == [
        ("tenant", "7"),
        ("code", "c"),
        ("state", "s 1"),
        ("iss", ISSUER),
    ]


def test_the_fragment_carries_tokens_outside_the_query() -> None:
    target = ClientRedirect("https://app.example.com/cb", None, "fragment")
    location = response_location(ISSUER, target, {"id_token": "t"})
    parts = urlsplit(location)
    assert not parts.query  # no state without one in the request
    assert parse_qsl(parts.fragment) == [("id_token", "t"), ("iss", ISSUER)]


def test_a_form_post_response_has_fields_but_no_location() -> None:
    target = ClientRedirect(CALLBACK, "s", "form_post")
    response = authorization_response(ISSUER, target, {"code": "c"})
    assert (response.redirect_uri, response.mode) == (CALLBACK, "form_post")
    assert response.params == (("code", "c"), ("state", "s"), ("iss", ISSUER))
    with pytest.raises(ValueError, match="form the browser posts"):
        _ = response.location


def test_an_error_addressed_to_the_client_travels_in_its_mode() -> None:
    error = InvalidScope("unknown scope 'x'").to_client(CALLBACK, "s", "fragment")
    parts = urlsplit(error_location(ISSUER, error))
    assert dict(parse_qsl(parts.fragment)) == {
        "error": "invalid_scope",
        "error_description": "unknown scope 'x'",
        "state": "s",
        "iss": ISSUER,
    }


def test_an_error_not_addressed_to_the_client_stays_at_gatehouse() -> None:
    with pytest.raises(ValueError, match="stays at gatehouse"):
        error_response(ISSUER, InvalidRequest("no redirect URI"))
