"""Token introspection (RFC 7662), for confidential clients and the APIs that receive tokens.

A caller sees a token only when it is the client the token was issued to, or the client an
API authenticates as and the token is for that API. Everyone else, and every expired,
revoked, unknown or malformed token, gets ``{"active": false}`` and nothing more
(RFC 7662 §2.2, §4).
"""

from __future__ import annotations

from typing import Any

from gatehouse.crypto import sha256_digest
from gatehouse.errors import InvalidClient, InvalidGrant, InvalidToken
from gatehouse.protocol.client_auth import authenticate_client
from gatehouse.protocol.dpop_resource import bound_key
from gatehouse.protocol.liveness import live_access_token, live_refresh_token
from gatehouse.protocol.messages import Parameters
from gatehouse.protocol.provider import Provider
from gatehouse.storage.records import Client
from gatehouse.tokens import entra
from gatehouse.tokens.access_token import audiences_of

INACTIVE: dict[str, Any] = {"active": False}


def introspect(
    provider: Provider, params: Parameters, authorization: str | None, address: str | None = None
) -> dict[str, Any]:
    caller = authenticate_client(provider, params, authorization, address)
    if caller.auth_method == "none":
        # A public client, or a workload that authenticates only by its JWT bearer assertion
        # (protocol/grants/jwt_bearer.py): naming a client_id proves nothing here.
        raise InvalidClient(
            "introspection is for confidential clients and APIs that authenticate, not public "
            "clients"
        )
    token = params.require("token")
    hint = params.get("token_type_hint")
    order = (
        (_refresh_token, _access_token)
        if hint == "refresh_token"
        else (_access_token, _refresh_token)
    )
    for lookup in order:
        result = lookup(provider, caller, token)
        if result is not None:
            return result
    return INACTIVE


def _may_see(provider: Provider, caller: Client, client_id: str, audiences: list[str]) -> bool:
    if caller.client_id == client_id:
        return True
    for audience in audiences:
        api = provider.apis.get(audience)
        if api is not None and api.client_id == caller.client_id:
            return True
    return False


def _access_token(provider: Provider, caller: Client, token: str) -> dict[str, Any] | None:
    """A JWT access token: live (liveness.py), for any audience, shown by a caller that may
    see it."""
    if token.count(".") != 2:
        return None
    try:
        claims = live_access_token(provider, token, audience=None).claims
    except InvalidToken:
        return INACTIVE
    if not _may_see(provider, caller, str(claims.get("client_id")), audiences_of(claims)):
        return INACTIVE
    # RFC 9449 §6.2: a DPoP-bound token is of type DPoP and shows the key it is bound to.
    token_type = "DPoP" if bound_key(claims) is not None else "Bearer"
    result: dict[str, Any] = {"active": True, "token_type": token_type}
    for claim in (
        "cnf",
        "scope",
        "client_id",
        "sub",
        "aud",
        "iss",
        "exp",
        "iat",
        "nbf",
        "jti",
        "roles",
        "groups",
        "sid",
        "auth_time",
        *entra.ACCESS_TOKEN_CLAIMS,  # the claims of the API's Entra token profile, if it has it
    ):
        if claim in claims:
            result[claim] = claims[claim]
    return result


def _refresh_token(provider: Provider, caller: Client, token: str) -> dict[str, Any] | None:
    """A refresh token: live (liveness.py) and issued to the caller."""
    state = provider.refresh_tokens.get_state(sha256_digest(token))
    if state is None:
        return None
    try:
        record, user = live_refresh_token(provider, caller, state)
    except InvalidGrant:
        return INACTIVE
    # No token_type: RFC 7662 §2.2 defines it as an access token type of RFC 6749 §7.1
    # ("Bearer"), and a refresh token has none.
    return {
        "active": True,
        "scope": " ".join(record.scopes),
        "client_id": record.client_id,
        "sub": record.user_id,
        "username": user.username,
        "iss": provider.config.issuer,
        "exp": min(record.expires_at, record.idle_expires_at),
        "iat": record.created_at,
    }
