"""tokens.access_token: minting an RFC 9068 access token and the claim rules it is checked
against (§2.2, §4)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from gatehouse.errors import InvalidToken
from gatehouse.keys.jose import sign_jwt, unverified_header
from gatehouse.keys.keyring import KeyRing
from gatehouse.runtime import Runtime
from gatehouse.tokens.access_token import (
    CLOCK_SKEW,
    audiences_of,
    mint_access_token,
    validate_access_token,
)

ISSUER = "https://id.example.com"
API = "https://api.example.com"
NOW = int(time.time())


@pytest.fixture
def ring(runtime: Runtime) -> KeyRing:
    return runtime.keys.keyring()


def minted(ring: KeyRing, **fields: Any) -> str:
    values: dict[str, Any] = {
        "alg": "ES256",
        "issuer": ISSUER,
        "subject": "alice",
        "audience": API,
        "client_id": "web",
        "scopes": ("orders.read",),
        "now": NOW,
        "lifetime": 300,
    }
    values.update(fields)
    return mint_access_token(ring, **values).value


def check(ring: KeyRing, token: str, audience: str | None = API, now: int = NOW) -> dict[str, Any]:
    return validate_access_token(token, ring, issuer=ISSUER, audience=audience, now=now)


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
def test_a_minted_token_has_the_rfc_9068_claims(ring: KeyRing, alg: str) -> None:
    token = minted(ring, alg=alg, auth_time=NOW - 5, sid="s1", jti="j1", extra_claims={"x": 1})
    assert unverified_header(token)["typ"] == "at+jwt"
    assert unverified_header(token)["alg"] == alg
    claims = check(ring, token)
    assert claims == {
        "x": 1,
        "iss": ISSUER,
        "sub": "alice",
        "aud": API,
        "client_id": "web",
        "scope": "orders.read",
        "jti": "j1",
        "iat": NOW,
        "nbf": NOW,
        "exp": NOW + 300,
        "auth_time": NOW - 5,
        "sid": "s1",
    }


def test_a_token_without_scopes_has_no_scope_claim(ring: KeyRing) -> None:
    assert "scope" not in check(ring, minted(ring, scopes=()))


def resigned(ring: KeyRing, token: str, typ: str = "at+jwt", **changes: Any) -> str:
    claims = {**check(ring, token, audience=None), **changes}
    claims = {k: v for k, v in claims.items() if v is not None}
    return sign_jwt(claims, ring.signing_key("ES256"), typ=typ)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"iss": "https://evil.example.com"}, "another issuer"),
        ({"aud": "https://other.example.com"}, "not for this resource"),
        ({"aud": ["https://other.example.com"]}, "not for this resource"),
        ({"exp": NOW}, "has expired"),  # exp is exclusive, no leeway
        ({"exp": None}, "has expired"),
        ({"exp": "later"}, "has expired"),
        ({"iat": NOW + CLOCK_SKEW + 1}, "issued in the future"),
        ({"iat": None}, "lacks iat"),
        ({"iat": True}, "lacks iat"),
        ({"nbf": NOW + CLOCK_SKEW + 1}, "not valid yet"),
        ({"nbf": "now"}, "not valid yet"),
        ({"sub": None}, "lacks sub or jti"),
        ({"jti": 7}, "lacks sub or jti"),
    ],
)
def test_each_claim_rule(ring: KeyRing, changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidToken, match=message):
        check(ring, resigned(ring, minted(ring), **changes))


@pytest.mark.parametrize(
    "changes",
    [
        {"iat": NOW + CLOCK_SKEW},  # another server's clock a little ahead
        {"nbf": NOW + CLOCK_SKEW},
        {"nbf": NOW - 60},
        {"aud": ["https://other.example.com", API]},
        {"exp": NOW + 0.5},  # a NumericDate may be fractional
    ],
)
def test_what_passes(ring: KeyRing, changes: dict[str, Any]) -> None:
    assert check(ring, resigned(ring, minted(ring), **changes))["sub"] == "alice"


def test_no_audience_check_for_introspection_and_revocation(ring: KeyRing) -> None:
    token = minted(ring, audience="https://other.example.com")
    assert check(ring, token, audience=None)["aud"] == "https://other.example.com"


@pytest.mark.parametrize("typ", ["JWT", "jwt", ""])
def test_only_an_access_token_type_passes(ring: KeyRing, typ: str) -> None:
    with pytest.raises(InvalidToken, match="typ must be at\\+jwt"):
        check(ring, resigned(ring, minted(ring), typ=typ))
    assert check(ring, resigned(ring, minted(ring), typ="application/at+jwt"))


def test_a_broken_signature(ring: KeyRing) -> None:
    head, payload, signature = minted(ring).split(".")
    with pytest.raises(InvalidToken, match="signature is invalid"):
        check(ring, f"{head}.{payload}.{signature[::-1]}")


@pytest.mark.parametrize(
    ("aud", "expected"),
    [("a", ["a"]), (["a", "b"], ["a", "b"]), (None, []), (["a", 3], ["a"]), (5, [])],
)
def test_audiences_of(aud: object, expected: list[str]) -> None:
    assert audiences_of({"aud": aud}) == expected
