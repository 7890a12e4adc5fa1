"""Random values, digests and the one constant-time comparison gatehouse uses for secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets


def random_token(num_bytes: int = 32) -> str:
    """A URL-safe random value; 32 bytes give the 256 bits used for codes, secrets and ids."""
    return secrets.token_urlsafe(num_bytes)


def sha256_digest(value: str) -> str:
    """Hex SHA-256 of a high-entropy value: how codes, tokens, secrets and session ids are
    stored. A slow hash adds nothing for 256-bit random inputs (see DESIGN.md §2)."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def constant_time_equals(a: str | bytes, b: str | bytes) -> bool:
    """Compare two secrets without leaking where they differ."""
    a_bytes = a.encode("utf-8") if isinstance(a, str) else a
    b_bytes = b.encode("utf-8") if isinstance(b, str) else b
    return hmac.compare_digest(a_bytes, b_bytes)


def base64url_sha256(value: str) -> str:
    """BASE64URL(SHA256(ASCII(value))) without padding (RFC 7636 §4.2)."""
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def left_half_hash(value: str, alg: str) -> str:
    """OIDC Core §3.1.3.6 at_hash: base64url of the left half of the hash that matches the
    JWS algorithm's hash size."""
    hash_name = {"256": "sha256", "384": "sha384", "512": "sha512"}[alg[-3:]]
    digest = hashlib.new(hash_name, value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")
