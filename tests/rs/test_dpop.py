"""gatehouse.rs DPoP (RFC 9449 §7): DPoPVerifier's checks one by one, and the middleware and
RequireToken accepting a bound token only as ``Authorization: DPoP`` with a proof of its key."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gatehouse.rs import (
    BearerAuthMiddleware,
    DPoPVerifier,
    InvalidDPoPProof,
    RequireToken,
    TokenValidator,
)
from gatehouse.rs.dpop import normalized_url
from tests.rs.issuer import NOW, FakeClock, IssuerState, SigningKey, claims_for
from tests.support.dpop import DPoPKey, hmac_proof, unsigned_proof

URL = "http://api/orders"


@pytest.fixture
def key() -> DPoPKey:
    return DPoPKey()


@pytest.fixture
def verifier(clock: FakeClock) -> DPoPVerifier:
    return DPoPVerifier(clock=clock)


def bound_token(issuer: IssuerState, es_key: SigningKey, key: DPoPKey) -> str:
    return es_key.sign(claims_for(issuer.url, cnf={"jkt": key.jkt}))


Make = Callable[[DPoPKey, str], list[str]]
REFUSED: list[tuple[str, Make, str]] = [
    ("none", lambda k, t: [], "needs a DPoP proof"),
    ("two", lambda k, t: [k.proof("GET", URL, access_token=t, iat=NOW)] * 2, "one DPoP header"),
    (
        "other-key",
        lambda k, t: [DPoPKey().proof("GET", URL, access_token=t, iat=NOW)],
        "another key",
    ),
    ("htm", lambda k, t: [k.proof("POST", URL, access_token=t, iat=NOW)], "another method"),
    ("htu", lambda k, t: [k.proof("GET", "http://api/x", access_token=t, iat=NOW)], "another URL"),
    ("ath", lambda k, t: [k.proof("GET", URL, access_token="x", iat=NOW)], "ath"),
    ("no-ath", lambda k, t: [k.proof("GET", URL, iat=NOW)], "ath"),
    ("old", lambda k, t: [k.proof("GET", URL, access_token=t, iat=NOW - 61)], "too old"),
    ("future", lambda k, t: [k.proof("GET", URL, access_token=t, iat=NOW + 6)], "future"),
    ("typ", lambda k, t: [k.proof("GET", URL, access_token=t, iat=NOW, typ="JWT")], "typ"),
    ("alg-none", lambda k, t: [unsigned_proof("GET", URL, k)], "alg"),
    ("hs256", lambda k, t: [hmac_proof("GET", URL)], "alg"),
    (
        "private-jwk",
        lambda k, t: [k.proof("GET", URL, iat=NOW, jwk=dict(k.key.as_dict(private=True)))],
        "public key",
    ),
    (
        "bad-signature",
        lambda k, t: [k.proof("GET", URL, access_token=t, iat=NOW, jwk=DPoPKey().public_jwk)],
        "does not verify",
    ),
    ("not-a-jwt", lambda k, t: ["nope"], "not a JWT"),
    ("no-jti", lambda k, t: [k.proof("GET", URL, access_token=t, iat=NOW, drop=("jti",))], "jti"),
]


@pytest.mark.parametrize(
    ("make", "fragment"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_the_verifier_refuses(
    verifier: DPoPVerifier, key: DPoPKey, make: Make, fragment: str
) -> None:
    with pytest.raises(InvalidDPoPProof, match=fragment):
        verifier.verify(make(key, "the-token"), "GET", URL, "the-token", key.jkt)


def test_the_verifier_accepts_a_proof_once(verifier: DPoPVerifier, key: DPoPKey) -> None:
    proof = key.proof("GET", "HTTP://API:80/orders?x=1", access_token="t", iat=NOW)
    verifier.verify([proof], "GET", URL, "t", key.jkt)
    with pytest.raises(InvalidDPoPProof, match="already used"):
        verifier.verify([proof], "GET", URL, "t", key.jkt)


def test_the_replay_cache_is_bounded(clock: FakeClock, key: DPoPKey) -> None:
    verifier = DPoPVerifier(clock=clock, replay_cache_size=2)
    for _ in range(3):
        verifier.verify(
            [key.proof("GET", URL, access_token="t", iat=NOW)], "GET", URL, "t", key.jkt
        )
    assert len(verifier._seen) == 2
    clock.advance(61)  # every remembered proof is now too old: they go at the next check
    verifier.verify(
        [key.proof("GET", URL, access_token="t", iat=NOW + 61)], "GET", URL, "t", key.jkt
    )
    assert len(verifier._seen) == 1


@pytest.mark.parametrize(
    "options", [{"algorithms": ["HS256"]}, {"algorithms": []}, {"max_age": 0}, {"leeway": 61}]
)
def test_the_verifier_refuses_unsafe_options(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        DPoPVerifier(**options)


def test_normalized_url() -> None:
    assert normalized_url("HTTPS://Api.Example.com:443/o?q#f") == "https://api.example.com/o"
    assert normalized_url("http://[::1]:8080") == "http://[::1]:8080/"


# -- The integrations -----------------------------------------------------------------------


def _app(validator: TokenValidator, clock: FakeClock) -> Starlette:
    async def orders(request: Request) -> Response:
        return JSONResponse({"sub": request.state.access_token.subject})

    return Starlette(
        routes=[Route("/orders", orders)],
        middleware=[
            Middleware(
                BearerAuthMiddleware,
                validator=validator,
                realm="orders",
                dpop=DPoPVerifier(clock=clock),
                public_url="http://api",
            )
        ],
    )


def _app_direct(validator: TokenValidator, clock: FakeClock) -> Starlette:
    require = RequireToken(validator, dpop=DPoPVerifier(clock=clock), realm="orders")

    async def direct(request: Request) -> Response:
        token = await require(request)
        return JSONResponse({"sub": token.subject})

    return Starlette(routes=[Route("/orders", direct)])


def _call(app: Any, authorization: str, *proofs: str) -> httpx.Response:
    async def go() -> httpx.Response:
        headers = [("authorization", authorization), *(("dpop", p) for p in proofs)]
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            return await client.get("/orders", headers=headers)

    return asyncio.run(go())


@pytest.fixture(params=["middleware", "require-token"])
def app(request: pytest.FixtureRequest, validator: TokenValidator, clock: FakeClock) -> Any:
    make = _app if request.param == "middleware" else _app_direct
    return make(validator, clock)


def test_a_bound_token_with_its_proof_is_accepted(
    app: Any, issuer: IssuerState, es_key: SigningKey, key: DPoPKey
) -> None:
    token = bound_token(issuer, es_key, key)
    response = _call(app, f"DPoP {token}", key.proof("GET", URL, access_token=token, iat=NOW))
    assert response.status_code == 200, response.text
    assert response.json() == {"sub": "user-123"}


def _challenge(response: httpx.Response, error: str, fragment: str) -> None:
    assert response.status_code == 401, response.text
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('DPoP realm="orders", '), challenge
    assert f'error="{error}"' in challenge
    assert 'algs="ES256 RS256 PS256 Ed25519"' in challenge
    # The middleware answers in JSON; RequireToken's HTTPException with its detail as text.
    if response.headers["content-type"].startswith("application/json"):
        assert response.json()["error"] == error
    assert fragment in response.text


def test_a_bound_token_as_bearer_is_refused_with_a_dpop_challenge(
    app: Any, issuer: IssuerState, es_key: SigningKey, key: DPoPKey
) -> None:
    token = bound_token(issuer, es_key, key)
    _challenge(_call(app, f"Bearer {token}"), "invalid_token", "DPoP-bound")


def test_a_bound_token_with_another_keys_proof_is_refused(
    app: Any, issuer: IssuerState, es_key: SigningKey, key: DPoPKey
) -> None:
    token = bound_token(issuer, es_key, key)
    proof = DPoPKey().proof("GET", URL, access_token=token, iat=NOW)
    _challenge(_call(app, f"DPoP {token}", proof), "invalid_dpop_proof", "another key")


def test_a_bearer_token_sent_as_dpop_is_refused(
    app: Any, issuer: IssuerState, es_key: SigningKey, key: DPoPKey
) -> None:
    token = es_key.sign(claims_for(issuer.url))
    proof = key.proof("GET", URL, access_token=token, iat=NOW)
    _challenge(_call(app, f"DPoP {token}", proof), "invalid_token", "not DPoP-bound")
    assert _call(app, f"Bearer {token}").status_code == 200


def test_an_invalid_token_sent_as_dpop_gets_a_dpop_challenge(app: Any, key: DPoPKey) -> None:
    _challenge(_call(app, "DPoP abc"), "invalid_token", "not a JWT")
