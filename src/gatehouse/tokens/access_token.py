"""JWT access tokens (RFC 9068)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from gatehouse.errors import InvalidToken
from gatehouse.keys.jose import TokenVerificationError, numeric_date, sign_jwt, verify_jwt
from gatehouse.keys.keyring import KeyRing
from gatehouse.settings import SIGNING_ALGS

TYP = "at+jwt"
# Seconds a token's iat or nbf may lie ahead of this server's clock (gatehouse.rs's default
# leeway): the servers of one deployment may disagree by a little.
CLOCK_SKEW = 30


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
    amr: tuple[str, ...] = (),
    acr: str | None = None,
) -> MintedAccessToken:
    """RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat, jti; scope as a space-separated list;
    §2.2.1: auth_time, acr and amr of the sign-in, so an API can ask for a stronger or
    fresher one (RFC 9470)."""
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
            "nbf": now,
            "exp": now + lifetime,
        }
    )
    if not scopes:
        del claims["scope"]  # client credentials tokens carry roles, not scopes
    if auth_time is not None:
        claims["auth_time"] = auth_time
    if sid is not None:
        claims["sid"] = sid
    if acr is not None:
        claims["acr"] = acr
    if amr:
        claims["amr"] = list(amr)
    value = sign_jwt(claims, keyring.signing_key(alg), typ=TYP)
    return MintedAccessToken(value=value, jti=jti, expires_at=now + lifetime, expires_in=lifetime)


def validate_access_token(
    token: str, keyring: KeyRing, *, issuer: str, audience: str | None, now: int
) -> dict[str, Any]:
    """RFC 9068 §4: signature with a published key and a pinned algorithm, typ at+jwt, iss,
    aud, exp, nbf and iat. ``audience=None`` skips the audience check (introspection and
    revocation serve every audience). Raises InvalidToken with the reason.

    No leeway for exp: gatehouse checks its own tokens with its own clock. Only a token
    that claims to start in the future gets CLOCK_SKEW: servers of one deployment may be a
    second or two apart, and a token just issued by one must be good on the other."""
    try:
        header, claims = verify_jwt(token, keyring.verification_keys, algorithms=SIGNING_ALGS)
    except TokenVerificationError:
        raise InvalidToken("the access token is malformed or its signature is invalid") from None
    if str(header.get("typ", "")).lower() not in (TYP, "application/at+jwt"):
        raise InvalidToken("the token is not an access token (typ must be at+jwt)")
    if claims.get("iss") != issuer:
        raise InvalidToken("the access token was issued by another issuer")
    if audience is not None and audience not in audiences_of(claims):
        raise InvalidToken(
            f"the access token is not for this resource (aud must include {audience})"
        )
    _check_lifetime(claims, now)
    if not isinstance(claims.get("sub"), str) or not isinstance(claims.get("jti"), str):
        raise InvalidToken("the access token lacks sub or jti")
    return claims


def audiences_of(claims: dict[str, Any]) -> list[str]:
    """RFC 7519 §4.1.3: ``aud`` is one string or a list of strings."""
    aud = claims.get("aud")
    return [a for a in (aud if isinstance(aud, list) else [aud]) if isinstance(a, str)]


def _check_lifetime(claims: dict[str, Any], now: int) -> None:
    """RFC 7519 §4.1.4-6, RFC 9068 §2.2: exp and iat are required, nbf optional; a token
    that starts in the future is refused as gatehouse.rs refuses it."""
    exp = numeric_date(claims.get("exp"))
    if exp is None or exp <= now:
        raise InvalidToken("the access token has expired")
    iat = numeric_date(claims.get("iat"))
    if iat is None:
        raise InvalidToken("the access token lacks iat")
    if iat > now + CLOCK_SKEW:
        raise InvalidToken("the access token claims to be issued in the future")
    nbf = claims.get("nbf")
    if nbf is not None and ((start := numeric_date(nbf)) is None or start > now + CLOCK_SKEW):
        raise InvalidToken("the access token is not valid yet (nbf is in the future)")
