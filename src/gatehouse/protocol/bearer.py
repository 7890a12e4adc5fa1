"""Reading a bearer token from a request (RFC 6750 §2)."""

from __future__ import annotations

from gatehouse.errors import InvalidRequest, InvalidToken
from gatehouse.protocol.messages import Parameters


class MissingToken(InvalidToken):
    """RFC 6750 §3.1: no credentials at all; the challenge carries no error code."""


def bearer_token(authorization: str | None, form: Parameters | None) -> str:
    """RFC 6750 §2.1 (header) or §2.2 (form body); never both, never the URI query."""
    from_header = None
    if authorization is not None:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise InvalidToken("the Authorization header must be: Bearer <access token>")
        from_header = value.strip()
    from_body = form.get("access_token") if form is not None else None
    if from_header is not None and from_body is not None:
        raise InvalidRequest("send the access token once: in the Authorization header or the body")
    token = from_header or from_body
    if token is None:
        raise MissingToken("an access token is required")
    return token
