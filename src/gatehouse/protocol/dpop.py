"""DPoP proofs (RFC 9449 §4): the checks of §4.3, in its order, as small named steps.

The token endpoint binds the tokens it issues to the key of a valid proof (§5, §6);
UserInfo checks that a DPoP-bound access token comes with a proof made with its key (§7).
A proof is good once: its ``jti`` is remembered in the database until the proof would be
too old anyway (§11.1), so a replay fails on the INSERT whichever server sees it.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

from gatehouse.crypto import base64url_sha256, sha256_digest
from gatehouse.errors import InvalidDPoPProof, UseDPoPNonce
from gatehouse.keys.jose import (
    PROOF_ALGS,
    TokenVerificationError,
    numeric_date,
    unverified_proof_header,
    verify_with_embedded_key,
)
from gatehouse.protocol import dpop_nonce
from gatehouse.protocol.provider import Provider

TYP: Final = "dpop+jwt"
#: The algorithms gatehouse accepts proofs in (discovery: dpop_signing_alg_values_supported).
ALGS: Final = tuple(PROOF_ALGS)
# RFC 7518 §6.2.2, §6.3.2, RFC 8037 §2: the members only a private (or symmetric) JWK has.
_PRIVATE_MEMBERS: Final = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "r", "t", "k"})
_MAX_PROOF_LENGTH: Final = 8 * 1024
_MAX_JTI_LENGTH: Final = 256


@dataclass(frozen=True)
class ProofRequest:
    """What a proof must have been made for: the request's DPoP header values (every one
    of them), its method and the public URI of the endpoint; at a protected resource, the
    access token it presents (§4.3 ath)."""

    proofs: tuple[str, ...]
    method: str
    uri: str
    access_token: str | None = None


@dataclass(frozen=True)
class Proof:
    """A proof that passed every check: the RFC 7638 thumbprint of its key."""

    jkt: str


@dataclass(frozen=True)
class _Candidate:
    request: ProofRequest
    claims: Mapping[str, Any]
    jkt: str
    now: int


def verify_proof(provider: Provider, request: ProofRequest) -> Proof | None:
    """The request's proof, checked; None when it carries none. Raises InvalidDPoPProof,
    or UseDPoPNonce when a nonce is missing or stale (§8)."""
    if not request.proofs:
        return None
    token = _one_proof(request.proofs)
    header = _header(token)
    for header_step in HEADER_STEPS:
        header_step(header)
    claims, jkt = _signature(token, header)
    candidate = _Candidate(request, claims, jkt, provider.clock())
    for step in CLAIM_STEPS:
        step(provider, candidate)
    return Proof(jkt)


def _one_proof(values: tuple[str, ...]) -> str:
    """§4.3 steps 1-2: exactly one DPoP header, holding one JWT."""
    if len(values) > 1:
        raise InvalidDPoPProof("send one DPoP header; this request has several")
    token = values[0].strip()
    if not token or len(token) > _MAX_PROOF_LENGTH or token.count(".") != 2:
        raise InvalidDPoPProof("the DPoP header is not a JWT (three dot-separated parts)")
    return token


def _header(token: str) -> dict[str, Any]:
    try:
        return unverified_proof_header(token)
    except TokenVerificationError:
        raise InvalidDPoPProof("the DPoP proof is not a well-formed JWS") from None


def typ_is_dpop_jwt(header: Mapping[str, Any]) -> None:
    """§4.3 step 4: typ is dpop+jwt, so no other JWT passes for a proof."""
    if header.get("typ") != TYP:
        raise InvalidDPoPProof("the DPoP proof's typ header must be dpop+jwt")


def alg_is_allowed(header: Mapping[str, Any]) -> None:
    """§4.3 step 5: an asymmetric algorithm gatehouse supports; never none, never a MAC."""
    alg = header.get("alg")
    if alg not in ALGS:
        shown = alg if isinstance(alg, str) and len(alg) <= 20 else "?"
        raise InvalidDPoPProof(
            f"the DPoP proof's alg {shown} is not accepted; use one of {', '.join(ALGS)}"
        )


def jwk_is_public(header: Mapping[str, Any]) -> None:
    """§4.2, §4.3 step 7: jwk is a public key; a private one means the client leaked it."""
    jwk = header.get("jwk")
    if not isinstance(jwk, dict):
        raise InvalidDPoPProof("the DPoP proof has no jwk header with the public key")
    if _PRIVATE_MEMBERS & jwk.keys():
        raise InvalidDPoPProof(
            "the DPoP proof's jwk holds a private key: send only the public key (and make a "
            "new key pair, this one is exposed)"
        )


HEADER_STEPS: Final[tuple[Callable[[Mapping[str, Any]], None], ...]] = (
    typ_is_dpop_jwt,
    alg_is_allowed,
    jwk_is_public,
)


def _signature(token: str, header: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """§4.3 step 6: the signature verifies with the jwk of the header."""
    try:
        return verify_with_embedded_key(token, header["jwk"], algorithms=ALGS)
    except TokenVerificationError as exc:
        raise InvalidDPoPProof(f"the DPoP proof's signature is not valid: {exc}") from None


def claims_are_present(provider: Provider, proof: _Candidate) -> None:
    """§4.2, §4.3 step 3: jti, htm, htu and iat, of the right types."""
    claims = proof.claims
    for name in ("jti", "htm", "htu"):
        if not isinstance(claims.get(name), str) or not claims[name]:
            raise InvalidDPoPProof(f"the DPoP proof lacks the {name} claim")
    if len(claims["jti"]) > _MAX_JTI_LENGTH:
        raise InvalidDPoPProof(f"the DPoP proof's jti is longer than {_MAX_JTI_LENGTH} characters")
    if numeric_date(claims.get("iat")) is None:
        raise InvalidDPoPProof("the DPoP proof lacks the iat claim (a number of seconds)")


def htm_matches(provider: Provider, proof: _Candidate) -> None:
    """§4.3 step 8: htm is the request's method."""
    if proof.claims["htm"] != proof.request.method:
        raise InvalidDPoPProof(
            f"the DPoP proof is for another method (htm must be {proof.request.method})"
        )


