"""Reading a bearer token from a request (RFC 6750 §2)."""

from __future__ import annotations

from gatehouse.errors import InvalidRequest, InvalidToken
from gatehouse.protocol.messages import Parameters


class MissingToken(InvalidToken):
    """RFC 6750 §3.1: no bearer credentials at all, none sent or only another scheme's
    (Basic, …); neither the challenge nor the body carries an error code."""


def bearer_token(authorization: str | None, form: Parameters | None) -> str:
    """RFC 6750 §2.1 (header) or §2.2 (form body); never both, never the URI query."""
    from_header = _header_token(authorization)
    from_body = form.get("access_token") if form is not None else None
    if from_header is not None and from_body is not None:
        raise InvalidRequest("send the access token once: in the Authorization header or the body")
    token = from_header or from_body
    if token is None:
        raise MissingToken(_missing_description(authorization))
    return token


def _header_token(authorization: str | None) -> str | None:
    """RFC 6750 §2.1: the token of an ``Authorization: Bearer`` header (the scheme is
    case-insensitive, RFC 9110 §11.1); None when there is no header or it is of another
    scheme, which carries no bearer token (RFC 6750 §3.1)."""
    if authorization is None:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return None
    if not value.strip():
        # RFC 6750 §3.1: a malformed request is invalid_request, not an invalid token.
        raise InvalidRequest("the Authorization header has no token: send Bearer <access token>")
    return value.strip()


def _missing_description(authorization: str | None) -> str:
    # The other scheme's credentials are never echoed: they may be a password.
    if authorization is not None and authorization.strip():
        return (
            "the Authorization header is not of the Bearer scheme; "
            "send the access token as Authorization: Bearer <access token>"
        )
    return "an access token is required: send it as Authorization: Bearer <access token>"
