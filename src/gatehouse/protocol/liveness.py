"""Whether a token shown back to gatehouse is still good: one rule per kind of token, used
by every endpoint that accepts it.

An access token is live at UserInfo, introspection and revocation alike; a refresh token
is live at the refresh grant and at introspection alike. An endpoint differs only in what
it answers when a token is not: an error (UserInfo, the refresh grant) or
``{"active": false}`` and silence (introspection, RFC 7662 §2.2; revocation, RFC 7009 §2.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gatehouse.errors import InvalidGrant, InvalidToken
from gatehouse.protocol.provider import Provider
from gatehouse.storage.records import Client, RefreshToken, RefreshTokenState, User
from gatehouse.tokens.access_token import validate_access_token

INVALID_REFRESH_TOKEN = "the refresh token is invalid, expired or revoked; sign the user in again"


@dataclass(frozen=True)
class LiveAccessToken:
    claims: dict[str, Any]
    user: User | None  # None for a client's own token (client credentials: sub is the client)


def live_access_token(provider: Provider, token: str, *, audience: str | None) -> LiveAccessToken:
    """RFC 9068 §4 (signature, typ, iss, aud unless ``audience`` is None, exp, nbf, iat),
    not on the deny-list (RFC 7009 §2.1), and whoever it speaks for still there: an enabled
    user, or for a client's own token the client. Raises InvalidToken with the reason."""
    claims = verified_access_token(provider, token, audience)
    if provider.revocations.is_access_token_denied(claims["jti"]):
        raise InvalidToken("the access token has been revoked")
    if claims["sub"] == claims.get("client_id"):
        if provider.clients.get(claims["sub"]) is None:
            raise InvalidToken("the client of this access token has been deleted")
        return LiveAccessToken(claims, None)
    user = provider.users.get(claims["sub"])
    if user is None or user.disabled:
        raise InvalidToken("the user of this access token is disabled or deleted")
    return LiveAccessToken(claims, user)


def verified_access_token(provider: Provider, token: str, audience: str | None) -> dict[str, Any]:
    """The claims of an access token gatehouse signed (tokens/access_token.py). A token
    whose kid this process has not loaded is checked once more with the keys read again
    before it is refused: another process may have signed it with a key just stored."""
    config, now = provider.config, provider.clock()
    try:
        return validate_access_token(
            token, provider.keys.keyring(), issuer=config.issuer, audience=audience, now=now
        )
    except InvalidToken:
        reloaded = provider.keys.reloaded_for_unknown_kid(token)
        if reloaded is None:
            raise
    return validate_access_token(token, reloaded, issuer=config.issuer, audience=audience, now=now)


class RefreshTokenReused(InvalidGrant):
    """A rotated refresh token was shown again: taken as theft, its whole family must be
    revoked (RFC 9700 §4.14.2) by whoever decides to act on it."""

    def __init__(self, token: RefreshToken) -> None:
        super().__init__(
            "the refresh token was already used; as a precaution every token of this sign-in "
            "has been revoked (RFC 9700 §4.14.2)"
        )
        self.token = token


def live_refresh_token(
    provider: Provider, client: Client, state: RefreshTokenState | None, *, retry_window: int = 0
) -> tuple[RefreshToken, User]:
    """Exists, issued to ``client``, not used, not revoked, not expired, its family not
    revoked, its SSO session alive (unless offline), its user still able to receive tokens.
    Raises InvalidGrant with the reason (RefreshTokenReused for a rotated token).

    ``retry_window``: seconds after its rotation during which a used token that has a
    successor still passes (the caller answers it as a retry of a lost response)."""
    if state is None:
        raise InvalidGrant(INVALID_REFRESH_TOKEN, detail="unknown refresh token")
    token, now = state.token, provider.clock()
    if token.client_id != client.client_id:
        raise InvalidGrant("the refresh token was issued to another client")
    if (
        token.used_at is not None
        and token.revoked_at is None
        and not _retry(token, now, retry_window)
    ):
        raise RefreshTokenReused(token)
    if token.revoked_at is not None or state.family_revoked:
        raise InvalidGrant(INVALID_REFRESH_TOKEN, detail="revoked")
    if token.expires_at <= now or token.idle_expires_at <= now:
        raise InvalidGrant(INVALID_REFRESH_TOKEN, detail="expired")
    if token.sid is not None and not provider.sessions.active_by_sid(
        token.sid, now, provider.config.session_idle_lifetime
    ):
        raise InvalidGrant(
            "the sign-in session of this refresh token has ended; sign the user in again"
        )
    refused = user_cannot_receive_tokens(state.user, token.auth_time)
    if refused is not None or state.user is None:
        raise InvalidGrant(INVALID_REFRESH_TOKEN, detail=refused)
    return token, state.user


def _retry(token: RefreshToken, now: int, window: int) -> bool:
    """A used token shown again within the window after its rotation, whose successor is
    known: a client whose response was lost, not (yet) a thief."""
    used_at = token.used_at
    return used_at is not None and token.successor_hash is not None and now - used_at < window


def user_cannot_receive_tokens(user: User | None, auth_time: int) -> str | None:
    """Why tokens may no longer be issued to ``user`` on the strength of a sign-in at
    ``auth_time`` (a code or a refresh token): the account is gone or disabled, or its
    password changed after that sign-in. None when they may."""
    if user is None:
        return "the user was deleted"
    if user.disabled:
        return "the user is disabled"
    # Seconds on both sides: a sign-in in the same second as the change still counts, so a
    # person who signs in with the new password at once is not refused.
    if user.password_changed_at is not None and auth_time < user.password_changed_at:
        return "the user's password was changed after the sign-in"
    return None
