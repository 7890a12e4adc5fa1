"""tokens.id_token: minting an ID token (OIDC Core §2, §3.1.3.6) and reading one back as an
id_token_hint (RP-Initiated Logout §2)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from gatehouse.crypto import left_half_hash
from gatehouse.keys.jose import sign_jwt, unverified_header
from gatehouse.keys.keyring import KeyRing
from gatehouse.runtime import Runtime
from gatehouse.tokens.id_token import mint_id_token, read_id_token_hint

ISSUER = "https://id.example.com"
NOW = int(time.time())


@pytest.fixture
def ring(runtime: Runtime) -> KeyRing:
    return runtime.keys.keyring()


def minted(ring: KeyRing, **fields: Any) -> str:
    values: dict[str, Any] = {
        "alg": "RS256",
        "issuer": ISSUER,
        "subject": "alice",
        "client_id": "web",
        "now": NOW,
        "lifetime": 300,
        "auth_time": NOW - 10,
        "nonce": None,
        "sid": None,
        "amr": (),
        "acr": None,
        "access_token": None,
        "extra_claims": {},
    }
    values.update(fields)
    return mint_id_token(ring, **values)


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_the_required_claims_and_the_optional_ones_when_given(ring: KeyRing, alg: str) -> None:
    token = minted(
        ring,
        alg=alg,
        nonce="n",
        sid="s",
        amr=("pwd",),
        acr="1",
        access_token="at",
        extra_claims={"email": "a@example.com"},
    )
    assert unverified_header(token) == {"alg": alg, "kid": ring.signing_key(alg).kid, "typ": "JWT"}
    claims = read_id_token_hint(token, ring, issuer=ISSUER)
    assert claims == {
        "email": "a@example.com",
        "iss": ISSUER,
        "sub": "alice",
        "aud": "web",
        "azp": "web",
        "exp": NOW + 300,
        "iat": NOW,
        "nbf": NOW,
        "auth_time": NOW - 10,
        "nonce": "n",
        "sid": "s",
        "amr": ["pwd"],
        "acr": "1",
        "at_hash": left_half_hash("at", alg),
    }


def test_absent_optional_claims_are_left_out(ring: KeyRing) -> None:
    claims = read_id_token_hint(minted(ring), ring, issuer=ISSUER)
    assert claims is not None
    assert not {"nonce", "sid", "amr", "acr", "at_hash"} & claims.keys()


def test_an_expired_id_token_is_still_a_hint(ring: KeyRing) -> None:
    assert read_id_token_hint(minted(ring, now=NOW - 10_000), ring, issuer=ISSUER) is not None


@pytest.mark.parametrize(
    "forge",
    [
        lambda ring: "not-a-jwt",
        lambda ring: minted(ring)[:-4] + "AAAA",
        lambda ring: sign_jwt(
            {"iss": ISSUER, "aud": "web"}, ring.signing_key("ES256"), typ="at+jwt"
        ),
        lambda ring: sign_jwt(
            {"iss": "https://evil.example.com", "aud": "web"}, ring.signing_key("RS256"), typ="JWT"
        ),
        lambda ring: sign_jwt({"iss": ISSUER}, ring.signing_key("RS256"), typ="JWT"),
    ],
    ids=["garbage", "bad-signature", "access-token", "other-issuer", "no-aud"],
)
def test_what_is_no_hint(ring: KeyRing, forge: Any) -> None:
    assert read_id_token_hint(forge(ring), ring, issuer=ISSUER) is None
