"""Why a request was refused, as data.

Each :class:`BearerError` subclass fixes the RFC 6750 §3.1 error code and the HTTP status an
API answers with; ``description`` is specific and meant for the developer of the calling client
(it travels in ``error_description``). :class:`IssuerUnavailable` is different in kind: the token
could not be checked because the issuer's metadata, keys or introspection endpoint could not be
used, which is the API's problem (answer 503), not the caller's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar


class RSError(Exception):
    """Base class of every exception gatehouse.rs raises on purpose."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class BearerError(RSError):
    """The request must be refused; RFC 6750 §3 says how (status, WWW-Authenticate)."""

    #: RFC 6750 §3.1 error code, or None when the request carried no token at all.
    error: ClassVar[str | None] = None
    status_code: ClassVar[int] = 401

    def __init__(self, description: str, *, scope: Iterable[str] = ()) -> None:
        super().__init__(description)
        #: Scopes the resource needs (RFC 6750 §3 ``scope`` attribute); empty when not relevant.
        self.scope: tuple[str, ...] = tuple(scope)
        #: RFC 9449 §7.1: set when the request is answered with a DPoP challenge, to the
        #: proof algorithms the API accepts (the challenge's ``algs``).
        self.dpop_algs: tuple[str, ...] = ()


class MissingToken(BearerError):
    """RFC 6750 §3.1: no token was sent; the challenge carries no error attributes."""

    error = None
    status_code = 401


class InvalidRequest(BearerError):
    """RFC 6750 §3.1 invalid_request (400): the Authorization header is malformed."""

    error = "invalid_request"
    status_code = 400


class InvalidToken(BearerError):
    """RFC 6750 §3.1 invalid_token (401): expired, revoked, malformed, or not for this API."""

    error = "invalid_token"
    status_code = 401


class InvalidDPoPProof(BearerError):
    """RFC 9449 §7.1 invalid_dpop_proof (401): the DPoP proof is missing, malformed, for
    another request or made with another key than the token is bound to."""

    error = "invalid_dpop_proof"
    status_code = 401


class InsufficientScope(BearerError):
    """RFC 6750 §3.1 insufficient_scope (403): a valid token without the privileges needed."""

    error = "insufficient_scope"
    status_code = 403


class InsufficientUserAuthentication(BearerError):
    """RFC 9470 §3 insufficient_user_authentication (401): the token is valid, but the
    sign-in behind it is not strong enough (``acr_values``) or too old (``max_age``). The
    client sends the person back to gatehouse with these in its authorization request."""

    error = "insufficient_user_authentication"
    status_code = 401

    def __init__(
        self, description: str, *, acr_values: Iterable[str] = (), max_age: int | None = None
    ) -> None:
        super().__init__(description)
        #: The classes the resource accepts, in order of preference (RFC 9470 §3).
        self.acr_values: tuple[str, ...] = tuple(acr_values)
        #: The oldest sign-in the resource accepts, in seconds (RFC 9470 §3).
        self.max_age = max_age


class IssuerUnavailable(RSError):
    """The issuer's discovery document, JWK Set or introspection endpoint could not be used
    (unreachable, too slow, too large, malformed, or naming another issuer). Answer 503."""

    status_code: ClassVar[int] = 503
