"""The upstream's ID token, checked before anything in it is believed (OpenID Connect Core
1.0 §3.1.3.7), in the order of that section:

1. (no encryption: gatehouse asks for none)
2. ``iss`` is exactly the issuer of the upstream's discovery document;
3. ``aud`` contains the client id gatehouse is registered with there;
4. with several audiences, ``azp`` is present and is that client id;
6. the signature verifies with a key of the upstream's jwks_uri, under an algorithm pinned
   here (RS256 or ES256, never an HMAC or ``none``: RFC 8725 §3.1);
9. ``exp`` is in the future; 10. ``iat`` is not in the future (LEEWAY either way);
11. ``nonce`` is the one sent with this very request (constant-time comparison);
and ``sub`` is a non-empty string of at most 255 characters: only then is the subject
trusted. ``acr``, ``amr`` and ``auth_time`` are not carried over (docs/federation.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from gatehouse.crypto import constant_time_equals
from gatehouse.keys.discovery import UpstreamEndpoints
from gatehouse.keys.jose import TokenVerificationError, numeric_date, unverified_header, verify_jwt
from gatehouse.keys.remote import JwksFetchError
from gatehouse.protocol.federation.errors import FederationFailed
from gatehouse.protocol.provider import Provider

ALGORITHMS = ("RS256", "ES256")
LEEWAY = 60
MAX_SUBJECT_LENGTH = 255

Failure = Callable[[str, str], FederationFailed]


def verified_claims(
    provider: Provider,
    endpoints: UpstreamEndpoints,
    id_token: str,
    *,
    client_id: str,
    nonce: str,
    alias: str,
) -> dict[str, Any]:
    """The claims of ``id_token`` once every rule of the module docstring holds;
    FederationFailed naming the first that does not."""

    def failed(reason: str, description: str) -> FederationFailed:
        return FederationFailed(reason, description, alias=alias)

    claims = _signed_claims(provider, endpoints, id_token, failed)
    if claims.get("iss") != endpoints.issuer:
        raise failed("issuer", f"the ID token was not issued by {endpoints.issuer}")
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if client_id not in audiences:
        raise failed("audience", "the ID token was not issued to gatehouse's client id")
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise failed("audience", "the ID token has several audiences and azp is not ours")
    _check_times(provider.clock(), claims, failed)
    got = claims.get("nonce")
    if not isinstance(got, str) or not constant_time_equals(got, nonce):
        raise failed("nonce", "the ID token's nonce is not the one sent with this sign-in")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not 0 < len(subject) <= MAX_SUBJECT_LENGTH:
        raise failed("id_token", "the ID token names no subject (sub)")
    return claims


def _signed_claims(
    provider: Provider, endpoints: UpstreamEndpoints, id_token: str, failed: Failure
) -> dict[str, Any]:
    try:
        header = unverified_header(id_token)
    except TokenVerificationError:
        raise failed("id_token", "the upstream's ID token is not a signed JWT") from None
    if header.get("alg") not in ALGORITHMS:
        raise failed("id_token", f"the ID token must be signed with {' or '.join(ALGORITHMS)}")
    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    try:
        keys = provider.issuer_keys.keys_for(
            endpoints.issuer, jwks_uri=endpoints.jwks_uri, discovery_url=None, kid=kid
        )
        _header, claims = verify_jwt(id_token, keys, algorithms=ALGORITHMS)
    except JwksFetchError as exc:
        raise failed("id_token", f"the upstream's keys could not be had: {exc}") from None
    except TokenVerificationError:
        raise failed("id_token", "the ID token's signature is not valid") from None
    return claims


def _check_times(now: int, claims: Mapping[str, Any], failed: Failure) -> None:
    exp, iat = numeric_date(claims.get("exp")), numeric_date(claims.get("iat"))
    if exp is None or iat is None:
        raise failed("id_token", "the ID token must carry exp and iat (NumericDates)")
    if exp <= now - LEEWAY:
        raise failed("expired", "the ID token has expired")
    if iat > now + LEEWAY:
        raise failed("expired", "the ID token was issued in the future (iat)")
