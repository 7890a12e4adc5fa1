"""The JWK Set: parsing rules, rotation, refetch rate limiting, single flight, stale keys."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from gatehouse.rs import CachePolicy, HttpOptions, InvalidToken, IssuerUnavailable, TokenValidator
from gatehouse.rs.jws import DEFAULT_ALGORITHMS
from gatehouse.rs.keys import parse_jwks
from tests.rs.conftest import MakeValidator
from tests.rs.issuer import NOW, FakeClock, IssuerState, SigningKey, b64url, claims_for

ALLOWED = frozenset(DEFAULT_ALGORITHMS)


def test_an_unknown_kid_refetches_once_and_finds_the_rotated_key(
    issuer: IssuerState, validator: TokenValidator, clock: FakeClock, es_key: SigningKey
) -> None:
    validator.validate(es_key.sign(claims_for(issuer.url)))
    new_key = SigningKey.generate("ES256", kid="es-2")
    issuer.keys.append(new_key)  # rotated in at the issuer after this API loaded its keys
    clock.advance(31)

    token = validator.validate(new_key.sign(claims_for(issuer.url)))

    assert token.subject == "user-123"
    assert issuer.hits["jwks"] == 2
    assert issuer.hits["discovery"] == 1
    validator.validate(new_key.sign(claims_for(issuer.url)))
    assert issuer.hits["jwks"] == 2


def test_a_flood_of_unknown_kids_costs_one_refetch_per_interval(
    issuer: IssuerState, make_validator: MakeValidator, clock: FakeClock, es_key: SigningKey
) -> None:
    validator = make_validator(cache=CachePolicy(refetch_interval=30))
    validator.validate(es_key.sign(claims_for(issuer.url)))
    clock.advance(31)
    for _ in range(50):
        bogus = SigningKey(es_key.alg, uuid.uuid4().hex, es_key.private)
        with pytest.raises(InvalidToken, match="which the issuer does not publish"):
            validator.validate(bogus.sign(claims_for(issuer.url)))
        clock.advance(0.5)  # 25 s in all: still inside the interval
    assert issuer.hits["jwks"] == 2

    clock.advance(6)
    with pytest.raises(InvalidToken):
        validator.validate(
            SigningKey(es_key.alg, "later", es_key.private).sign(claims_for(issuer.url))
        )
    assert issuer.hits["jwks"] == 3


def test_a_rotated_key_right_after_a_fetch_waits_for_the_interval(
    issuer: IssuerState, validator: TokenValidator, clock: FakeClock, es_key: SigningKey
) -> None:
    """The price of rate limiting: a key published less than refetch_interval after the last
    fetch is not seen until the interval passes (gatehouse publishes keys before using them)."""
    validator.validate(es_key.sign(claims_for(issuer.url)))
    new_key = SigningKey.generate("ES256", kid="es-2")
    issuer.keys.append(new_key)
    with pytest.raises(InvalidToken, match="does not publish"):
        validator.validate(new_key.sign(claims_for(issuer.url)))
    clock.advance(30)
    validator.validate(new_key.sign(claims_for(issuer.url)))
    assert issuer.hits["jwks"] == 2


def test_concurrent_requests_with_a_new_kid_share_one_refetch(
    issuer: IssuerState,
    validator: TokenValidator,
    clock: FakeClock,
    es_key: SigningKey,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parsed: list[int] = []

    def counting_parse(document: dict[str, Any], allowed: frozenset[str]) -> Any:
        parsed.append(1)
        return parse_jwks(document, allowed)

    monkeypatch.setattr("gatehouse.rs.validator.parse_jwks", counting_parse)
    validator.validate(es_key.sign(claims_for(issuer.url)))
    new_key = SigningKey.generate("ES256", kid="es-2")
    issuer.keys.append(new_key)
    issuer.jwks_delay = 0.2  # keep the refetch in flight while the others arrive
    clock.advance(31)

    async def many() -> list[Any]:
        tokens = [new_key.sign(claims_for(issuer.url)) for _ in range(20)]
        try:
            return await asyncio.gather(*(validator.validate_async(t) for t in tokens))
        finally:
            await validator.aclose()

    assert len(asyncio.run(many())) == 20
    assert issuer.hits["jwks"] == 2
    assert len(parsed) == 2  # each fetched JWK Set is parsed once, not once per waiter


def test_concurrent_threads_with_a_new_kid_share_one_refetch(
    issuer: IssuerState, validator: TokenValidator, clock: FakeClock, es_key: SigningKey
) -> None:
    validator.validate(es_key.sign(claims_for(issuer.url)))
    new_key = SigningKey.generate("ES256", kid="es-2")
    issuer.keys.append(new_key)
    issuer.jwks_delay = 0.2
    clock.advance(31)
    results: list[object] = []

    def work() -> None:
        try:
            results.append(validator.validate(new_key.sign(claims_for(issuer.url))))
        except Exception as exc:
            results.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [type(r).__name__ for r in results] == ["AccessToken"] * 8
    assert issuer.hits["jwks"] == 2


def test_a_refetch_abandoned_by_a_cancelled_request_does_not_block_the_next(
    issuer: IssuerState, validator: TokenValidator, clock: FakeClock, es_key: SigningKey
) -> None:
    validator.validate(es_key.sign(claims_for(issuer.url)))
    new_key = SigningKey.generate("ES256", kid="es-2")
    issuer.keys.append(new_key)
    clock.advance(31)
    issuer.jwks_delay = 0.5

    async def cancelled_then_retried() -> Any:
        raw = new_key.sign(claims_for(issuer.url))
        first = asyncio.ensure_future(validator.validate_async(raw))
        await asyncio.sleep(0.1)
        first.cancel()  # the client went away while the refetch was in flight
        await asyncio.gather(first, return_exceptions=True)
        try:
            return await validator.validate_async(raw)  # no interval passed: still refetches
        finally:
            await validator.aclose()

    assert asyncio.run(cancelled_then_retried()).subject == "user-123"


def test_a_cold_start_burst_fetches_discovery_and_keys_once(
    issuer: IssuerState, validator: TokenValidator, es_key: SigningKey
) -> None:
    issuer.discovery_delay = 0.1

    async def many() -> list[Any]:
        tokens = [es_key.sign(claims_for(issuer.url)) for _ in range(20)]
        async with validator:
            return await asyncio.gather(*(validator.validate_async(t) for t in tokens))

    assert len(asyncio.run(many())) == 20
    assert (issuer.hits["discovery"], issuer.hits["jwks"]) == (1, 1)


def test_keys_are_refreshed_after_max_age_and_kept_when_the_refresh_fails(
    issuer: IssuerState, make_validator: MakeValidator, clock: FakeClock, es_key: SigningKey
) -> None:
    validator = make_validator(cache=CachePolicy(max_age=600, retry_interval=5))
    raw = es_key.sign(claims_for(issuer.url, exp=int(NOW) + 3600))
    validator.validate(raw)
    issuer.jwks_body = b"<html>maintenance</html>"
    clock.advance(601)

    validator.validate(raw)  # the old keys still serve
    validator.validate(raw)
    assert issuer.hits["jwks"] == 2  # the failed refresh is not retried at once

    clock.advance(5)
    validator.validate(raw)
    assert issuer.hits["jwks"] == 3


def test_a_key_the_issuer_retired_stops_working_after_max_age(
    issuer: IssuerState,
    make_validator: MakeValidator,
    clock: FakeClock,
    es_key: SigningKey,
    rs_key: SigningKey,
) -> None:
    validator = make_validator(cache=CachePolicy(max_age=600))
    raw = es_key.sign(claims_for(issuer.url, exp=int(NOW) + 3600))
    validator.validate(raw)
    issuer.keys = [rs_key]
    clock.advance(601)
    with pytest.raises(
        InvalidToken, match="signed with key es-1, which the issuer does not publish"
    ):
        validator.validate(raw)


def test_an_explicit_jwks_uri_skips_discovery(
    issuer: IssuerState, make_validator: MakeValidator, es_key: SigningKey
) -> None:
    validator = make_validator(jwks_uri=f"{issuer.url}/jwks")
    validator.validate(es_key.sign(claims_for(issuer.url)))
    assert (issuer.hits["discovery"], issuer.hits["jwks"]) == (0, 1)


@pytest.mark.parametrize("chunked", [False, True])
def test_an_oversized_jwk_set_is_refused(
    issuer: IssuerState, make_validator: MakeValidator, es_key: SigningKey, chunked: bool
) -> None:
    padding = [
        {"kty": "EC", "kid": f"pad-{i}", "crv": "P-256", "x": "A" * 43, "y": "A" * 43}
        for i in range(2000)
    ]
    issuer.jwks_body = json.dumps({"keys": [es_key.public_jwk(), *padding]}).encode()
    issuer.jwks_chunked = chunked
    validator = make_validator(http=HttpOptions(max_response_bytes=64 * 1024))
    with pytest.raises(IssuerUnavailable) as caught:
        validator.validate(es_key.sign(claims_for(issuer.url)))
    assert caught.value.description.endswith("/jwks answered more than the 65536 bytes allowed")
    assert caught.value.description.startswith("the issuer's JWK Set is unavailable")


def test_a_compressed_jwk_set_is_refused(
    issuer: IssuerState, validator: TokenValidator, es_key: SigningKey
) -> None:
    issuer.jwks_headers = {"content-encoding": "gzip"}
    with pytest.raises(IssuerUnavailable, match="gzip-compressed answer; identity was asked"):
        validator.validate(es_key.sign(claims_for(issuer.url)))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "/jwks did not answer JSON"),
        (b"[]", "/jwks did not answer a JSON object"),
        (b"{}", "the issuer's JWK Set has no keys array"),
        (b'{"keys": []}', "holds no key usable with ES256, RS256"),
        (b'{"keys": [{"kty": "oct", "kid": "k", "k": "c2VjcmV0"}]}', "holds no key usable"),
    ],
)
def test_an_unusable_jwk_set_makes_the_issuer_unavailable(
    issuer: IssuerState, validator: TokenValidator, es_key: SigningKey, body: bytes, message: str
) -> None:
    issuer.jwks_body = body
    with pytest.raises(IssuerUnavailable, match=message):
        validator.validate(es_key.sign(claims_for(issuer.url)))


# -- parsing rules (RFC 7517 §4-5), on the parser directly --------------------------------


def _kids(keys: list[dict[str, Any]]) -> set[str]:
    index = parse_jwks({"keys": keys}, ALLOWED)
    return {
        kid for kid in (k.get("kid") for k in keys) if isinstance(kid, str) and index.knows(kid)
    }


def test_usable_keys_are_indexed(es_key: SigningKey, rs_key: SigningKey) -> None:
    assert _kids([es_key.public_jwk(), rs_key.public_jwk()]) == {"es-1", "rs-1"}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"use": "enc"}, "RFC 7517 §4.2: an encryption key"),
        ({"key_ops": ["encrypt"]}, "RFC 7517 §4.3: no verify operation"),
        ({"key_ops": "verify"}, "key_ops must be an array"),
        ({"kid": None}, "no kid to find it by"),
        ({"kid": ""}, "an empty kid"),
        ({"kty": "OKP"}, "a key type gatehouse.rs does not verify"),
        ({"kty": ["EC"]}, "a kty that is not a string"),
        ({"crv": ["P-256"]}, "a crv that is not a string"),
        ({"alg": ["ES256"]}, "an alg that is not a string"),
        ({"x": "not-base64!"}, "a broken point"),
        ({"x": b64url(b"\x01" * 32)}, "a point not on the curve"),
    ],
)
def test_unusable_keys_are_skipped(
    es_key: SigningKey, rs_key: SigningKey, change: dict[str, Any], reason: str
) -> None:
    broken = {k: v for k, v in {**es_key.public_jwk(), **change}.items() if v is not None}
    assert _kids([broken, rs_key.public_jwk()]) == {"rs-1"}, reason


def test_short_rsa_keys_are_skipped(es_key: SigningKey) -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()  # noqa: S505
    numbers = weak.public_numbers()
    jwk = {
        "kty": "RSA",
        "kid": "weak",
        "n": b64url(numbers.n.to_bytes(128, "big")),
        "e": b64url(numbers.e.to_bytes(3, "big")),
    }
    assert _kids([jwk, es_key.public_jwk()]) == {"es-1"}


def test_private_members_published_by_mistake_are_ignored(es_key: SigningKey) -> None:
    leaked = dict(es_key.private.as_dict(private=True), kid="leaky", alg="ES256")
    index = parse_jwks({"keys": [leaked]}, ALLOWED)
    key = index.find("leaky", "ES256")
    assert key is not None and not key.jwk.is_private
