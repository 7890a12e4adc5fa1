"""The registration rules of a client's public keys: a JWK Set by value (``jwks``) or by
reference (``jwks_uri``), for private_key_jwt client authentication (RFC 7523 §2.2, OIDC Core
§9) and for signed request objects (RFC 9101). A step of ``client_spec.validated_client``."""

from __future__ import annotations

from typing import Any

from gatehouse.admin.errors import AdminError
from gatehouse.keys.jose import TokenVerificationError, public_keyset
from gatehouse.protocol.redirect_uris import split_uri
from gatehouse.storage.records import Client

# The members of a JWK that are private key material (RFC 7518 §6.2.2, §6.3.2, §6.4.1): a
# registration that holds one has leaked the client's key.
PRIVATE_PARTS = ("d", "p", "q", "dp", "dq", "qi", "k")
# A client's keys as registered: a JWK Set, or the URL of one (never both).
RegisteredKeys = tuple[dict[str, Any] | None, str | None]


def client_keys(
    asked: RegisteredKeys,
    existing: Client | None,
    auth_method: str,
    signs_requests: bool = False,
) -> RegisteredKeys:
    """The client's (jwks, jwks_uri): ``asked`` (the spec's; (None, None) keeps them) over
    ``existing``'s. private_key_jwt needs the client's public keys: a JWK Set by value or a
    jwks_uri; so do request objects signed with RS256 or ES256 (``signs_requests``)."""
    given = asked[0] is not None or asked[1] is not None
    if given:
        jwks, jwks_uri = asked
    elif existing is not None:
        jwks, jwks_uri = existing.jwks, existing.jwks_uri
    else:
        jwks, jwks_uri = None, None
    if auth_method != "private_key_jwt" and not signs_requests:
        if given:
            raise AdminError(
                "jwks and jwks_uri are only for auth_method private_key_jwt or signed request "
                "objects (request_object_signing_alg RS256 or ES256)"
            )
        return None, None
    if jwks_uri is not None:
        if jwks is not None:
            raise AdminError(
                "private_key_jwt needs the client's public keys: jwks (a JWK Set) or jwks_uri, "
                "not both"
            )
        return None, _checked_jwks_uri(jwks_uri)
    if jwks is None:
        if auth_method != "private_key_jwt":
            return None, None  # client_requests.check_request_keys names what is missing
        raise AdminError(
            "private_key_jwt needs the client's public keys: jwks (a JWK Set) or jwks_uri, not both"
        )
    return _checked_jwks(jwks), None


def _checked_jwks_uri(jwks_uri: str) -> str:
    parts = split_uri(jwks_uri)
    if parts is None:
        raise AdminError("jwks_uri must be a well-formed https URL")
    loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise AdminError("jwks_uri must be an https URL")
    return jwks_uri


def _checked_jwks(jwks: dict[str, Any]) -> dict[str, Any]:
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list) or not keys or not all(isinstance(k, dict) for k in keys):
        raise AdminError('jwks must be a JWK Set: {"keys": [ ... ]}')
    if any(part in key for key in keys for part in PRIVATE_PARTS):
        raise AdminError("jwks must hold public keys only; it contains private key material")
    try:
        public_keyset(jwks)
    except TokenVerificationError as exc:
        raise AdminError(f"jwks: {exc}") from None
    return jwks
