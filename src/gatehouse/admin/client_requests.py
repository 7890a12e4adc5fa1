"""The registration rules of how a client sends authorization requests: pushed (RFC 9126
§6 require_pushed_authorization_requests) and signed (RFC 9101 §10.5
request_object_signing_alg). Steps of ``client_spec.validated_client``."""

from __future__ import annotations

from typing import Any

from gatehouse.admin.errors import AdminError
from gatehouse.protocol.request_object import HMAC_ALGS, REQUEST_OBJECT_ALGS
from gatehouse.settings import SIGNING_ALGS


def request_object_alg(chosen: str | None, auth_method: str) -> str | None:
    """The one algorithm the client's request objects must be signed with ("" clears it).
    An HMAC needs the secret itself, which gatehouse keeps (encrypted) only for
    client_secret_jwt clients; every other secret is stored only as a SHA-256 digest."""
    if not chosen:
        return None
    if chosen not in REQUEST_OBJECT_ALGS:
        raise AdminError(
            f"request_object_signing_alg must be one of {', '.join(REQUEST_OBJECT_ALGS)}"
        )
    if chosen in HMAC_ALGS and auth_method != "client_secret_jwt":
        raise AdminError(
            f"{chosen} request objects are keyed with the client secret, which gatehouse keeps "
            "only for auth_method client_secret_jwt (every other secret is stored as a hash); "
            "use RS256 or ES256 with the client's jwks or jwks_uri"
        )
    return chosen


def signs_with_public_keys(alg: str | None) -> bool:
    """Whether the client's request objects are verified with its registered public keys."""
    return alg in SIGNING_ALGS


def check_request_keys(alg: str | None, jwks: dict[str, Any] | None, jwks_uri: str | None) -> None:
    if signs_with_public_keys(alg) and jwks is None and jwks_uri is None:
        raise AdminError(
            f"{alg} request objects are verified with the client's public keys: give jwks "
            "(a JWK Set) or jwks_uri"
        )


def require_par(value: Any, grant_types: tuple[str, ...]) -> bool:
    """RFC 9126 §6: the client may start a sign-in only through /par."""
    if not isinstance(value, bool):
        raise AdminError("require_pushed_authorization_requests must be true or false")
    if value and "authorization_code" not in grant_types:
        raise AdminError(
            "require_pushed_authorization_requests is for clients of the authorization code "
            "flow (pushed requests start a sign-in)"
        )
    return value
