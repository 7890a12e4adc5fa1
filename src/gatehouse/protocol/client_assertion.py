"""JWT client assertions at the token endpoint: private_key_jwt and client_secret_jwt
(RFC 7523 §2.2 and §3, OIDC Core §9)."""

from __future__ import annotations

import math
from typing import Any

from gatehouse.errors import InvalidClient, InvalidRequest
from gatehouse.keys.jose import (
    TokenVerificationError,
    numeric_date,
    unverified_claims,
    unverified_header,
    verify_hmac_jwt,
    verify_jwt,
)
from gatehouse.keys.remote import JwksFetchError
from gatehouse.protocol.client_keys import RemoteKeys, hmac_secrets, registered_public_keys
from gatehouse.protocol.provider import Provider
from gatehouse.settings import SIGNING_ALGS
from gatehouse.storage.records import Client

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# What keys/jose.py verify_jwt accepts; PS256 would need it there first.
ASSERTION_ALGS = SIGNING_ALGS
HMAC_ALGS = ("HS256",)
MAX_ASSERTION_LIFETIME = 3600
LEEWAY = 60


class WrongClientCredentials(InvalidClient):
    """The presented secret or signature is not the client's: a failure brute-force
    protection counts (a malformed, expired or replayed assertion is not a guess)."""


def assertion_client_id(assertion: str) -> str:
    """RFC 7523 §3: iss and sub are the client_id. Read before verification only to know
    whose keys to verify with."""
    try:
        claims = unverified_claims(assertion)
    except TokenVerificationError:
        raise InvalidClient("client_assertion is not a JWT") from None
    iss, sub = claims.get("iss"), claims.get("sub")
    if not isinstance(iss, str) or iss != sub:
        raise InvalidClient("client_assertion must have iss and sub both equal to the client_id")
    return iss


def verify_assertion(
    provider: Provider, client: Client, assertion: str, token_endpoint: str, remote_keys: RemoteKeys
) -> None:
    if client.auth_method == "private_key_jwt":
        claims = _verify_with_client_keys(client, assertion, remote_keys)
    elif client.auth_method == "client_secret_jwt":
        claims = _verify_with_client_secret(provider, client, assertion)
    else:
        raise InvalidClient(
            f"this client must authenticate with {client.auth_method}, not a client_assertion"
        )
    _check_claims(provider, client, claims, token_endpoint)


def _verify_with_client_keys(
    client: Client, assertion: str, remote_keys: RemoteKeys
) -> dict[str, Any]:
    try:
        header = unverified_header(assertion)
    except TokenVerificationError:
        raise InvalidClient("client_assertion is not a JWT") from None
    if header.get("alg") not in ASSERTION_ALGS:
        raise InvalidClient(
            f"client_assertion must be signed with one of {', '.join(ASSERTION_ALGS)}"
        )
    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    try:
        keys = registered_public_keys(client, kid, remote_keys)
        if keys is None:
            raise InvalidClient("the client has no registered keys for private_key_jwt")
        _header, claims = verify_jwt(assertion, keys, algorithms=ASSERTION_ALGS)
    except JwksFetchError as exc:
        raise InvalidClient(str(exc)) from None
    except TokenVerificationError:
        raise WrongClientCredentials(
            "client_assertion signature is not valid for any of the client's registered keys"
        ) from None
    return claims


def _verify_with_client_secret(
    provider: Provider, client: Client, assertion: str
) -> dict[str, Any]:
    for secret in hmac_secrets(provider, client):
        try:
            _header, claims = verify_hmac_jwt(assertion, secret, algorithms=HMAC_ALGS)
        except TokenVerificationError:
            continue
        return claims
    raise WrongClientCredentials(
        "client_assertion is not signed with a current client secret (HS256)"
    )


def _check_claims(
    provider: Provider, client: Client, claims: dict[str, Any], token_endpoint: str
) -> None:
    """RFC 7523 §3: iss, sub, aud, exp, optional nbf/iat, and a jti used only once."""
    now = provider.clock()
    if claims.get("iss") != client.client_id or claims.get("sub") != client.client_id:
        raise InvalidClient("client_assertion iss and sub must be the client_id")
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if token_endpoint not in audiences and provider.config.issuer not in audiences:
        raise InvalidClient(f"client_assertion aud must be the token endpoint {token_endpoint}")
    if "exp" not in claims:
        raise InvalidClient("client_assertion must have an exp claim")
    exp = _time_claim(claims, "exp")
    if exp <= now - LEEWAY:
        raise InvalidClient("client_assertion has expired")
    if exp > now + MAX_ASSERTION_LIFETIME + LEEWAY:
        raise InvalidClient("client_assertion lives too long: exp must be within an hour")
    for claim in ("nbf", "iat"):
        if claims.get(claim) is not None and _time_claim(claims, claim) > now + LEEWAY:
            raise InvalidClient(f"client_assertion {claim} is in the future")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 1 <= len(jti) <= 255:
        raise InvalidClient("client_assertion must have a jti of at most 255 characters")
    # Remembered for as long as the assertion could still be accepted; the store keeps whole
    # seconds, so a fractional exp is rounded up, never down.
    remember_until = math.ceil(exp) + LEEWAY
    if not provider.client_assertions.record_jti(client.client_id, jti, remember_until, now):
        raise InvalidClient("client_assertion was already used (its jti was seen before)")


def _time_claim(claims: dict[str, Any], name: str) -> int | float:
    """RFC 7519 §2, §4.1.4-6: exp, nbf and iat are NumericDates, which may be non-integer."""
    value = numeric_date(claims.get(name))
    if value is None:
        raise InvalidClient(
            f"client_assertion {name} must be a NumericDate: a JSON number of seconds since 1970"
        )
    return value


def check_assertion_type(value: str | None) -> None:
    if value != ASSERTION_TYPE:
        raise InvalidRequest(f"client_assertion_type must be {ASSERTION_TYPE}")
