"""protocol.dpop_resource: how UserInfo reads a token presented as Bearer or DPoP (RFC 9449
§7.1), and which tokens are bound (§6.1)."""

from __future__ import annotations

from typing import Any

import pytest

from gatehouse.errors import InvalidRequest
from gatehouse.protocol.bearer import MissingToken
from gatehouse.protocol.dpop_resource import bound_key, presented_token
from gatehouse.protocol.messages import Parameters


@pytest.mark.parametrize(
    ("authorization", "scheme", "token"),
    [("DPoP abc", "DPoP", "abc"), ("dpop  abc ", "DPoP", "abc"), ("Bearer abc", "Bearer", "abc")],
)
def test_the_scheme_and_the_token(authorization: str, scheme: str, token: str) -> None:
    presented = presented_token(authorization, None, ("proof",), "POST")
    assert (presented.scheme, presented.value) == (scheme, token)
    assert (presented.proofs, presented.method) == (("proof",), "POST")


@pytest.mark.parametrize(
    ("authorization", "form", "error", "message"),
    [
        ("DPoP ", None, InvalidRequest, "send DPoP <access token>"),
        ("DPoP abc", {"access_token": "abc"}, InvalidRequest, "send the access token once"),
        ("Basic dTpw", None, MissingToken, "not of the Bearer scheme"),
    ],
)
def test_malformed_presentations(
    authorization: str, form: dict[str, str] | None, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        presented_token(authorization, Parameters(form) if form is not None else None)


@pytest.mark.parametrize(
    ("claims", "jkt"),
    [
        ({"cnf": {"jkt": "thumb"}}, "thumb"),
        ({}, None),
        ({"cnf": "thumb"}, None),
        ({"cnf": {"jkt": 7}}, None),
        ({"cnf": {"x5t#S256": "cert"}}, None),
    ],
)
def test_bound_key(claims: dict[str, Any], jkt: str | None) -> None:
    assert bound_key(claims) == jkt
