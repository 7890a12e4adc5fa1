"""protocol.response_types and protocol.response_modes: which response types gatehouse
answers, what each needs and returns, how it travels (OAuth 2.0 Multiple Response Type
Encoding Practices, Form Post Response Mode, OIDC Core §3)."""

from __future__ import annotations

import pytest

from gatehouse.errors import ClientRedirect, InvalidRequest
from gatehouse.protocol import response_types as rt
from gatehouse.protocol.response_modes import (
    RedirectToClient,
    authorization_response,
    error_response,
)
from tests.support.flow import query_of

ISSUER = "https://id.example.com"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("code", "code"),
        ("id_token code", "code id_token"),
        ("token id_token code", "code id_token token"),
        ("token code", "code token"),
        ("token id_token", "id_token token"),
        ("id_token", "id_token"),
        ("token", None),  # OAuth 2.0's implicit grant without OpenID Connect
        ("code code", None),
        ("code  id_token", None),
        ("Code", None),
        ("", None),
        ("none", None),
    ],
)
def test_canonical(value: str, expected: str | None) -> None:
    assert rt.canonical(value) == expected


@pytest.mark.parametrize(
    ("response_type", "grant", "tokens", "default"),
    [
        ("code", "authorization_code", False, "query"),
        ("code id_token", "authorization_code", True, "fragment"),
        ("code token", "authorization_code", True, "fragment"),
        ("code id_token token", "authorization_code", True, "fragment"),
        ("id_token", "implicit", True, "fragment"),
        ("id_token token", "implicit", True, "fragment"),
    ],
)
def test_what_each_type_needs_and_where_it_goes(
    response_type: str, grant: str, tokens: bool, default: str
) -> None:
    assert rt.grant_of(response_type) == grant
    assert rt.returns_tokens(response_type) is tokens
    assert rt.default_mode(response_type) == default
    # Multiple Response Types §5: never the query for a type that returns a token.
    assert rt.mode_allowed(response_type, "query") is not tokens
    assert rt.mode_allowed(response_type, "fragment") and rt.mode_allowed(
        response_type, "form_post"
    )


@pytest.mark.parametrize(
    ("response_type", "response_mode", "expected"),
    [
        ("code", None, "query"),
        ("code", "form_post", "form_post"),
        ("code", "fragment", "fragment"),
        ("code", "bogus", "query"),
        ("code id_token", None, "fragment"),
        ("code id_token", "query", "fragment"),  # asked for, but not allowed: the default
        ("id_token token", "form_post", "form_post"),
        ("token", "form_post", "query"),  # a type gatehouse does not answer
        (None, "fragment", "query"),
    ],
)
def test_how_an_error_travels(
    response_type: str | None, response_mode: str | None, expected: str
) -> None:
    assert rt.error_mode(response_type, response_mode) == expected


def test_a_response_in_each_mode() -> None:
    target = ClientRedirect("https://app.example.com/cb?tenant=7", "s t", "query")
    query = authorization_response(ISSUER, target, {"code": "c"})
    assert query_of(query.location) == {"tenant": "7", "code": "c", "state": "s t", "iss": ISSUER}

    fragment = RedirectToClient("https://app.example.com/cb", (("id_token", "a.b.c"),), "fragment")
    assert fragment.location == "https://app.example.com/cb#id_token=a.b.c"

    target = ClientRedirect("https://app.example.com/cb", None, "form_post")
    posted = authorization_response(ISSUER, target, {"code": "c"})
    assert posted.params == (("code", "c"), ("iss", ISSUER))
    with pytest.raises(ValueError, match="form_post"):
        _ = posted.location


def test_an_error_travels_in_the_mode_it_was_addressed_with() -> None:
    error = InvalidRequest("bad").to_client("https://app.example.com/cb", "s", "form_post")
    response = error_response(ISSUER, error)
    assert response.mode == "form_post"
    assert dict(response.params) == {
        "error": "invalid_request",
        "error_description": "bad",
        "state": "s",
        "iss": ISSUER,
    }
    with pytest.raises(ValueError, match="stays at gatehouse"):
        error_response(ISSUER, InvalidRequest("no client"))
