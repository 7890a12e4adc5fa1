"""Token revocation (RFC 7009).

A refresh token revokes its whole family (every token of that grant); a JWT access token
goes on the deny-list until it would have expired, which UserInfo and introspection check.
Tokens of other clients, unknown and already invalid tokens are answered 200 all the same
(RFC 7009 §2.2): the answer reveals nothing.
"""

from __future__ import annotations

from gatehouse.crypto import sha256_digest
from gatehouse.errors import InvalidToken
from gatehouse.protocol.client_auth import authenticate_client
from gatehouse.protocol.liveness import live_access_token
from gatehouse.protocol.messages import Parameters
from gatehouse.protocol.provider import Provider
from gatehouse.storage.records import Client


def revoke(
    provider: Provider, params: Parameters, authorization: str | None, address: str | None = None
) -> None:
    client = authenticate_client(provider, params, authorization, address)
    token = params.require("token")
    if params.get("token_type_hint") == "access_token":
        _revoke_access_token(provider, client, token) or _revoke_refresh_token(
            provider, client, token
        )
    else:
        _revoke_refresh_token(provider, client, token) or _revoke_access_token(
            provider, client, token
        )


def _revoke_refresh_token(provider: Provider, client: Client, token: str) -> bool:
    record = provider.refresh_tokens.get(sha256_digest(token))
    if record is None:
        return False
    if record.client_id == client.client_id:
        provider.revocations.revoke_grant(record.grant_id, "revoked_by_client", provider.clock())
    return True


def _revoke_access_token(provider: Provider, client: Client, token: str) -> bool:
    if token.count(".") != 2:
        return False
    try:
        claims = live_access_token(provider, token, audience=None).claims
    except InvalidToken:
        return False  # already of no use: nothing to revoke (RFC 7009 §2.2)
    if claims.get("client_id") == client.client_id:
        provider.revocations.deny_access_token(claims["jti"], int(claims["exp"]))
    return True
