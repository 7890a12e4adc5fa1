"""tokens.logout_token: the logout token of OIDC Back-Channel Logout 1.0 §2.4."""

from __future__ import annotations

import time

import pytest

from gatehouse.keys.jose import verify_jwt
from gatehouse.keys.keyring import KeyRing
from gatehouse.runtime import Runtime
from gatehouse.tokens.id_token import read_id_token_hint
from gatehouse.tokens.logout_token import (
    BACKCHANNEL_LOGOUT_EVENT,
    LOGOUT_TOKEN_LIFETIME,
    mint_logout_token,
)

ISSUER = "https://id.example.com"
NOW = int(time.time())


@pytest.fixture
def ring(runtime: Runtime) -> KeyRing:
    return runtime.keys.keyring()


def minted(ring: KeyRing, alg: str = "RS256", sid: str | None = "sid-1") -> str:
    return mint_logout_token(
        ring, alg=alg, issuer=ISSUER, client_id="web", subject="alice", sid=sid, now=NOW, jti="j1"
    )


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_the_claims_and_header_are_those_of_section_2_4(ring: KeyRing, alg: str) -> None:
    header, claims = verify_jwt(minted(ring, alg), ring.verification_keys, algorithms=[alg])
    assert header["typ"] == "logout+jwt" and header["alg"] == alg
    assert claims == {
        "iss": ISSUER,
        "sub": "alice",
        "aud": "web",
        "iat": NOW,
        "exp": NOW + LOGOUT_TOKEN_LIFETIME,
        "jti": "j1",
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
        "sid": "sid-1",
    }


def test_a_logout_token_never_carries_a_nonce_and_sid_only_when_known(ring: KeyRing) -> None:
    _, claims = verify_jwt(minted(ring, sid=None), ring.verification_keys, algorithms=["RS256"])
    assert "nonce" not in claims and "sid" not in claims and claims["sub"] == "alice"


def test_the_expiry_is_short(ring: KeyRing) -> None:
    assert LOGOUT_TOKEN_LIFETIME <= 300


def test_a_logout_token_is_no_id_token_hint(ring: KeyRing) -> None:
    # typ logout+jwt keeps it from passing for an ID token (§2.4 explicit typing).
    assert read_id_token_hint(minted(ring), ring, issuer=ISSUER) is None
