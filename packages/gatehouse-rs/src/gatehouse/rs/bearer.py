"""Reading a bearer token from the Authorization request header (RFC 6750 §2.1).

Only the header is supported: tokens in a query string end up in logs and browser history
(RFC 9700 §4.3.2), and form-encoded bodies would make every request body part of auth.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from gatehouse.rs.errors import InvalidRequest, MissingToken

# RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
_B64TOKEN: Final = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
#: Longer than any token gatehouse issues by far; a bigger header is refused before parsing.
MAX_TOKEN_LENGTH: Final = 16 * 1024


def bearer_token(authorization: Sequence[str]) -> str:
    """The token from the request's Authorization header value(s).

    No header, or another scheme (Basic, ...): :class:`MissingToken` (RFC 6750 §3.1: the
    challenge then carries no error). A malformed Bearer header, or several Authorization
    headers: :class:`InvalidRequest` (400)."""
    if not authorization:
        raise MissingToken("this resource needs a bearer access token")
    if len(authorization) > 1:
        raise InvalidRequest("the request has more than one Authorization header")
    scheme, _, credentials = authorization[0].strip(" \t").partition(" ")
    if scheme.lower() != "bearer":  # RFC 9110 §11.1: the scheme is case-insensitive
        raise MissingToken("this resource needs a bearer access token")
    token = credentials.strip(" ")
    if not token:
        raise InvalidRequest("the Authorization header has no token after Bearer")
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidRequest("the bearer token is too long")
    if not _B64TOKEN.fullmatch(token):
        raise InvalidRequest(
            "the bearer token has characters RFC 6750 §2.1 does not allow (or spaces)"
        )
    return token
