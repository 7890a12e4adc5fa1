"""gatehouse.rs validations per second vs raw `cryptography` signature verifications.

For ES256 and RS256: N distinct signed access tokens (distinct jti, so nothing can be
reused between them) are validated by TokenValidator (parse, header rules, key lookup,
signature, claims) and, in the same rounds, their signatures are verified with
`cryptography` alone from pre-split, pre-decoded inputs: the bare cost of the primitive.
Time is this process's CPU time (time.process_time), so other processes on a shared
machine do not count; rounds alternate the two so what noise remains hits both. Figures
are medians over rounds; the ratio is the median of the per-round ratios.

    python bench/rs_validate.py [--tokens 2000] [--rounds 9]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey
from joserfc.util import urlsafe_b64decode

from gatehouse.rs import HttpOptions, TokenValidator

ISSUER = "https://id.example.com"
AUDIENCE = "https://orders.example.com"


def _issuer_transport(jwk: dict[str, Any]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/openid-configuration":
            return httpx.Response(200, json={"issuer": ISSUER, "jwks_uri": f"{ISSUER}/jwks"})
        return httpx.Response(200, json={"keys": [jwk]})

    return httpx.MockTransport(answer)


def _tokens(key: RSAKey | ECKey, alg: str, count: int) -> list[str]:
    now = int(time.time())
    header = {"alg": alg, "kid": "bench", "typ": "at+jwt"}
    tokens = []
    for _ in range(count):
        claims = {
            "iss": ISSUER, "sub": "user-123", "aud": AUDIENCE, "client_id": "web-app",
            "scope": "openid profile orders.read orders.write", "jti": uuid.uuid4().hex,
            "iat": now, "exp": now + 3600, "auth_time": now, "sid": uuid.uuid4().hex,
        }  # fmt: skip
        tokens.append(jwt.encode(header, claims, key, algorithms=[alg]))
    return tokens


def _raw_verifier(key: RSAKey | ECKey, alg: str, tokens: list[str]) -> Callable[[], None]:
    """Signature checks with cryptography alone; splitting and decoding done beforehand."""
    public = key.public_key
    prepared = []
    for token in tokens:
        header, payload, signature = token.encode().split(b".")
        raw = urlsafe_b64decode(signature)
        if alg == "ES256":
            raw = encode_dss_signature(
                int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
            )
        prepared.append((header + b"." + payload, raw))
    if isinstance(public, ec.EllipticCurvePublicKey):
        ecdsa = ec.ECDSA(hashes.SHA256())

        def verify_ec() -> None:
            for message, signature in prepared:
                public.verify(signature, message, ecdsa)

        return verify_ec
    assert isinstance(public, rsa.RSAPublicKey)
    pkcs1 = padding.PKCS1v15()

    def verify_rsa() -> None:
        for message, signature in prepared:
            public.verify(signature, message, pkcs1, hashes.SHA256())

    return verify_rsa


def _rate(run: Callable[[], None], count: int) -> float:
    started = time.process_time()
    run()
    return count / (time.process_time() - started)


def bench(alg: str, count: int, rounds: int) -> None:
    key = (
        ECKey.generate_key("P-256", private=True)
        if alg == "ES256"
        else RSAKey.generate_key(2048, private=True)
    )
    jwk = {**key.as_dict(private=False), "kid": "bench", "alg": alg, "use": "sig"}
    client = httpx.Client(transport=_issuer_transport(jwk))
    validator = TokenValidator(ISSUER, AUDIENCE, http=HttpOptions(client=client))
    tokens = _tokens(key, alg, count)
    validator.validate(tokens[0])  # discovery and keys fetched once, outside the timing

    def validate_all() -> None:
        for token in tokens:
            validator.validate(token)

    async def validate_all_async() -> None:
        for token in tokens:
            await validator.validate_async(token)

    raw = _raw_verifier(key, alg, tokens)
    raw()  # warm up
    validate_all()
    rates: dict[str, list[float]] = {"raw": [], "sync": [], "async": []}
    for _ in range(rounds):
        rates["raw"].append(_rate(raw, count))
        rates["sync"].append(_rate(validate_all, count))
        rates["async"].append(_rate(lambda: asyncio.run(validate_all_async()), count))
    raw_rate, sync_rate, async_rate = (
        statistics.median(rates[k]) for k in ("raw", "sync", "async")
    )
    ratio = statistics.median(s / r for s, r in zip(rates["sync"], rates["raw"], strict=True))
    async_ratio = statistics.median(
        a / r for a, r in zip(rates["async"], rates["raw"], strict=True)
    )
    print(
        f"{alg}  cryptography verify {raw_rate:>9,.0f}/s ({1e6 / raw_rate:5.1f} µs)   "
        f"gatehouse.rs validate {sync_rate:>9,.0f}/s ({1e6 / sync_rate:5.1f} µs)   "
        f"ratio {ratio:4.0%}   async front {async_rate:>9,.0f}/s ratio {async_ratio:4.0%}"
    )
    validator.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tokens", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    print(f"{args.tokens} distinct tokens per round, {args.rounds} rounds, CPU time, medians")
    for alg in ("ES256", "RS256"):
        bench(alg, args.tokens, args.rounds)


if __name__ == "__main__":
    main()
