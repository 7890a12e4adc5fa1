"""ID tokens (OIDC Core §2, §3.1.3.6)."""

from __future__ import annotations

from typing import Any

from gatehouse.crypto import left_half_hash
from gatehouse.keys.jose import sign_jwt
from gatehouse.keys.keyring import KeyRing


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
) -> str:
    claims: dict[str, Any] = dict(extra_claims)
    claims.update(
        {
            "iss": issuer,
            "sub": subject,
            "aud": client_id,
            "azp": client_id,
            "exp": now + lifetime,
            "iat": now,
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
    return sign_jwt(claims, keyring.signing_key(alg), typ="JWT")
