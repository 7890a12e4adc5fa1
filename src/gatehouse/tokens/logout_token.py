"""Logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.4)."""

from __future__ import annotations

from typing import Any

from gatehouse.keys.jose import sign_jwt
from gatehouse.keys.keyring import KeyRing

# §2.4: the events claim holds this member, with an empty object as its value.
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# §2.4 recommends explicit typing, so that a logout token cannot pass for an ID token.
LOGOUT_TOKEN_TYPE = "logout+jwt"
# Seconds a logout token is good for: §2.4 asks for a short exp. Each delivery attempt signs
# a new one, so a retry after minutes never sends a stale token.
LOGOUT_TOKEN_LIFETIME = 120


def mint_logout_token(
    keyring: KeyRing,
    *,
    alg: str,
    issuer: str,
    client_id: str,
    subject: str,
    sid: str | None,
    now: int,
    jti: str,
) -> str:
    """§2.4: iss, aud, iat, exp, jti, events, and sub and sid (gatehouse knows both for every
    session it ends, so both go, whether or not the client requires sid). Never a nonce
    (§2.4: its presence is what tells a logout token from an ID token)."""
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": subject,
        "aud": client_id,
        "iat": now,
        "exp": now + LOGOUT_TOKEN_LIFETIME,
        "jti": jti,
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
    }
    if sid is not None:
        claims["sid"] = sid
    return sign_jwt(claims, keyring.signing_key(alg), typ=LOGOUT_TOKEN_TYPE)
