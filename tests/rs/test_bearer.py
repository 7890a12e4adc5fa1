"""The Authorization header (RFC 6750 §2.1)."""

from __future__ import annotations

import pytest

from gatehouse.rs import InvalidRequest, MissingToken, bearer_token
from gatehouse.rs.errors import BearerError


@pytest.mark.parametrize(
    ("values", "token"),
    [
        (["Bearer abc.def.ghi"], "abc.def.ghi"),
        (["bearer abc"], "abc"),  # RFC 9110 §11.1: schemes are case-insensitive
        (["BEARER abc"], "abc"),
        (["Bearer  abc  "], "abc"),
        (["Bearer a-b_c~d+e/f=="], "a-b_c~d+e/f=="),
    ],
)
def test_a_bearer_token_is_read(values: list[str], token: str) -> None:
    assert bearer_token(values) == token


BAD_CHARACTERS = "the bearer token has characters RFC 6750 §2.1 does not allow (or spaces)"


@pytest.mark.parametrize(
    ("values", "error", "description"),
    [
        ([], MissingToken, "this resource needs a bearer access token"),
        (["Basic dXNlcjpwYXNz"], MissingToken, "this resource needs a bearer access token"),
        (["Bearerabc"], MissingToken, "this resource needs a bearer access token"),
        (["Bearer"], InvalidRequest, "the Authorization header has no token after Bearer"),
        (["Bearer   "], InvalidRequest, "the Authorization header has no token after Bearer"),
        (["Bearer a b"], InvalidRequest, BAD_CHARACTERS),
        (["Bearer a,b"], InvalidRequest, BAD_CHARACTERS),
        (["Bearer =abc"], InvalidRequest, BAD_CHARACTERS),
        (["Bearer a", "Bearer b"], InvalidRequest,
         "the request has more than one Authorization header"),
        (["Bearer " + "a" * 20000], InvalidRequest, "the bearer token is too long"),
    ],
)  # fmt: skip
def test_malformed_or_missing_headers(
    values: list[str], error: type[BearerError], description: str
) -> None:
    with pytest.raises(error) as caught:
        bearer_token(values)
    assert type(caught.value) is error
    assert caught.value.description == description
