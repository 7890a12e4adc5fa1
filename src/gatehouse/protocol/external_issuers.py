"""Tokens from trusted external issuers (storage/trusted_issuers.py): the one check both of
their uses call, the JWT bearer grant (RFC 7523 §2.1, protocol/grants/jwt_bearer.py) and the
exchange of an external token for a local one (RFC 8693).

``verify_external_token`` takes the token as presented and returns who it is about, or
raises ``ExternalTokenRejected``. The rules, in order (RFC 7523 §3, RFC 8725):

1. ``iss`` names an issuer an operator trusts, exactly (no normalisation): the issuer is
   looked up by it, and its keys alone can verify the token.
2. ``alg`` is one of the asymmetric algorithms gatehouse verifies (RS256, ES256); never an
   HMAC (a public key must never become an HMAC secret, RFC 8725 §2.1) and never ``none``.
3. The signature verifies with one of the issuer's published keys (its jwks_uri, or the one
   its discovery document names); a ``kid`` it does not publish is refused as such.
4. ``aud`` contains the expected audience: the one configured for the issuer, else
   gatehouse's own identity, its token endpoint URL or its issuer URL (RFC 7523 §3 item 3:
   "the authorization server MUST reject any JWT that does not contain its own identity as
   the intended audience"). A workload asks its issuer for a token with that audience;
   GitHub Actions, for one, lets the job choose it.
5. ``exp`` is present and not past; ``nbf`` and ``iat``, when present, not in the future;
   LEEWAY seconds of clock difference allowed either way.
6. The issuer's subject claim holds a non-empty string: the subject.

No ``jti`` replay rule (RFC 7523 §3 item 7 makes it a MAY): workload tokens are made to be
presented more than once in their short life (a Kubernetes projected token is reread from
its file for an hour, a CI job calls several times with one token), and several issuers
(Google's among them) put no jti in them. Their expiry bounds their use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gatehouse.keys.jose import (
    TokenVerificationError,
    numeric_date,
    unverified_claims,
    unverified_header,
    verify_jwt,
)
from gatehouse.keys.remote import JwksFetchError
from gatehouse.protocol.provider import Provider
from gatehouse.settings import SIGNING_ALGS
from gatehouse.storage.trusted_issuers import TrustedIssuer

# What keys/jose.py verify_jwt accepts: asymmetric only.
ALGORITHMS = SIGNING_ALGS
LEEWAY = 60
MAX_SUBJECT_LENGTH = 1024


class ExternalTokenRejected(Exception):
    """The token is not accepted. ``description`` is safe to send to the client;
    ``reason`` is a short code for the audit log (malformed, untrusted_issuer, algorithm,
    keys_unavailable, unknown_key, signature, audience, expired, not_yet_valid,
    issued_in_future, subject_missing; the JWT bearer grant adds client_not_allowed and
    subject_not_allowed)."""

    def __init__(self, reason: str, description: str, issuer: str | None = None) -> None:
        super().__init__(description)
        self.reason = reason
        self.description = description
        self.issuer = issuer


@dataclass(frozen=True)
class ExternalSubject:
    """Who a verified external token is about: the trusted issuer's record, the value of
    its subject claim, and every claim of the token."""

    issuer: TrustedIssuer
    subject: str
    claims: Mapping[str, Any]


def gatehouse_audiences(provider: Provider) -> tuple[str, ...]:
    """gatehouse's own identity as an audience (RFC 7523 §3 item 3): its token endpoint URL
    or its issuer URL."""
    issuer = provider.config.issuer
    return (f"{issuer}/token", issuer)


def verify_external_token(
    provider: Provider, token: str, *, audience: str | None = None
) -> ExternalSubject:
    """The subject of ``token`` if a trusted issuer signed it for us (the module docstring).
    ``audience``: the value ``aud`` must contain, instead of the issuer's configured audience
    (or, with none configured, gatehouse's own identity)."""
    trusted = _trusted_issuer(provider, token)
    claims = _verified_claims(provider, trusted, token)
    _check_audience(provider, trusted, claims, audience)
    _check_times(provider.clock(), trusted, claims)
    subject = claims.get(trusted.subject_claim)
    if not isinstance(subject, str) or not 0 < len(subject) <= MAX_SUBJECT_LENGTH:
        raise _rejected(
            trusted,
            "subject_missing",
            f"the token has no {trusted.subject_claim} claim holding a string of at most "
            f"{MAX_SUBJECT_LENGTH} characters (the subject claim configured for its issuer)",
        )
    return ExternalSubject(trusted, subject, claims)


def _rejected(trusted: TrustedIssuer, reason: str, description: str) -> ExternalTokenRejected:
    return ExternalTokenRejected(reason, description, trusted.issuer)


def _trusted_issuer(provider: Provider, token: str) -> TrustedIssuer:
    """RFC 7523 §3 item 1: the issuer, read before verification only to know whose keys
    verify the token."""
    try:
        iss = unverified_claims(token).get("iss")
    except TokenVerificationError:
        raise ExternalTokenRejected("malformed", "the assertion is not a signed JWT") from None
    if not isinstance(iss, str) or not iss:
        raise ExternalTokenRejected("malformed", "the token has no iss claim")
    trusted = provider.trusted_issuers.get(iss)
    if trusted is None:
        raise ExternalTokenRejected(
            "untrusted_issuer",
            f"tokens issued by {iss[:200]!r} are not accepted: it is not a trusted issuer "
            "(an operator trusts one with `gatehouse issuer trust`)",
        )
    return trusted


def _verified_claims(provider: Provider, trusted: TrustedIssuer, token: str) -> dict[str, Any]:
    """RFC 8725 §3.1: the algorithm is pinned, never taken from the token."""
    header = unverified_header(token)  # readable: unverified_claims read the same JWS
    if header.get("alg") not in ALGORITHMS:
        raise _rejected(
            trusted,
            "algorithm",
            f"the token must be signed with one of {', '.join(ALGORITHMS)} (never an HMAC "
            "algorithm or none)",
        )
    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    try:
        keys = provider.issuer_keys.keys_for(
            trusted.issuer, jwks_uri=trusted.jwks_uri, discovery_url=trusted.discovery_url, kid=kid
        )
    except JwksFetchError as exc:
        raise _rejected(
            trusted, "keys_unavailable", f"the issuer's keys could not be had: {exc}"
        ) from None
    if kid is not None and kid not in {key.kid for key in keys.keys}:
        raise _rejected(
            trusted, "unknown_key", f"the issuer publishes no key with kid {kid[:100]!r}"
        )
    try:
        _header, claims = verify_jwt(token, keys, algorithms=ALGORITHMS)
    except TokenVerificationError:
        raise _rejected(
            trusted, "signature", "the token's signature is not valid for the issuer's keys"
        ) from None
    return claims


def _check_audience(
    provider: Provider, trusted: TrustedIssuer, claims: Mapping[str, Any], audience: str | None
) -> None:
    """RFC 7523 §3 item 3; RFC 7519 §4.1.3: aud is a string or an array of strings."""
    if audience is not None:
        expected: tuple[str, ...] = (audience,)
    elif trusted.audience is not None:
        expected = (trusted.audience,)
    else:
        expected = gatehouse_audiences(provider)
    aud = claims.get("aud")
    values = aud if isinstance(aud, list) else [aud]
    if not any(isinstance(v, str) and v in expected for v in values):
        raise _rejected(
            trusted, "audience", f"the token's aud must contain {' or '.join(expected)}"
        )


def _check_times(now: int, trusted: TrustedIssuer, claims: Mapping[str, Any]) -> None:
    """RFC 7523 §3 items 4-6: exp required; nbf and iat optional; NumericDates (RFC 7519 §2)."""
    dates: dict[str, int | float] = {}
    for name in ("exp", "nbf", "iat"):
        if name not in claims:
            continue
        value = numeric_date(claims[name])
        if value is None:
            raise _rejected(
                trusted, "malformed", f"{name} must be a NumericDate: a number of seconds"
            )
        dates[name] = value
    if "exp" not in dates:
        raise _rejected(trusted, "malformed", "the token has no exp claim")
    if dates["exp"] <= now - LEEWAY:
        raise _rejected(trusted, "expired", "the token has expired")
    if dates.get("nbf", now) > now + LEEWAY:
        raise _rejected(trusted, "not_yet_valid", "the token is not valid yet (nbf)")
    if dates.get("iat", now) > now + LEEWAY:
        raise _rejected(trusted, "issued_in_future", "the token's iat is in the future")
