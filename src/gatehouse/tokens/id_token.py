"""ID tokens (OIDC Core §2, §3.1.3.6)."""

from __future__ import annotations

from typing import Any

from gatehouse.crypto import left_half_hash
from gatehouse.keys.jose import sign_jwt
from gatehouse.keys.keyring import KeyRing
from gatehouse.settings import SIGNING_ALGS


def mint_id_token(
    keyring: KeyRing,
    *,
    alg: str,
    issuer: str,
    subject: str,
    client_id: str,
    now: int,
    lifetime: int,
    auth_time: int,
    nonce: str | None,
    sid: str | None,
    amr: tuple[str, ...],
    acr: str | None,
    access_token: str | None,
    extra_claims: dict[str, Any],
    code: str | None = None,
) -> str:
    """``access_token`` and ``code``: the ones issued with this ID token, whose hashes it
    carries (at_hash, c_hash: OIDC Core §3.3.2.11)."""
    claims: dict[str, Any] = dict(extra_claims)
    claims.update(
        {
            "iss": issuer,
            "sub": subject,
            "aud": client_id,
            "azp": client_id,
            "exp": now + lifetime,
            "iat": now,
            "nbf": now,
            "auth_time": auth_time,
        }
    )
    if nonce is not None:
        claims["nonce"] = nonce
    if sid is not None:
        claims["sid"] = sid
    if amr:
        claims["amr"] = list(amr)
    if acr is not None:
        claims["acr"] = acr
    if access_token is not None:
        claims["at_hash"] = left_half_hash(access_token, alg)
    if code is not None:
        claims["c_hash"] = left_half_hash(code, alg)
    return sign_jwt(claims, keyring.signing_key(alg), typ="JWT")


def read_id_token_hint(token: str, keyring: KeyRing, *, issuer: str) -> dict[str, Any] | None:
    """OIDC RP-Initiated Logout §2: an ID token gatehouse issued, checked for signature and
    issuer; an expired one is still a valid hint. None when it is not one of ours."""
    from gatehouse.keys.jose import TokenVerificationError, verify_jwt

    try:
        header, claims = verify_jwt(token, keyring.verification_keys, algorithms=SIGNING_ALGS)
    except TokenVerificationError:
        return None
    # gatehouse signs ID tokens with typ JWT and access tokens with at+jwt (RFC 9068 §2.1),
    # under the same keys: the typ keeps an access token from passing for an ID token.
    if header.get("typ") != "JWT":
        return None
    if claims.get("iss") != issuer or not isinstance(claims.get("aud"), str | list):
        return None
    return claims
