"""JWT access tokens (RFC 9068)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from gatehouse.errors import InvalidToken
from gatehouse.keys.jose import TokenVerificationError, sign_jwt, verify_jwt
from gatehouse.keys.keyring import KeyRing

TYP = "at+jwt"


@dataclass(frozen=True)
class MintedAccessToken:
    value: str
    jti: str
    expires_at: int
    expires_in: int


def mint_access_token(
    keyring: KeyRing,
    *,
    alg: str,
    issuer: str,
    subject: str,
    audience: str,
    client_id: str,
    scopes: tuple[str, ...],
    now: int,
    lifetime: int,
    auth_time: int | None = None,
    sid: str | None = None,
    jti: str | None = None,
    extra_claims: dict[str, Any] | None = None,
) -> MintedAccessToken:
    """RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat, jti; scope as a space-separated list."""
    jti = jti or uuid.uuid4().hex
    claims: dict[str, Any] = dict(extra_claims or {})
    claims.update(
        {
            "iss": issuer,
            "sub": subject,
            "aud": audience,
            "client_id": client_id,
            "scope": " ".join(scopes),
            "jti": jti,
            "iat": now,
            "exp": now + lifetime,
        }
    )
    if not scopes:
        del claims["scope"]  # client credentials tokens carry roles, not scopes
    if auth_time is not None:
        claims["auth_time"] = auth_time
    if sid is not None:
        claims["sid"] = sid
    value = sign_jwt(claims, keyring.signing_key(alg), typ=TYP)
    return MintedAccessToken(value=value, jti=jti, expires_at=now + lifetime, expires_in=lifetime)


def validate_access_token(
    token: str, keyring: KeyRing, *, issuer: str, audience: str | None, now: int, leeway: int = 0
) -> dict[str, Any]:
    """RFC 9068 §4: signature with a published key and a pinned algorithm, typ at+jwt, iss,
    aud, exp. ``audience=None`` skips the audience check (introspection and revocation serve
    every audience). Raises InvalidToken with the reason."""
    try:
        header, claims = verify_jwt(token, keyring.verification_keys, algorithms=("ES256", "RS256"))
    except TokenVerificationError:
        raise InvalidToken("the access token is malformed or its signature is invalid") from None
    if str(header.get("typ", "")).lower() not in (TYP, "application/at+jwt"):
        raise InvalidToken("the token is not an access token (typ must be at+jwt)")
    if claims.get("iss") != issuer:
        raise InvalidToken("the access token was issued by another issuer")
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if audience is not None and audience not in audiences:
        raise InvalidToken(
            f"the access token is not for this resource (aud must include {audience})"
        )
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp + leeway <= now:
        raise InvalidToken("the access token has expired")
    if not isinstance(claims.get("sub"), str) or not isinstance(claims.get("jti"), str):
        raise InvalidToken("the access token lacks sub or jti")
    return claims
