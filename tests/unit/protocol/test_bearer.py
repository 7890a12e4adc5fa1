"""protocol.bearer: reading a bearer token from the header or the form body (RFC 6750 §2)."""

from __future__ import annotations

import pytest

from gatehouse.errors import InvalidRequest
from gatehouse.protocol.bearer import MissingToken, bearer_token
from gatehouse.protocol.messages import Parameters

FORM = Parameters({"access_token": "from-body"})


@pytest.mark.parametrize(
    ("authorization", "form", "token"),
    [
        ("Bearer abc", None, "abc"),
        ("bearer abc", None, "abc"),  # RFC 9110 §11.1: the scheme is case-insensitive
        ("BEARER  abc ", None, "abc"),
        (None, FORM, "from-body"),
        ("Bearer abc", Parameters({}), "abc"),
        # Another scheme carries no bearer token, so the body's is the only one (§3.1).
        ("Basic d2ViOnNlY3JldA==", FORM, "from-body"),
    ],
)
def test_bearer_token_is_read(
    authorization: str | None, form: Parameters | None, token: str
) -> None:
    assert bearer_token(authorization, form) == token


@pytest.mark.parametrize(
    ("authorization", "form", "error", "message"),
    [
        (None, None, MissingToken, "an access token is required"),
        (None, Parameters({}), MissingToken, "an access token is required"),
        ("", None, MissingToken, "an access token is required"),
        ("Basic d2ViOnNlY3JldA==", None, MissingToken, "not of the Bearer scheme"),
        ("Token abc", None, MissingToken, "not of the Bearer scheme"),
        ("Bearerabc", None, MissingToken, "not of the Bearer scheme"),
        # RFC 6750 §3.1: malformed, so invalid_request (400), not invalid_token.
        ("Bearer", None, InvalidRequest, "Bearer <access token>"),
        ("Bearer   ", None, InvalidRequest, "Bearer <access token>"),
        ("Bearer abc", FORM, InvalidRequest, "send the access token once"),
    ],
)
def test_bearer_token_errors(
    authorization: str | None,
    form: Parameters | None,
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message) as raised:
        bearer_token(authorization, form)
    # MissingToken is the only error rendered without an error code (RFC 6750 §3.1).
    assert isinstance(raised.value, MissingToken) == (error is MissingToken)
    assert "d2ViOnNlY3JldA" not in str(raised.value)  # Basic credentials are never echoed
