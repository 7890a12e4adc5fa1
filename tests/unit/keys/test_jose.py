"""keys.jose: the JOSE wrapper. Verification pins the algorithms (RFC 8725 §3.1)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
from typing import Any

import pytest

from gatehouse.keys.jose import (
    GeneratedKey,
    PrivateKey,
    TokenVerificationError,
    generate_signing_key,
    load_private_key,
    numeric_date,
    public_keyset,
    sign_jwt,
    unverified_header,
    verify_jwt,
)

CLAIMS = {"iss": "https://op.example", "sub": "alice", "aud": "api", "exp": 4_000_000_000}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def segment(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value).encode())


@pytest.fixture(scope="module")
def rsa() -> GeneratedKey:
    return generate_signing_key("RS256")


@pytest.fixture(scope="module")
def ec() -> GeneratedKey:
    return generate_signing_key("ES256")


def private(generated: GeneratedKey) -> PrivateKey:
    return load_private_key(generated.private_pem, generated.kid, generated.alg)


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_generated_keys_publish_only_public_parameters(alg: str) -> None:
    generated = generate_signing_key(alg)
    jwk = generated.public_jwk
    assert jwk["kid"] == generated.kid
    assert (jwk["alg"], jwk["use"]) == (alg, "sig")
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(jwk)
    assert b"PRIVATE KEY" in generated.private_pem


def test_kids_are_unique_thumbprints() -> None:
    first, second = generate_signing_key("ES256"), generate_signing_key("ES256")
    assert first.kid != second.kid
    assert len(first.kid) == 43  # base64url SHA-256 (RFC 7638)


@pytest.mark.parametrize("alg", ["HS256", "none", "PS256", "EdDSA"])
def test_only_rs256_and_es256_keys_are_generated(alg: str) -> None:
    with pytest.raises(ValueError, match="unsupported"):
        generate_signing_key(alg)


@pytest.mark.parametrize("which", ["rsa", "ec"])
def test_sign_and_verify_roundtrip(which: str, request: pytest.FixtureRequest) -> None:
    generated: GeneratedKey = request.getfixturevalue(which)
    token = sign_jwt(CLAIMS, private(generated), typ="at+jwt")
    keys = public_keyset({"keys": [generated.public_jwk]})
    header, claims = verify_jwt(token, keys, algorithms=[generated.alg])
    assert header == {"alg": generated.alg, "kid": generated.kid, "typ": "at+jwt"}
    assert claims == CLAIMS
    assert unverified_header(token) == header


def test_verification_uses_a_keyset_with_several_keys(rsa: GeneratedKey, ec: GeneratedKey) -> None:
    keys = public_keyset({"keys": [rsa.public_jwk, ec.public_jwk]})
    for generated in (rsa, ec):
        token = sign_jwt(CLAIMS, private(generated), typ="JWT")
        assert verify_jwt(token, keys, algorithms=["RS256", "ES256"])[1] == CLAIMS


@pytest.mark.parametrize("algorithms", [[], ["HS256"], ["none"], ["RS256", "HS256"], ["PS256"]])
def test_verification_must_pin_asymmetric_algorithms(
    rsa: GeneratedKey, algorithms: list[str]
) -> None:
    token = sign_jwt(CLAIMS, private(rsa), typ="JWT")
    with pytest.raises(ValueError, match="pin asymmetric"):
        verify_jwt(token, public_keyset({"keys": [rsa.public_jwk]}), algorithms=algorithms)


def test_alg_none_is_rejected(rsa: GeneratedKey) -> None:
    keys = public_keyset({"keys": [rsa.public_jwk]})
    for header in ({"alg": "none"}, {"alg": "none", "kid": rsa.kid}, {"alg": "None"}):
        token = f"{segment(header)}.{segment(CLAIMS)}."
        with pytest.raises(TokenVerificationError):
            verify_jwt(token, keys, algorithms=["RS256", "ES256"])


def test_hs256_signed_with_the_public_key_is_rejected(rsa: GeneratedKey) -> None:
    """The classic key-confusion attack: HMAC keyed with the published RSA key."""
    public = public_keyset({"keys": [rsa.public_jwk]})
    public_pem = private(rsa).as_pem(private=False)
    candidates = [public_pem, json.dumps(rsa.public_jwk).encode(), rsa.public_jwk["n"].encode()]
    for secret in candidates:
        signing_input = f"{segment({'alg': 'HS256', 'kid': rsa.kid})}.{segment(CLAIMS)}"
        signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        token = f"{signing_input}.{b64url(signature)}"
        with pytest.raises(TokenVerificationError):
            verify_jwt(token, public, algorithms=["RS256"])


def test_a_token_with_an_unknown_kid_is_rejected(rsa: GeneratedKey) -> None:
    stranger = generate_signing_key("RS256")
    token = sign_jwt(CLAIMS, private(stranger), typ="JWT")
    with pytest.raises(TokenVerificationError):
        verify_jwt(token, public_keyset({"keys": [rsa.public_jwk]}), algorithms=["RS256"])


def test_a_token_signed_by_another_key_under_a_known_kid_is_rejected(rsa: GeneratedKey) -> None:
    stranger = generate_signing_key("RS256")
    forged = load_private_key(stranger.private_pem, rsa.kid, "RS256")
    token = sign_jwt(CLAIMS, forged, typ="JWT")
    assert unverified_header(token)["kid"] == rsa.kid
    with pytest.raises(TokenVerificationError):
        verify_jwt(token, public_keyset({"keys": [rsa.public_jwk]}), algorithms=["RS256"])


def test_an_algorithm_outside_the_pinned_ones_is_rejected(ec: GeneratedKey) -> None:
    token = sign_jwt(CLAIMS, private(ec), typ="JWT")
    with pytest.raises(TokenVerificationError):
        verify_jwt(token, public_keyset({"keys": [ec.public_jwk]}), algorithms=["RS256"])


def test_a_tampered_payload_is_rejected(ec: GeneratedKey) -> None:
    header, _, signature = sign_jwt(CLAIMS, private(ec), typ="JWT").split(".")
    token = f"{header}.{segment({**CLAIMS, 'sub': 'mallory'})}.{signature}"
    with pytest.raises(TokenVerificationError):
        verify_jwt(token, public_keyset({"keys": [ec.public_jwk]}), algorithms=["ES256"])


def test_each_verification_error_says_what_failed(ec: GeneratedKey) -> None:
    """joserfc's bad-signature message is "bad_signature: " with nothing after it."""
    keys = public_keyset({"keys": [ec.public_jwk]})
    header, payload, signature = sign_jwt(CLAIMS, private(ec), typ="JWT").split(".")
    forged = load_private_key(generate_signing_key("ES256").private_pem, ec.kid, "ES256")
    stranger = generate_signing_key("ES256")
    bad_signature = "the signature does not match the header and payload"
    cases = {
        f"{header}.{segment({**CLAIMS, 'sub': 'mallory'})}.{signature}": bad_signature,
        f"{header}.{payload}.{'A' * len(signature)}": bad_signature,
        sign_jwt(CLAIMS, forged, typ="JWT"): bad_signature,
        sign_jwt(CLAIMS, private(stranger), typ="JWT"): f"No key for kid: '{stranger.kid}'",
    }
    for token, reason in cases.items():
        with pytest.raises(TokenVerificationError) as raised:
            verify_jwt(token, keys, algorithms=["ES256"])
        assert reason in str(raised.value)
        assert "bad_signature" not in str(raised.value)


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c", "\u00e9.\u00e9.\u00e9", "a.b.c.d.e"])
def test_garbage_is_a_verification_error_not_a_crash(ec: GeneratedKey, token: str) -> None:
    with pytest.raises(TokenVerificationError):
        verify_jwt(token, public_keyset({"keys": [ec.public_jwk]}), algorithms=["ES256"])


