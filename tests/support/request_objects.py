"""Signed request objects (RFC 9101) as a client makes them, and the keys it signs with."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey

from tests.conftest import ISSUER


def public_jwks(*keys: RSAKey | ECKey) -> dict[str, Any]:
    return {"keys": [dict(k.as_dict(private=False)) for k in keys]}


def object_claims(client_id: str, /, **params: Any) -> dict[str, Any]:
    """The claims of a request object for ``client_id``: iss, aud, exp and iat as RFC 9101
    §4 and §10.2 ask, and the authorization request's ``params``. A value of None drops
    that claim."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": client_id,
        "aud": ISSUER,
        "iat": now,
        "exp": now + 300,
        "client_id": client_id,
    }
    claims.update(params)
    return {k: v for k, v in claims.items() if v is not None}


def sign(claims: dict[str, Any], key: RSAKey | ECKey | OctKey, alg: str) -> str:
    header: dict[str, Any] = {"alg": alg, "typ": "oauth-authz-req+jwt"}
    if key.kid:
        header["kid"] = key.kid
    return jwt.encode(header, claims, key, algorithms=[alg])


def _part(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def unsigned(claims: dict[str, Any]) -> str:
    """An alg none JWT: header and payload, no signature."""
    return f"{_part({'alg': 'none'})}.{_part(claims)}."


def hmac_with(claims: dict[str, Any], secret: bytes) -> str:
    """HS256 over the claims with ``secret`` as the key, whatever the secret is: a public
    key's PEM, in an algorithm-confusion attack (made by hand: JOSE libraries refuse to)."""
    signing_input = f"{_part({'alg': 'HS256'})}.{_part(claims)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
