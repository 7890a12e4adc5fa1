"""Token introspection (RFC 7662), for confidential clients and the APIs that receive tokens.

A caller sees a token only when it is the client the token was issued to, or the client an
API authenticates as and the token is for that API. Everyone else, and every expired,
revoked, unknown or malformed token, gets ``{"active": false}`` and nothing more
(RFC 7662 §2.2, §4).
"""

from __future__ import annotations

from typing import Any

from gatehouse.crypto import sha256_digest
from gatehouse.errors import InvalidClient, InvalidToken
from gatehouse.protocol.client_auth import authenticate_client
from gatehouse.protocol.issuance import user_cannot_receive_tokens
from gatehouse.protocol.messages import Parameters
from gatehouse.protocol.provider import Provider
from gatehouse.storage.records import Client
from gatehouse.tokens.access_token import validate_access_token

INACTIVE: dict[str, Any] = {"active": False}


def introspect(provider: Provider, params: Parameters, authorization: str | None) -> dict[str, Any]:
    caller = authenticate_client(provider, params, authorization)
    if caller.is_public:
        raise InvalidClient(
            "introspection is for confidential clients and APIs, not public clients"
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
    """A JWT access token: signed by gatehouse, for any audience, not expired, not revoked."""
    if token.count(".") != 2:
        return None
    config = provider.config
    try:
        claims = validate_access_token(
            token,
            provider.keys.keyring(),
            issuer=config.issuer,
            audience=None,
            now=provider.clock(),
        )
    except InvalidToken:
        return INACTIVE
    aud = claims.get("aud")
    audiences = [a for a in (aud if isinstance(aud, list) else [aud]) if isinstance(a, str)]
    if not _may_see(provider, caller, str(claims.get("client_id")), audiences):
        return INACTIVE
    if provider.revocations.is_access_token_denied(claims["jti"]):
        return INACTIVE
    if claims["sub"] != claims.get("client_id"):
        user = provider.users.get(claims["sub"])
        if user is None or user.disabled:
            return INACTIVE
    elif provider.clients.get(claims["sub"]) is None:
        return INACTIVE
    result: dict[str, Any] = {"active": True, "token_type": "Bearer"}
    for claim in (
        "scope",
        "client_id",
        "sub",
        "aud",
        "iss",
        "exp",
        "iat",
        "jti",
        "roles",
        "sid",
        "auth_time",
    ):
        if claim in claims:
            result[claim] = claims[claim]
    return result


def _refresh_token(provider: Provider, caller: Client, token: str) -> dict[str, Any] | None:
    state = provider.refresh_tokens.get_state(sha256_digest(token))
    if state is None:
        return None
    record, user = state.token, state.user
    now = provider.clock()
    alive = (
        record.client_id == caller.client_id
        and record.revoked_at is None
        and record.used_at is None
        and record.expires_at > now
        and record.idle_expires_at > now
        and not state.family_revoked
        and user_cannot_receive_tokens(user, record.auth_time) is None
        and (
            record.sid is None
            or provider.sessions.active_by_sid(
                record.sid, now, provider.config.session_idle_lifetime
            )
        )
    )
    if not alive or user is None:
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
