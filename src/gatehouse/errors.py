"""OAuth errors as data.

Each class fixes the OAuth ``error`` code and the HTTP status. ``description`` is specific and
safe to show a developer (it travels in ``error_description``); ``detail`` is for the log only.
Descriptions often name the request value that was wrong, which an attacker chooses: the
constructor reduces every description to the characters error_description may carry
(``safe_description``), so no path that renders an error can reflect input raw.
``redirect`` says where the error may travel: it is None (the error stays at gatehouse, shown
as a page or a JSON body) until the authorization endpoint has validated the client and its
redirect URI and addresses the error to them with ``to_client`` (RFC 6749 §4.1.2.1, RFC 9700
§4.11). web/errors.py renders every one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal, Self

# How an authorization response travels to the redirect URI (OAuth 2.0 Multiple Response
# Type Encoding Practices §2.1, OAuth 2.0 Form Post Response Mode §2).
ResponseMode = Literal["query", "fragment", "form_post"]


@dataclass(frozen=True)
class ClientRedirect:
    """A redirect URI validated for the client of the request, the request's state, and the
    response mode the answer travels in."""

    redirect_uri: str
    state: str | None
    response_mode: ResponseMode = "query"


# RFC 6749 §5.2 (and §4.1.2.1, RFC 6750 §3): error_description is %x20-21 / %x23-5B / %x5D-7E,
# printable ASCII without `"` and `\`. Longer descriptions are cut: one echoing a 10 kB
# parameter helps nobody and bloats a redirect URI or a header.
MAX_DESCRIPTION_LENGTH = 500
_CUT = "..."


def safe_description(text: str) -> str:
    """``text`` as error_description may carry it: `"` becomes `'`, any other character
    outside the allowed set (a backslash, a control character, anything not ASCII) becomes
    `?`, and it is cut to ``MAX_DESCRIPTION_LENGTH`` characters."""
    reduced = "".join(
        "'" if ch == '"' else ch if " " <= ch <= "~" and ch != "\\" else "?" for ch in text
    )
    if len(reduced) > MAX_DESCRIPTION_LENGTH:
        reduced = reduced[: MAX_DESCRIPTION_LENGTH - len(_CUT)] + _CUT
    return reduced


class OAuthError(Exception):
    error: ClassVar[str] = "server_error"
    status_code: ClassVar[int] = 400

    def __init__(self, description: str, *, detail: str | None = None) -> None:
        description = safe_description(description)
        super().__init__(description)
        self.description = description
        self.detail = detail
        self.redirect: ClientRedirect | None = None

    def to_client(
        self, redirect_uri: str, state: str | None, response_mode: ResponseMode = "query"
    ) -> Self:
        """Address the error to a redirect URI the caller has validated for the client, in
        the request's response mode."""
        self.redirect = ClientRedirect(redirect_uri, state, response_mode)
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


class InteractionRequired(OAuthError):
    """OIDC Core §3.1.2.6: prompt=none, and the request cannot go on without showing the
    person a page (the common authority asking for their organisation)."""

    error = "interaction_required"


class ConsentRequired(OAuthError):
    """OIDC Core §3.1.2.6: prompt=none and consent is missing."""

    error = "consent_required"


class UnmetAuthenticationRequirements(OAuthError):
    """OpenID Connect Core Unmet Authentication Requirements 1.0 §2: the sign-in cannot
    reach what the request asked for (an acr_values class the person has no method for)."""

    error = "unmet_authentication_requirements"


class RequestNotSupported(OAuthError):
    error = "request_not_supported"


class RequestUriNotSupported(OAuthError):
    error = "request_uri_not_supported"


class InvalidRequestUri(OAuthError):
    """RFC 9101 §6.2, RFC 9126 §4: the request_uri is not one this server issued to the
    client, or it expired or was already used."""

    error = "invalid_request_uri"


class InvalidRequestObject(OAuthError):
    """RFC 9101 §6.2: the request object is unsigned, wrongly signed, or its claims are
    wrong (iss, aud, exp, client_id)."""

    error = "invalid_request_object"


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


class AuthorizationPending(OAuthError):
    """RFC 8628 §3.5: the person has not yet answered the device's request; poll again."""

    error = "authorization_pending"


class SlowDown(OAuthError):
    """RFC 8628 §3.5: pending, and the device polls too fast; its interval grew by 5 s."""

    error = "slow_down"


class ExpiredToken(OAuthError):
    """RFC 8628 §3.5: the device code has expired; the device starts a new request."""

    error = "expired_token"


class AuthorizationDeclined(AccessDenied):
    """RFC 8628 §3.5 access_denied: the person denied the device's request. At the token
    endpoint, like every RFC 6749 §5.2 error but invalid_client, it is a 400."""

    status_code = 400


class InvalidDPoPProof(OAuthError):
    """RFC 9449 §5, §7.1: the DPoP proof is missing where required, malformed, or fails a
    check of §4.3 (400 at the token endpoint; a protected resource answers 401)."""

    error = "invalid_dpop_proof"


class UseDPoPNonce(OAuthError):
    """RFC 9449 §8, §9: the proof must carry the server's current nonce; ``nonce`` travels
    in the DPoP-Nonce response header."""

    error = "use_dpop_nonce"

    def __init__(self, description: str, nonce: str) -> None:
        super().__init__(description)
        self.nonce = nonce
