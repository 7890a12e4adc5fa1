"""A DPoP client's side (RFC 9449 §4.2): a key pair and the proofs it signs, made with
joserfc the way a client library would. Authlib has no DPoP client, so tests use this.

``proof`` makes a correct proof by default; each keyword breaks or changes one part of it,
so a test can break every rule of §4.3 on purpose.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, OKPKey, RSAKey
from joserfc.jws import JWSRegistry

_UNSET: Any = object()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def ath_of(access_token: str) -> str:
    """§4.2: base64url of the SHA-256 of the access token."""
    return b64url(hashlib.sha256(access_token.encode("ascii")).digest())


class _Registry(JWSRegistry):
    max_header_length = 4096  # an RSA public key in the header is longer than joserfc's 512


class DPoPKey:
    """A client's DPoP key pair (ES256 by default; RS256, PS256 or Ed25519)."""

    def __init__(self, alg: str = "ES256") -> None:
        self.alg = alg
        self.key: ECKey | RSAKey | OKPKey
        if alg == "ES256":
            self.key = ECKey.generate_key("P-256", private=True)
        elif alg in ("RS256", "PS256"):
            self.key = RSAKey.generate_key(2048, private=True)
        elif alg == "Ed25519":
            self.key = OKPKey.generate_key("Ed25519", private=True)
        else:
            raise ValueError(alg)

    @property
    def public_jwk(self) -> dict[str, Any]:
        return dict(self.key.as_dict(private=False))

    @property
    def jkt(self) -> str:
        """RFC 7638 thumbprint: what cnf.jkt holds (RFC 9449 §6.1)."""
        return self.key.thumbprint()

    def proof(
        self,
        method: str,
        uri: str,
        *,
        access_token: str | None = None,
        nonce: str | None = None,
        iat: float | None = None,
        jti: str | None = None,
        typ: str = "dpop+jwt",
        jwk: dict[str, Any] | None = None,
        header: dict[str, Any] | None = None,
        claims: dict[str, Any] | None = None,
        drop: tuple[str, ...] = (),
    ) -> str:
        """A proof for ``method`` ``uri``; ``header``/``claims`` add or replace members (a
        header member set to None is left out), ``drop`` removes claims."""
        body: dict[str, Any] = {
            "jti": jti or uuid.uuid4().hex,
            "htm": method,
            "htu": uri,
            "iat": int(time.time()) if iat is None else iat,
        }
        if access_token is not None:
            body["ath"] = ath_of(access_token)
        if nonce is not None:
            body["nonce"] = nonce
        body.update(claims or {})
        for name in drop:
            body.pop(name, None)
        protected = {"typ": typ, "alg": self.alg, "jwk": jwk or self.public_jwk, **(header or {})}
        protected = {name: value for name, value in protected.items() if value is not None}
        registry = _Registry(algorithms=[protected["alg"]])
        return jwt.encode(protected, body, self.key, registry=registry)


def unsigned_proof(method: str, uri: str, key: DPoPKey) -> str:
    """alg none (RFC 7519 §6): no signature at all."""
    header = {"typ": "dpop+jwt", "alg": "none", "jwk": key.public_jwk}
    body = {"jti": uuid.uuid4().hex, "htm": method, "htu": uri, "iat": int(time.time())}
    encode = lambda value: b64url(json.dumps(value).encode())  # noqa: E731
    return f"{encode(header)}.{encode(body)}."


def hmac_proof(method: str, uri: str, secret: bytes = b"0" * 32) -> str:
    """HS256 with a symmetric jwk: a MAC proves no key possession to anyone else."""
    key = OctKey.import_key(secret)
    header = {"typ": "dpop+jwt", "alg": "HS256", "jwk": {"kty": "oct", "k": b64url(secret)}}
    body = {"jti": uuid.uuid4().hex, "htm": method, "htu": uri, "iat": int(time.time())}
    return jwt.encode(header, body, key, registry=JWSRegistry(algorithms=["HS256"]))
