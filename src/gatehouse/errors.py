"""OAuth errors as data.

Each class fixes the OAuth ``error`` code and the HTTP status. ``description`` is specific and
safe to show a developer (it travels in ``error_description``); ``detail`` is for the log only.
``redirect`` says where the error may travel: it is None (the error stays at gatehouse, shown
as a page or a JSON body) until the authorization endpoint has validated the client and its
redirect URI and addresses the error to them with ``to_client`` (RFC 6749 §4.1.2.1, RFC 9700
§4.11). web/errors.py renders every one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self


@dataclass(frozen=True)
class ClientRedirect:
    """A redirect URI validated for the client of the request, and the request's state."""

    redirect_uri: str
    state: str | None


class OAuthError(Exception):
    error: ClassVar[str] = "server_error"
    status_code: ClassVar[int] = 400

    def __init__(self, description: str, *, detail: str | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.detail = detail
        self.redirect: ClientRedirect | None = None

    def to_client(self, redirect_uri: str, state: str | None) -> Self:
        """Address the error to a redirect URI the caller has validated for the client."""
        self.redirect = ClientRedirect(redirect_uri, state)
        return self


class InvalidRequest(OAuthError):
    error = "invalid_request"


class InvalidClient(OAuthError):
    """RFC 6749 §5.2: client authentication failed; 401 on the token endpoint."""

    error = "invalid_client"
    status_code = 401


class InvalidClientThrottled(InvalidClient):
    """invalid_client refused before the credentials were checked: too many recent failures
    of this client from this address (docs/lockout.md). ``retry_after``: seconds to wait."""

    def __init__(self, description: str, retry_after: int) -> None:
        super().__init__(description)
        self.retry_after = retry_after


class InvalidGrant(OAuthError):
    error = "invalid_grant"


class UnauthorizedClient(OAuthError):
    error = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"


class UnsupportedResponseType(OAuthError):
    error = "unsupported_response_type"


class InvalidScope(OAuthError):
    error = "invalid_scope"


class AccessDenied(OAuthError):
    error = "access_denied"
    status_code = 403


class LoginRequired(OAuthError):
    """OIDC Core §3.1.2.6: prompt=none and no usable session."""

    error = "login_required"


class ConsentRequired(OAuthError):
    """OIDC Core §3.1.2.6: prompt=none and consent is missing."""

    error = "consent_required"


class RequestNotSupported(OAuthError):
    error = "request_not_supported"


class RequestUriNotSupported(OAuthError):
    error = "request_uri_not_supported"


class RegistrationNotSupported(OAuthError):
    """OIDC Core §3.1.2.6: the registration parameter (§7.2.1) is not supported."""

    error = "registration_not_supported"


class InvalidToken(OAuthError):
    """RFC 6750 §3.1: the access token is missing, expired, revoked, malformed or foreign."""

    error = "invalid_token"
    status_code = 401


class InsufficientScope(OAuthError):
    error = "insufficient_scope"
    status_code = 403


class InvalidTarget(OAuthError):
    """RFC 8707 §2: the resource is unknown, not allowed for the client, or ambiguous."""

    error = "invalid_target"
