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
    return presented_token(authorization, dpop=False)[1]


def presented_token(authorization: Sequence[str], *, dpop: bool = True) -> tuple[str, str]:
    """(scheme, token) from the Authorization header: ``bearer`` (RFC 6750 §2.1) or, with
    ``dpop``, ``dpop`` (RFC 9449 §7.1, the same token syntax); errors as :func:`bearer_token`."""
    if not authorization:
        raise MissingToken("this resource needs a bearer access token")
    if len(authorization) > 1:
        raise InvalidRequest("the request has more than one Authorization header")
    scheme, _, credentials = authorization[0].strip(" \t").partition(" ")
    scheme = scheme.lower()  # RFC 9110 §11.1: the scheme is case-insensitive
    if scheme != "bearer" and not (dpop and scheme == "dpop"):
        raise MissingToken("this resource needs a bearer access token")
    shown = "DPoP" if scheme == "dpop" else "Bearer"
    token = credentials.strip(" ")
    if not token:
        raise InvalidRequest(f"the Authorization header has no token after {shown}")
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidRequest(f"the {shown.lower()} token is too long")
    if not _B64TOKEN.fullmatch(token):
        raise InvalidRequest(
            f"the {shown.lower()} token has characters RFC 6750 §2.1 does not allow (or spaces)"
        )
    return scheme, token
