"""The UserInfo endpoint (OIDC Core §5.3): claims about the user, by granted scope."""

from __future__ import annotations

from typing import Any

from gatehouse.errors import InsufficientScope, InvalidToken
from gatehouse.protocol.claims import user_claims
from gatehouse.protocol.provider import Provider
from gatehouse.tokens.access_token import validate_access_token


def userinfo(provider: Provider, token: str) -> dict[str, Any]:
    config = provider.config
    claims = validate_access_token(
        token,
        provider.keys.keyring(),
        issuer=config.issuer,
        audience=config.default_audience,
        now=provider.clock(),
    )
    if provider.revocations.is_access_token_denied(claims["jti"]):
        raise InvalidToken("the access token has been revoked")
    scopes = str(claims.get("scope", "")).split()
    if "openid" not in scopes:
        raise InsufficientScope("the access token lacks the openid scope that UserInfo requires")
    user = provider.users.get(claims["sub"])
    if user is None or user.disabled:
        raise InvalidToken("the user of this access token is disabled or deleted")
    return {"sub": user.id, **user_claims(user, scopes)}
