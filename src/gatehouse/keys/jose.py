"""The only module that imports the JOSE library.

Every verification passes the allowed algorithms explicitly: a token's own ``alg`` header is
never trusted to choose how it is checked (RFC 8725 §3.1).
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Final

from joserfc import jwt
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import ECKey, JWKRegistry, KeySet, OKPKey, RSAKey
from joserfc.jws import JWSRegistry

from gatehouse.settings import SIGNING_ALGS, SigningAlg

_KEY_TYPES: dict[SigningAlg, type[RSAKey] | type[ECKey]] = {"RS256": RSAKey, "ES256": ECKey}

PrivateKey = RSAKey | ECKey
PublicKeySet = KeySet


class TokenVerificationError(Exception):
    """The token is malformed, badly signed, or signed with a key or algorithm not allowed."""


@dataclass(frozen=True)
class GeneratedKey:
    kid: str
    alg: str
    public_jwk: dict[str, Any]
    private_pem: bytes


def generate_signing_key(alg: str) -> GeneratedKey:
    if alg == "RS256":
        key: PrivateKey = RSAKey.generate_key(2048, private=True)
    elif alg == "ES256":
        key = ECKey.generate_key("P-256", private=True)
    else:
        raise ValueError(f"unsupported signing algorithm {alg!r}; use one of {SIGNING_ALGS}")
    kid = key.thumbprint()  # RFC 7638: stable, unique per key
    public = dict(key.as_dict(private=False))
    public.update({"kid": kid, "alg": alg, "use": "sig"})
    return GeneratedKey(kid=kid, alg=alg, public_jwk=public, private_pem=key.as_pem(private=True))


def load_private_key(pem: bytes, kid: str, alg: str) -> PrivateKey:
    if alg not in _KEY_TYPES:
        raise ValueError(f"unsupported signing algorithm {alg!r}; use one of {SIGNING_ALGS}")
    return _KEY_TYPES[alg].import_key(pem, parameters={"kid": kid, "alg": alg, "use": "sig"})


@functools.lru_cache(maxsize=32)
def _registry(algorithms: tuple[str, ...]) -> JWSRegistry:
    """The registry that allows exactly ``algorithms``, built once: given only the
    algorithms, joserfc builds one (a copy of its header registry) per token."""
    return JWSRegistry(algorithms=algorithms)


def sign_jwt(claims: Mapping[str, Any], key: PrivateKey, *, typ: str) -> str:
    alg = key.alg
    if alg not in SIGNING_ALGS:
        raise ValueError("signing keys must carry an asymmetric alg")
    header = {"alg": alg, "kid": key.kid, "typ": typ}
    return jwt.encode(header, dict(claims), key, registry=_registry((alg,)))


def public_keyset(jwks: Mapping[str, Any]) -> KeySet:
    """Parse a JWK Set once; callers cache the result."""
    try:
        return KeySet.import_key_set(dict(jwks))  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise TokenVerificationError(f"the JWK Set could not be read: {exc}") from exc


def verify_jwt(
    token: str, keys: KeySet, *, algorithms: Collection[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check the signature with one of ``keys`` and an allowed algorithm (a subset of
    SIGNING_ALGS); return (header, claims). Claims are *not* validated here: callers check
    iss, aud, exp, …"""
    if not algorithms or any(alg not in SIGNING_ALGS for alg in algorithms):
        raise ValueError("verification must pin asymmetric algorithms")
    candidates = [keys]
    if len(keys.keys) > 1 and "kid" not in unverified_header(token):
        # RFC 7515 §4.1.4: kid is optional (many client libraries leave it out); then each
        # key of the set is tried, still only with the pinned algorithms.
        candidates = [KeySet([key]) for key in keys.keys]
    for candidate in candidates[:-1]:
        with contextlib.suppress(TokenVerificationError):
            return _decode(token, candidate, algorithms)
    return _decode(token, candidates[-1], algorithms)


