"""protocol.pkce: RFC 7636 with S256 only."""

from __future__ import annotations

import pytest

from gatehouse.crypto import base64url_sha256
from gatehouse.errors import InvalidGrant, InvalidRequest
from gatehouse.protocol import pkce

# RFC 7636 Appendix B.
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_only_s256_is_supported() -> None:
    assert pkce.SUPPORTED_METHODS == ("S256",)


@pytest.mark.parametrize(
    ("challenge", "method", "required", "result"),
    [
        (CHALLENGE, "S256", False, CHALLENGE),
        (CHALLENGE, "S256", True, CHALLENGE),
        (None, None, False, None),  # a confidential client may skip PKCE
    ],
)
def test_check_challenge_accepts(
    challenge: str | None, method: str | None, required: bool, result: str | None
) -> None:
    assert pkce.check_challenge(challenge, method, required=required) == result


@pytest.mark.parametrize(
    ("challenge", "method", "required", "message"),
    [
        (None, None, True, "code_challenge is required"),
        (None, "S256", False, "without code_challenge"),
        # RFC 7636 §4.3: a missing method means plain; gatehouse refuses it.
        (CHALLENGE, None, False, "must be S256"),
        (CHALLENGE, "plain", False, "not supported"),
        (CHALLENGE, "s256", False, "not supported"),  # method names are case-sensitive
        (CHALLENGE, "S512", False, "not supported"),
        (CHALLENGE[:42], "S256", False, "43-character"),
        (CHALLENGE + "A", "S256", False, "43-character"),
        ("+" + CHALLENGE[1:], "S256", False, "43-character"),  # base64, not base64url
        ("/" + CHALLENGE[1:], "S256", False, "43-character"),
        (CHALLENGE[:42] + "=", "S256", False, "43-character"),  # padding
        ("." + CHALLENGE[1:], "S256", False, "43-character"),  # verifier charset, not base64url
        ("~" + CHALLENGE[1:], "S256", False, "43-character"),
        (VERIFIER + "A" * 20, "S256", False, "43-character"),  # a plain-style long value
        (CHALLENGE + "\n", "S256", False, "43-character"),  # "$" would match before it
        (CHALLENGE + "\r\n", "S256", False, "43-character"),
        (CHALLENGE[:42] + "\n", "S256", False, "43-character"),
    ],
)
def test_check_challenge_rejects(
    challenge: str | None, method: str | None, required: bool, message: str
) -> None:
    with pytest.raises(InvalidRequest, match=message):
        pkce.check_challenge(challenge, method, required=required)


def test_verify_accepts_the_rfc7636_appendix_b_pair() -> None:
    pkce.verify(CHALLENGE, VERIFIER)


def test_verify_without_pkce_on_either_side_passes() -> None:
    pkce.verify(None, None)


def _pair(verifier: str) -> tuple[str, str]:
    return base64url_sha256(verifier), verifier


@pytest.mark.parametrize(
    "verifier",
    [
        "a" * 43,
        "Z" * 128,
        "0123456789-._~" + "x" * 29,
        "-" * 43,
    ],
)
def test_verify_accepts_every_valid_verifier_shape(verifier: str) -> None:
    pkce.verify(*_pair(verifier))


@pytest.mark.parametrize(
    ("verifier", "message"),
    [
        ("a" * 42, "43-128"),
        ("a" * 129, "43-128"),
        ("a" * 42 + "+", "43-128"),
        ("a" * 42 + "/", "43-128"),
        ("a" * 42 + "=", "43-128"),
        ("a" * 42 + " ", "43-128"),
        ("a" * 42 + "\u00e9", "43-128"),
        ("a" * 42 + "%", "43-128"),
        # "$" would match before a final newline; the digest of this one matches.
        ("a" * 43 + "\n", "43-128"),
        ("a" * 128 + "\n", "43-128"),
    ],
)
def test_verify_rejects_malformed_verifiers(verifier: str, message: str) -> None:
    # Even when the digest would match, a malformed verifier is refused.
    challenge = base64url_sha256(verifier) if verifier.isascii() else CHALLENGE
    with pytest.raises(InvalidGrant, match=message):
        pkce.verify(challenge, verifier)


@pytest.mark.parametrize(
    ("challenge", "verifier", "message"),
    [
        (CHALLENGE, None, "code_verifier is required"),
        (None, VERIFIER, "had no code_challenge"),
        (CHALLENGE, VERIFIER[:-1] + "l", "does not match"),
        (CHALLENGE, "a" * 43, "does not match"),
        # The plain method: sending the challenge itself as the verifier must fail.
        (CHALLENGE, CHALLENGE, "does not match"),
    ],
)
def test_verify_rejects(challenge: str | None, verifier: str | None, message: str) -> None:
    with pytest.raises(InvalidGrant, match=message):
        pkce.verify(challenge, verifier)


def test_verify_compares_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str | bytes, str | bytes]] = []

    def spy(a: str | bytes, b: str | bytes) -> bool:
        seen.append((a, b))
        return a == b

    monkeypatch.setattr(pkce, "constant_time_equals", spy)
    pkce.verify(CHALLENGE, VERIFIER)
    assert seen == [(CHALLENGE, CHALLENGE)]