@pytest.mark.parametrize("token", ["", "abc", "!!.x.y", "\u00e9.x.y"])
def test_unverified_header_of_garbage(token: str) -> None:
    with pytest.raises(TokenVerificationError):
        unverified_header(token)


@pytest.mark.parametrize("jwks", [{"keys": [{"kty": "nope"}]}, {"keys": "x"}, {}])
def test_an_unreadable_jwks_is_a_verification_error(jwks: dict[str, Any]) -> None:
    with pytest.raises(TokenVerificationError):
        public_keyset(jwks)


def test_signing_refuses_a_key_without_an_asymmetric_alg(rsa: GeneratedKey) -> None:
    key = load_private_key(rsa.private_pem, rsa.kid, "RS256")
    key = type(key).import_key(rsa.private_pem, parameters={"kid": rsa.kid, "alg": "HS256"})
    with pytest.raises(ValueError, match="asymmetric"):
        sign_jwt(CLAIMS, key, typ="JWT")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1_800_000_000, 1_800_000_000),
        (1_800_000_000.25, 1_800_000_000.25),  # RFC 7519 §2: non-integer values are allowed
        (0, 0),
        (-1.5, -1.5),
        (True, None),  # a bool is an int in Python, never a NumericDate
        (False, None),
        (math.nan, None),
        (math.inf, None),
        (-math.inf, None),
        ("1800000000", None),
        (None, None),
        ([1], None),
    ],
)
def test_numeric_date(value: object, expected: float | None) -> None:
    result = numeric_date(value)
    assert result == expected and type(result) is type(expected)


# -- DPoP proofs: a JWT checked with the key in its own header (RFC 9449 §4.3 step 6) --------


def test_a_proof_verifies_with_its_own_key_and_gives_its_thumbprint() -> None:
    from gatehouse.keys.jose import verify_with_embedded_key
    from tests.support.dpop import DPoPKey

    for alg in ("ES256", "RS256", "PS256", "Ed25519"):
        key = DPoPKey(alg)
        proof = key.proof("POST", "https://id.example.com/token")
        claims, jkt = verify_with_embedded_key(proof, key.public_jwk, algorithms=[alg])
        assert jkt == key.jkt and claims["htm"] == "POST"


@pytest.mark.parametrize(
    ("alg", "jwk", "message"),
    [
        ("ES256", {"kty": "RSA"}, "not a P-256 key"),
        ("RS256", {"kty": "EC", "crv": "P-256"}, "not a RSA key"),
        ("ES256", {"kty": "EC", "crv": "P-384"}, "not a P-256 key"),
        ("RS256", "small", "at least 2048 bits"),
    ],
)
@pytest.mark.filterwarnings("ignore:Key size should be:joserfc.errors.SecurityWarning")
def test_a_proof_key_must_suit_its_algorithm(alg: str, jwk: Any, message: str) -> None:
    from joserfc.jwk import RSAKey

    from gatehouse.keys.jose import verify_with_embedded_key
    from tests.support.dpop import DPoPKey

    key = DPoPKey(alg)
    if jwk == "small":
        key.key = RSAKey.generate_key(1024, private=True)
        jwk = key.public_jwk
    with pytest.raises(TokenVerificationError, match=message):
        verify_with_embedded_key(key.proof("GET", "https://x/"), jwk, algorithms=[alg])


def test_proof_verification_pins_asymmetric_algorithms() -> None:
    from gatehouse.keys.jose import verify_with_embedded_key

    with pytest.raises(ValueError, match="pin asymmetric"):
        verify_with_embedded_key("a.b.c", {}, algorithms=["HS256"])
