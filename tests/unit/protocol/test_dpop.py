"""protocol.dpop: every check of RFC 9449 §4.3, each broken on purpose, on both databases."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from gatehouse.errors import InvalidDPoPProof, UseDPoPNonce
from gatehouse.protocol.dpop import ProofRequest, normalized_uri, response_nonce, verify_proof
from gatehouse.protocol.dpop_nonce import NONCE_PERIOD, current_nonce, nonce_is_current
from gatehouse.protocol.provider import Provider
from tests.support.dpop import DPoPKey, hmac_proof, unsigned_proof
from tests.support.flow import FakeClock

TOKEN = "https://id.example.com/token"
RESOURCE = "https://id.example.com/userinfo"


@pytest.fixture
def key() -> DPoPKey:
    return DPoPKey()


def check(provider: Provider, *proofs: str, uri: str = TOKEN, **request: Any) -> str:
    found = verify_proof(
        provider, ProofRequest(tuple(proofs), request.pop("method", "POST"), uri, **request)
    )
    assert found is not None
    return found.jkt


@pytest.mark.parametrize("alg", ["ES256", "RS256", "PS256", "Ed25519"])
def test_a_good_proof_gives_the_thumbprint_of_its_key(
    provider: Provider, clock: FakeClock, alg: str
) -> None:
    key = DPoPKey(alg)
    assert check(provider, key.proof("POST", TOKEN, iat=clock.now)) == key.jkt


def test_no_proof_is_no_binding(provider: Provider) -> None:
    assert verify_proof(provider, ProofRequest((), "POST", TOKEN)) is None


# Each case: what a client got wrong, the proof it sent (made with `key` at the provider's
# time `now`), and the words of the refusal.
Case = Callable[[DPoPKey, int], str]
BROKEN: list[tuple[str, Case, str]] = [
    ("wrong-htm", lambda k, now: k.proof("GET", TOKEN, iat=now), "another method"),
    ("wrong-htu", lambda k, now: k.proof("POST", RESOURCE, iat=now), "another URI"),
    ("wrong-typ", lambda k, now: k.proof("POST", TOKEN, iat=now, typ="JWT"), "typ"),
    ("alg-none", lambda k, now: unsigned_proof("POST", TOKEN, k), "alg none is not accepted"),
    ("hs256", lambda k, now: hmac_proof("POST", TOKEN), "alg HS256 is not accepted"),
    (
        "private-jwk",
        lambda k, now: k.proof("POST", TOKEN, iat=now, jwk=dict(k.key.as_dict(private=True))),
        "holds a private key",
    ),
    (
        "other-key-in-jwk",
        lambda k, now: k.proof("POST", TOKEN, iat=now, jwk=DPoPKey().public_jwk),
        "signature is not valid",
    ),
    (
        "jwk-of-another-type",
        lambda k, now: k.proof("POST", TOKEN, iat=now, jwk=DPoPKey("Ed25519").public_jwk),
        "not a P-256 key",
    ),
    (
        "incomplete-jwk",
        lambda k, now: k.proof("POST", TOKEN, iat=now, jwk={"kty": "EC", "crv": "P-256"}),
        "not a usable",
    ),
    ("no-jwk", lambda k, now: k.proof("POST", TOKEN, iat=now, header={"jwk": None}), "no jwk"),
    ("too-old", lambda k, now: k.proof("POST", TOKEN, iat=now - 61), "too old"),
    ("in-the-future", lambda k, now: k.proof("POST", TOKEN, iat=now + 6), "in the future"),
    ("no-jti", lambda k, now: k.proof("POST", TOKEN, iat=now, drop=("jti",)), "lacks the jti"),
    ("no-iat", lambda k, now: k.proof("POST", TOKEN, drop=("iat",)), "lacks the iat"),
    ("iat-text", lambda k, now: k.proof("POST", TOKEN, claims={"iat": "now"}), "lacks the iat"),
    ("long-jti", lambda k, now: k.proof("POST", TOKEN, iat=now, jti="j" * 257), "longer than"),
    ("not-a-jwt", lambda k, now: "not-a-jwt", "not a JWT"),
    ("garbage-jws", lambda k, now: "a.b.c", "not a well-formed JWS"),
]


@pytest.mark.parametrize(
    ("case", "message"), [(c[1], c[2]) for c in BROKEN], ids=[c[0] for c in BROKEN]
)
def test_a_broken_proof_is_refused(
    provider: Provider, clock: FakeClock, key: DPoPKey, case: Case, message: str
) -> None:
    with pytest.raises(InvalidDPoPProof, match=message):
        check(provider, case(key, clock.now))


def test_the_window_edges_are_accepted(provider: Provider, clock: FakeClock, key: DPoPKey) -> None:
    check(provider, key.proof("POST", TOKEN, iat=clock.now - 60))
    check(provider, key.proof("POST", TOKEN, iat=clock.now + 5))


def test_two_dpop_headers_are_refused(provider: Provider, clock: FakeClock, key: DPoPKey) -> None:
    proof = key.proof("POST", TOKEN, iat=clock.now)
    with pytest.raises(InvalidDPoPProof, match="one DPoP header"):
        check(provider, proof, key.proof("POST", TOKEN, iat=clock.now))


def test_a_replayed_proof_is_refused(provider: Provider, clock: FakeClock, key: DPoPKey) -> None:
    proof = key.proof("POST", TOKEN, iat=clock.now)
    check(provider, proof)
    clock.advance(30)
    with pytest.raises(InvalidDPoPProof, match="already used"):
        check(provider, proof)


def test_a_refused_proof_is_not_spent(provider: Provider, clock: FakeClock, key: DPoPKey) -> None:
    """The jti is recorded last: a proof refused for its ath can be sent again right."""
    proof = key.proof("POST", RESOURCE, iat=clock.now, access_token="one")
    with pytest.raises(InvalidDPoPProof, match="another access token"):
        check(provider, proof, uri=RESOURCE, access_token="two")
    check(provider, proof, uri=RESOURCE, access_token="one")


def test_the_same_jti_under_another_key_is_another_proof(
    provider: Provider, clock: FakeClock, key: DPoPKey
) -> None:
    check(provider, key.proof("POST", TOKEN, iat=clock.now, jti="same"))
    check(provider, DPoPKey().proof("POST", TOKEN, iat=clock.now, jti="same"))


@pytest.mark.parametrize(
    ("claims", "message"),
    [({}, "lacks ath"), ({"ath": "x"}, "another access token")],
    ids=["no-ath", "wrong-ath"],
)
def test_at_a_resource_ath_must_hash_the_token(
    provider: Provider, clock: FakeClock, key: DPoPKey, claims: dict[str, str], message: str
) -> None:
    proof = key.proof("GET", RESOURCE, iat=clock.now, claims=claims)
    with pytest.raises(InvalidDPoPProof, match=message):
        check(provider, proof, uri=RESOURCE, method="GET", access_token="the-token")


@pytest.mark.parametrize(
    "htu",
    [
        "HTTPS://ID.EXAMPLE.COM/token",
        "https://id.example.com:443/token",
        "https://id.example.com/./x/../token",
        "https://id.example.com/%74oken",
        "https://id.example.com/token?query=1#fragment",
    ],
)
def test_htu_is_compared_normalised(
    provider: Provider, clock: FakeClock, key: DPoPKey, htu: str
) -> None:
    check(provider, key.proof("POST", htu, iat=clock.now))


@pytest.mark.parametrize(
    ("uri", "normalised"),
    [
        ("http://h:80", "http://h/"),
        ("http://h:8080/a%2fb", "http://h:8080/a%2Fb"),
        ("https://[::1]:443/t", "https://[::1]/t"),
        ("urn:x", "urn:x"),
        ("http://h:bad/", "http://h:bad/"),
    ],
)
def test_normalized_uri(uri: str, normalised: str) -> None:
    assert normalized_uri(uri) == normalised


@pytest.fixture
def nonces(provider: Provider) -> Provider:
    provider.config = dataclasses.replace(provider.config, dpop_nonce_required=True)
    return provider


def test_a_required_nonce_is_asked_for(nonces: Provider, clock: FakeClock, key: DPoPKey) -> None:
    with pytest.raises(UseDPoPNonce, match="must carry the nonce") as refused:
        check(nonces, key.proof("POST", TOKEN, iat=clock.now))
    assert refused.value.nonce == response_nonce(nonces)
    check(nonces, key.proof("POST", TOKEN, iat=clock.now, nonce=refused.value.nonce))


@pytest.mark.parametrize("required", [True, False], ids=["required", "optional"])
def test_a_wrong_or_stale_nonce_gets_a_fresh_one(
    provider: Provider, clock: FakeClock, key: DPoPKey, required: bool
) -> None:
    provider.config = dataclasses.replace(provider.config, dpop_nonce_required=required)
    stale = current_nonce(provider.config.dpop_nonce_key, clock.now - 2 * NONCE_PERIOD)
    for nonce in (stale, "made-up", current_nonce(b"another key", clock.now)):
        with pytest.raises(UseDPoPNonce, match="expired or is not one gatehouse issued"):
            check(provider, key.proof("POST", TOKEN, iat=clock.now, nonce=nonce))


def test_a_nonce_lasts_its_period_and_the_next() -> None:
    key, now = b"k" * 32, 10 * NONCE_PERIOD
    nonce = current_nonce(key, now)
    assert nonce_is_current(key, nonce, now + 2 * NONCE_PERIOD - 1)
    assert not nonce_is_current(key, nonce, now + 2 * NONCE_PERIOD)
    assert not nonce_is_current(key, nonce, now - 1)
    assert not nonce_is_current(key, "zz." + nonce.partition(".")[2], now)
    assert not nonce_is_current(key, "x" * 65, now)


def test_no_nonce_header_unless_nonces_are_required(provider: Provider) -> None:
    assert response_nonce(provider) is None
