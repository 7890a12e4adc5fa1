"""Signed request objects (RFC 9101; OIDC Core §6.1): the authorization request's parameters
as the claims of a JWT the client signed, sent by value (``request``) to /authorize or /par.

The object is checked against the client's registration, never against its own header: it
must be signed (``alg: none`` is refused, RFC 9101 §6.1, RFC 8725 §3.1), with exactly the
algorithm the client registered (``request_object_signing_alg``), by one of the client's
registered keys (its JWK Set or jwks_uri), or, for HS256, with one of its secrets. Only a
client_secret_jwt client's secrets are kept (encrypted) where they can key an HMAC; every
other secret exists only as a SHA-256 digest (docs/par-and-request-objects.md), so
registration allows HS256 only for those clients, and a public key is never an HMAC key
(keys/jose.py keeps the two verifications apart).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from gatehouse.errors import InvalidRequestObject
from gatehouse.keys.jose import (
    TokenVerificationError,
    numeric_date,
    unverified_header,
    verify_hmac_jwt,
    verify_jwt,
)
from gatehouse.keys.remote import JwksFetchError
from gatehouse.protocol.client_keys import hmac_secrets, registered_public_keys
from gatehouse.protocol.messages import MULTI_VALUED, MalformedParameters, Parameters
from gatehouse.protocol.messages import parse_parameters as _parse_parameters
from gatehouse.protocol.provider import Provider
from gatehouse.settings import SIGNING_ALGS
from gatehouse.storage.records import Client

HMAC_ALGS = ("HS256",)
REQUEST_OBJECT_ALGS = (*SIGNING_ALGS, *HMAC_ALGS)
# RFC 9101 §10.2 leaves the lifetime to the server; FAPI 2.0 allows an hour at most.
MAX_LIFETIME = 3600
LEEWAY = 60
# JWT claims that describe the object itself, not authorization request parameters.
JWT_CLAIMS = frozenset({"iss", "aud", "exp", "nbf", "iat", "jti", "sub"})


def request_object_parameters(provider: Provider, client: Client, request: str) -> Parameters:
    """The parameters ``request`` carries, once verified for ``client``. RFC 9101 §5: only
    these count; the caller ignores the rest of the request's parameters."""
    claims = _verified_claims(provider, client, request)
    _check_claims(provider, client, claims)
    try:
        return _parse_parameters(_parameter_pairs(claims))
    except MalformedParameters as malformed:
        raise InvalidRequestObject(f"the request object: {malformed.description}") from None


def _verified_claims(provider: Provider, client: Client, request: str) -> dict[str, Any]:
    if request.count(".") == 4:
        raise InvalidRequestObject("encrypted request objects (JWE) are not supported; sign it")
    try:
        header = unverified_header(request)
    except TokenVerificationError:
        raise InvalidRequestObject("the request parameter is not a signed JWT (JWS)") from None
    alg = header.get("alg")
    if not isinstance(alg, str) or alg.lower() == "none":
        raise InvalidRequestObject(
            "unsigned request objects (alg none) are refused: sign it with the client's key"
        )
    expected = client.request_object_signing_alg
    if expected is None:
        raise InvalidRequestObject(
            "this client has not registered a request object signing algorithm "
            "(gatehouse client update CLIENT --request-object-alg ALG)"
        )
    if alg != expected:
        raise InvalidRequestObject(
            f"the request object is signed with {alg[:20]}; this client's request objects "
            f"must be signed with {expected}"
        )
    if alg in HMAC_ALGS:
        return _verified_with_secret(provider, client, request, alg)
    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    try:
        keys = registered_public_keys(client, kid, provider.remote_jwks)
        if keys is None:
            raise InvalidRequestObject("the client has no registered keys to verify it with")
        _header, claims = verify_jwt(request, keys, algorithms=(alg,))
    except JwksFetchError as exc:
        raise InvalidRequestObject(str(exc)) from None
    except TokenVerificationError:
        raise InvalidRequestObject(
            "the request object's signature is not valid for any of the client's registered keys"
        ) from None
    return claims


def _verified_with_secret(
    provider: Provider, client: Client, request: str, alg: str
) -> dict[str, Any]:
    for secret in hmac_secrets(provider, client):
        try:
            _header, claims = verify_hmac_jwt(request, secret, algorithms=(alg,))
        except TokenVerificationError:
            continue
        return claims
    raise InvalidRequestObject(
        f"the request object is not signed with a current client secret ({alg})"
    )


def _check_claims(provider: Provider, client: Client, claims: dict[str, Any]) -> None:
    """RFC 9101 §4, §5 and §10.2; OIDC Core §6.1: iss is the client, aud this server, exp
    bounds its use; the client_id inside, if any, is the client's; no nested request."""
    now = provider.clock()
    if claims.get("iss") != client.client_id:
        raise InvalidRequestObject("the request object's iss must be the client_id")
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if provider.config.issuer not in audiences:
        raise InvalidRequestObject(
            f"the request object's aud must be this server's issuer {provider.config.issuer}"
        )
    if claims.get("client_id", client.client_id) != client.client_id:
        raise InvalidRequestObject("the client_id inside the request object is another client's")
    exp = _time(claims, "exp")
    if exp is None:
        raise InvalidRequestObject("the request object must have an exp claim")
    if exp <= now - LEEWAY:
        raise InvalidRequestObject("the request object has expired")
    if exp > now + MAX_LIFETIME + LEEWAY:
        raise InvalidRequestObject("the request object lives too long: exp must be within an hour")
    for name in ("nbf", "iat"):
        moment = _time(claims, name)
        if moment is not None and moment > now + LEEWAY:
            raise InvalidRequestObject(f"the request object's {name} is in the future")
    for nested in ("request", "request_uri"):
        if nested in claims:
            raise InvalidRequestObject(f"a request object must not contain {nested} (RFC 9101 §4)")


def _time(claims: dict[str, Any], name: str) -> int | float | None:
    if name not in claims:
        return None
    value = numeric_date(claims[name])
    if value is None:
        raise InvalidRequestObject(f"the request object's {name} must be a NumericDate")
    return value


def _parameter_pairs(claims: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Claims as request parameters: strings as they are; numbers (max_age) in decimal;
    the claims parameter as JSON text (OIDC Core §6.1 carries it as an object); resource
    as one or more strings (RFC 8707)."""
    for name, value in claims.items():
        if name in JWT_CLAIMS:
            continue
        if isinstance(value, str):
            yield name, value
        elif isinstance(value, int) and not isinstance(value, bool):
            yield name, str(value)
        elif name == "claims" and isinstance(value, dict):
            yield name, json.dumps(value)
        elif name in MULTI_VALUED and isinstance(value, list):
            if not all(isinstance(v, str) for v in value):
                raise InvalidRequestObject(f"every {name} in the request object must be a string")
            yield from ((name, v) for v in value)
        else:
            raise InvalidRequestObject(
                f"the request object's {name[:40]} must be a string, as a request parameter is"
            )
