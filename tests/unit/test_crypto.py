"""gatehouse.crypto: random values, digests, the one constant-time comparison."""

from __future__ import annotations

import re

import pytest

from gatehouse import crypto
from gatehouse.crypto import (
    base64url_sha256,
    constant_time_equals,
    left_half_hash,
    random_token,
    sha256_digest,
)

# RFC 7636 Appendix B.
RFC7636_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC7636_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        ("secret", "secret", True),
        ("secret", "Secret", False),
        ("secret", "secret ", False),
        ("secret", "secre", False),
        ("", "", True),
        ("", "x", False),
        (b"secret", "secret", True),
        ("s\u00e9cret", "s\u00e9cret".encode(), True),
        (b"\x00\x01", b"\x00\x02", False),
    ],
)
def test_constant_time_equals(a: str | bytes, b: str | bytes, equal: bool) -> None:
    assert constant_time_equals(a, b) is equal


def test_constant_time_equals_goes_through_hmac_compare_digest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[bytes, bytes]] = []

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return a == b

    monkeypatch.setattr(crypto.hmac, "compare_digest", spy)
    assert constant_time_equals("abc", "abc")
    assert calls == [(b"abc", b"abc")]


def test_base64url_sha256_matches_rfc7636_appendix_b() -> None:
    assert base64url_sha256(RFC7636_VERIFIER) == RFC7636_CHALLENGE


def test_base64url_sha256_has_no_padding_and_is_url_safe() -> None:
    for value in ("", "a", "ab", "abc", "~" * 128):
        encoded = base64url_sha256(value)
        assert len(encoded) == 43
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", encoded)


def test_base64url_sha256_refuses_non_ascii() -> None:
    # RFC 7636 §4.2 hashes ASCII(code_verifier); a non-ASCII verifier is never valid.
    with pytest.raises(UnicodeEncodeError):
        base64url_sha256("v\u00e9rifier")


@pytest.mark.parametrize(
    ("value", "alg", "expected"),
    [
        # OpenID Connect Core 1.0 Appendix A.3 (at_hash) and A.6 (c_hash).
        ("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", "RS256", "77QmUPtjPfzWtF2AnpK9RQ"),
        (
            "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk",
            "RS256",
            "LDktKdoQak3Pk0cnXxCltA",
        ),
        ("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", "ES256", "77QmUPtjPfzWtF2AnpK9RQ"),
    ],
)
def test_left_half_hash_matches_oidc_examples(value: str, alg: str, expected: str) -> None:
    assert left_half_hash(value, alg) == expected


@pytest.mark.parametrize(
    ("alg", "length"),
    [("RS256", 22), ("ES256", 22), ("PS384", 32), ("ES384", 32), ("RS512", 43), ("ES512", 43)],
)
def test_left_half_hash_uses_the_hash_of_the_algorithm(alg: str, length: int) -> None:
    # Half of a 32/48/64-byte digest, base64url without padding.
    assert len(left_half_hash("token", alg)) == length


@pytest.mark.parametrize("alg", ["none", "EdDSA", "HS1"])
def test_left_half_hash_rejects_algorithms_without_a_known_hash(alg: str) -> None:
    with pytest.raises(KeyError):
        left_half_hash("token", alg)


def test_sha256_digest_is_hex_sha256() -> None:
    # FIPS 180-2 test vector.
    assert sha256_digest("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_random_token_is_url_safe_256_bits_and_unique() -> None:
    tokens = {random_token() for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    assert len(random_token(48)) == 64
