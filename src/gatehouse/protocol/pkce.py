"""RFC 7636 Proof Key for Code Exchange. S256 only: ``plain`` offers no protection when the
authorization request leaks (RFC 9700 §2.1.1)."""

from __future__ import annotations

import re

from gatehouse.crypto import base64url_sha256, constant_time_equals
from gatehouse.errors import InvalidGrant, InvalidRequest

SUPPORTED_METHODS = ("S256",)
# Both are checked with fullmatch: a "$" anchor also matches before a final newline.
# RFC 7636 §4.1: 43-128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
# An S256 challenge is BASE64URL of a 32-byte digest: exactly 43 characters.
_S256_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")


def check_challenge(challenge: str | None, method: str | None, *, required: bool) -> str | None:
    """RFC 7636 §4.3 and §4.4.1: validate the code_challenge of an authorization request."""
    if challenge is None:
        if method is not None:
            raise InvalidRequest("code_challenge_method was given without code_challenge")
        if required:
            raise InvalidRequest(
                "code_challenge is required: public clients must use PKCE (RFC 7636) with S256"
            )
        return None
    if method is None:
        # RFC 7636 §4.3 defaults to plain, which gatehouse does not accept.
        raise InvalidRequest("code_challenge_method is required and must be S256")
    if method not in SUPPORTED_METHODS:
        raise InvalidRequest(f"code_challenge_method {method[:32]!r} is not supported; use S256")
    if not _S256_CHALLENGE.fullmatch(challenge):
        raise InvalidRequest(
            "code_challenge must be the 43-character BASE64URL SHA-256 of the verifier"
        )
    return challenge


def verify(challenge: str | None, verifier: str | None) -> None:
    """RFC 7636 §4.6: the token request's code_verifier must match the stored challenge."""
    if challenge is None:
        if verifier is not None:
            raise InvalidGrant(
                "code_verifier was sent but the authorization request had no code_challenge"
            )
        return
    if verifier is None:
        raise InvalidGrant("code_verifier is required: the authorization request used PKCE")
    if not _VERIFIER.fullmatch(verifier):
        raise InvalidGrant("code_verifier must be 43-128 characters of A-Z a-z 0-9 - . _ ~")
    if not constant_time_equals(base64url_sha256(verifier), challenge):
        raise InvalidGrant("code_verifier does not match the code_challenge")