def htu_matches(provider: Provider, proof: _Candidate) -> None:
    """§4.3 step 9: htu is the request's URI, without query and fragment, after RFC 3986
    §6.2.2-6.2.3 normalisation."""
    if normalized_uri(proof.claims["htu"]) != normalized_uri(proof.request.uri):
        raise InvalidDPoPProof(
            f"the DPoP proof is for another URI (htu must be {proof.request.uri})"
        )


def nonce_is_fresh(provider: Provider, proof: _Candidate) -> None:
    """§4.3 step 10, §8: a nonce, when sent or required, is one gatehouse issued lately."""
    config = provider.config
    nonce = proof.claims.get("nonce")
    if nonce is None and not config.dpop_nonce_required:
        return
    fresh = dpop_nonce.current_nonce(config.dpop_nonce_key, proof.now)
    if nonce is None:
        raise UseDPoPNonce("a DPoP proof must carry the nonce of the DPoP-Nonce header", fresh)
    if not isinstance(nonce, str) or not dpop_nonce.nonce_is_current(
        config.dpop_nonce_key, nonce, proof.now
    ):
        raise UseDPoPNonce(
            "the DPoP proof's nonce has expired or is not one gatehouse issued: use the one "
            "of the DPoP-Nonce header",
            fresh,
        )


def iat_is_recent(provider: Provider, proof: _Candidate) -> None:
    """§4.3 step 11: the proof was made within the accepted window around now."""
    iat = numeric_date(proof.claims["iat"])
    config = provider.config
    if iat is None or iat < proof.now - config.dpop_proof_max_age:
        raise InvalidDPoPProof(
            f"the DPoP proof is too old (iat more than {config.dpop_proof_max_age} seconds "
            "ago): make a new proof for each request"
        )
    if iat > proof.now + config.dpop_clock_skew:
        raise InvalidDPoPProof("the DPoP proof's iat is in the future: check the client's clock")


def ath_matches(provider: Provider, proof: _Candidate) -> None:
    """§4.3 step 12, §7.1: with an access token, ath is the hash of that token."""
    token = proof.request.access_token
    if token is None:
        return
    ath = proof.claims.get("ath")
    if not isinstance(ath, str):
        raise InvalidDPoPProof("the DPoP proof lacks ath, the hash of the access token it is for")
    if ath != base64url_sha256(token):
        raise InvalidDPoPProof("the DPoP proof was made for another access token (ath)")


def jti_is_unused(provider: Provider, proof: _Candidate) -> None:
    """§11.1: a proof is used once. Checked last, so a proof refused for another reason
    is not spent; scoped by key, so no client can spend another's jti."""
    iat = numeric_date(proof.claims["iat"]) or proof.now
    until = int(iat) + provider.config.dpop_proof_max_age + 1
    jti_hash = sha256_digest(json.dumps([proof.jkt, proof.claims["jti"]]))
    if not provider.dpop_proofs.record(jti_hash, until):
        raise InvalidDPoPProof("this DPoP proof was already used: make a new proof per request")


CLAIM_STEPS: Final[tuple[Callable[[Provider, _Candidate], None], ...]] = (
    claims_are_present,
    htm_matches,
    htu_matches,
    nonce_is_fresh,
    iat_is_recent,
    ath_matches,
    jti_is_unused,
)


def normalized_uri(uri: str) -> str:
    """RFC 3986 §6.2.2 (case, percent-encoding, dot segments) and §6.2.3 (default port,
    empty path) normalisation, without query and fragment (RFC 9449 §4.3 step 9). A value
    that is no absolute http(s) URI is returned as it is (and matches nothing)."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return uri
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return uri
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        host = f"{host}:{port}"
    path = _PERCENT_ENCODED.sub(_normalized_escape, _without_dot_segments(parts.path)) or "/"
    return urlunsplit((scheme, host, path, "", ""))


_PERCENT_ENCODED: Final = re.compile(r"%[0-9A-Fa-f]{2}")
_UNRESERVED: Final = frozenset(string.ascii_letters + string.digits + "-._~")


def _normalized_escape(match: re.Match[str]) -> str:
    """RFC 3986 §6.2.2.1-2: upper-case hex digits; an unreserved character decoded."""
    char = chr(int(match.group()[1:], 16))
    return char if char in _UNRESERVED else match.group().upper()


def _without_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4."""
    output: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            if output:
                output.pop()
        elif segment != ".":
            output.append(segment)
    trailing = "/" if path.endswith(("/.", "/..")) else ""
    return "/" + "/".join(output) + trailing if path.startswith("/") else path


def response_nonce(provider: Provider) -> str | None:
    """§8.2: the nonce to send in the DPoP-Nonce header of a successful DPoP response,
    when gatehouse requires nonces."""
    config = provider.config
    if not config.dpop_nonce_required:
        return None
    return dpop_nonce.current_nonce(config.dpop_nonce_key, provider.clock())
