"""A second issuer made in a test: its own key pair, its JWK Set and discovery document served
live on loopback (tests/support/jwks_server.py), and the tokens it signs, such as a CI system's
OIDC token for a workload (the JWT bearer grant, docs/workload-identity.md)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from tests.conftest import ISSUER
from tests.support.jwks_server import JwksServer, jwks_server

TOKEN_ENDPOINT = f"{ISSUER}/token"
DISCOVERY_PATH = "/.well-known/openid-configuration"
SUBJECT = "repo:octo-org/shop:ref:refs/heads/main"


class ExternalIssuer:
    """The issuer is the server's origin (http://127.0.0.1:PORT), as a real issuer's is its
    https origin; ``key`` signs, and the JWK Set publishes its public half."""

    def __init__(self, server: JwksServer, key: RSAKey | ECKey) -> None:
        self.server = server
        self.key = key
        self.issuer = server.origin
        self.jwks_uri = server.url
        self.discovery_url = server.origin + DISCOVERY_PATH
        self.publish(key)
        server.paths[DISCOVERY_PATH] = {"issuer": self.issuer, "jwks_uri": self.jwks_uri}

    def publish(self, *keys: RSAKey | ECKey) -> None:
        self.server.document = {"keys": [dict(k.as_dict(private=False)) for k in keys]}

    def claims(self, **overrides: Any) -> dict[str, Any]:
        """A GitHub Actions-like token's claims for the main branch of one repository;
        an override of None leaves the claim out."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": SUBJECT,
            "aud": TOKEN_ENDPOINT,
            "repository": "octo-org/shop",
            "ref": "refs/heads/main",
            "jti": uuid.uuid4().hex,
            "iat": now,
            "nbf": now,
            "exp": now + 300,
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(
        self, key: RSAKey | ECKey | None = None, alg: str | None = None, **overrides: Any
    ) -> str:
        key = key or self.key
        alg = alg or ("RS256" if key.key_type == "RSA" else "ES256")
        header = {"alg": alg, "typ": "JWT", "kid": key.kid}
        return jwt.encode(header, self.claims(**overrides), key, algorithms=[alg])

    def forged(self, alg: str, **overrides: Any) -> str:
        """A token a JOSE library refuses to make: alg none, or an HMAC keyed with the
        issuer's public key (the algorithm confusion of RFC 8725 §2.1)."""
        header = {"alg": alg, "typ": "JWT", "kid": self.key.kid}
        signing_input = f"{_b64(json.dumps(header))}.{_b64(json.dumps(self.claims(**overrides)))}"
        if alg == "none":
            return signing_input + "."
        secret = self.key.as_pem(private=False)
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


@contextmanager
def external_issuer(key: RSAKey | ECKey | None = None) -> Iterator[ExternalIssuer]:
    key = key or RSAKey.generate_key(2048, parameters={"kid": "ci-1"}, private=True)
    with jwks_server() as server:
        yield ExternalIssuer(server, key)