def _decode(
    token: str, keys: KeySet, algorithms: Collection[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        decoded = jwt.decode(token, keys, registry=_registry(tuple(algorithms)))
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise TokenVerificationError(_failure(exc)) from exc
    return dict(decoded.header), dict(decoded.claims)


def _failure(exc: Exception) -> str:
    """What failed, in words. joserfc's messages are "code: description", and a bad
    signature's description is empty ("bad_signature: ")."""
    if isinstance(exc, BadSignatureError):
        return "the signature does not match the header and payload"
    if isinstance(exc, JoseError) and exc.description:
        return exc.description
    return str(exc) or type(exc).__name__


def unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header, for diagnostics and key lookup only, never for trust decisions."""
    from joserfc import jws

    try:
        return dict(jws.extract_compact(token.encode("ascii")).protected)
    except (JoseError, ValueError, UnicodeError) as exc:
        raise TokenVerificationError("not a compact JWS") from exc


def verify_hmac_jwt(
    token: str, secret: str, *, algorithms: Collection[str] = ("HS256",)
) -> tuple[dict[str, Any], dict[str, Any]]:
    """client_secret_jwt only (OIDC Core §9): an HMAC over the assertion with the client's
    own secret. Kept apart from verify_jwt so that no public key can ever become an HMAC
    key (RFC 8725 §2.1)."""
    from joserfc.jwk import OctKey

    if not algorithms or any(alg not in ("HS256", "HS384", "HS512") for alg in algorithms):
        raise ValueError("HMAC verification must pin HMAC algorithms")
    try:
        decoded = jwt.decode(
            token, OctKey.import_key(secret.encode("utf-8")), registry=_registry(tuple(algorithms))
        )
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise TokenVerificationError(_failure(exc)) from None
    return dict(decoded.header), dict(decoded.claims)


def numeric_date(value: object) -> int | float | None:
    """RFC 7519 §2: a NumericDate is a JSON number of seconds since 1970, integer or not.
    None for anything else, including booleans (a Python bool is an int) and NaN or the
    infinities, which are not JSON but which Python's json module parses; NaN would make
    every comparison with it false."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def unverified_claims(token: str) -> dict[str, Any]:
    """The payload without checking the signature: only to find out which client sent an
    assertion before its keys are looked up."""
    import json

    from joserfc import jws

    try:
        payload = jws.extract_compact(token.encode("ascii")).payload
        claims = json.loads(payload)
    except (JoseError, ValueError, UnicodeError, RecursionError) as exc:
        # RecursionError: an unsigned payload nested a thousand levels deep.
        raise TokenVerificationError("not a compact JWS with a JSON payload") from exc
    if not isinstance(claims, dict):
        raise TokenVerificationError("the JWT payload is not a JSON object")
    try:
        # JSON may escape a lone surrogate ("\ud800"), which is no text at all: it could not
        # be stored or compared as a client id or jti further on.
        json.dumps(claims, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise TokenVerificationError("the JWT payload holds text that is not Unicode") from None
    return claims


#: RFC 9449 §4.2: the asymmetric algorithms a DPoP proof may be signed with, each with the
#: key type (and curve) it needs. Never none, never an HMAC.
PROOF_ALGS: Final[dict[str, tuple[str, str | None]]] = {
    "ES256": ("EC", "P-256"),
    "RS256": ("RSA", None),
    "PS256": ("RSA", None),
    # RFC 9864: the fully specified name; joserfc warns of the deprecated "EdDSA".
    "Ed25519": ("OKP", "Ed25519"),
}
_MIN_RSA_BITS = 2048


class _ProofRegistry(JWSRegistry):
    """RFC 9449 §4.2: a proof's header carries the public key itself, and an RSA key's is
    longer than joserfc's default limit for a header (512 bytes)."""

    max_header_length = 4096


@functools.lru_cache(maxsize=8)
def _proof_registry(algorithms: tuple[str, ...] | None) -> JWSRegistry:
    return _ProofRegistry(algorithms=algorithms)


def unverified_proof_header(token: str) -> dict[str, Any]:
    """A DPoP proof's JOSE header, read to find its key before the signature is checked."""
    from joserfc import jws

    try:
        return dict(
            jws.extract_compact(token.encode("ascii"), None, _proof_registry(None)).protected
        )
    except (JoseError, ValueError, UnicodeError) as exc:
        raise TokenVerificationError("not a compact JWS") from exc


def verify_with_embedded_key(
    token: str, jwk: Mapping[str, Any], *, algorithms: Collection[str]
) -> tuple[dict[str, Any], str]:
    """RFC 9449 §4.3 step 6: the signature of ``token``, checked with the public key
    ``jwk`` from its own header (the caller has checked that the JWK holds no private
    member) under one of ``algorithms`` (a subset of PROOF_ALGS) that suits the key.
    Returns (claims, RFC 7638 thumbprint of the key)."""
    if not algorithms or any(alg not in PROOF_ALGS for alg in algorithms):
        raise ValueError("proof verification must pin asymmetric algorithms")
    alg = unverified_proof_header(token).get("alg")
    if not isinstance(alg, str) or alg not in algorithms:
        raise TokenVerificationError(f"alg {str(alg)[:20]} is not allowed")
    kty, crv = PROOF_ALGS[alg]
    if jwk.get("kty") != kty or (crv is not None and jwk.get("crv") != crv):
        raise TokenVerificationError(f"the jwk is not a {crv or kty} key, which {alg} needs")
    try:
        key = JWKRegistry.import_key(dict(jwk))
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise TokenVerificationError(
            f"the jwk is not a usable public key: {_failure(exc)}"
        ) from exc
    if not isinstance(key, ECKey | RSAKey | OKPKey) or key.is_private:
        raise TokenVerificationError("the jwk must be a public key")
    if isinstance(key, RSAKey) and key.raw_value.key_size < _MIN_RSA_BITS:
        raise TokenVerificationError(f"an RSA key must have at least {_MIN_RSA_BITS} bits")
    try:
        decoded = jwt.decode(token, key, registry=_proof_registry((alg,)))
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise TokenVerificationError(_failure(exc)) from exc
    return dict(decoded.claims), key.thumbprint()
