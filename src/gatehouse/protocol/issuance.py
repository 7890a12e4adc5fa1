"""The token response every grant returns (RFC 6749 §5.1, OIDC Core §3.1.3.3)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from gatehouse.crypto import random_token, sha256_digest
from gatehouse.protocol.claims import user_claims
from gatehouse.protocol.provider import Provider
from gatehouse.storage.records import Client, RefreshToken, User
from gatehouse.tokens.access_token import mint_access_token
from gatehouse.tokens.id_token import mint_id_token


@dataclass(frozen=True)
class TokenResponse:
    access_token: str
    expires_in: int
    scope: str
    id_token: str | None = None
    refresh_token: str | None = None
    token_type: str = "Bearer"

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "access_token": self.access_token,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
            "scope": self.scope,
        }
        if self.id_token is not None:
            body["id_token"] = self.id_token
        if self.refresh_token is not None:
            body["refresh_token"] = self.refresh_token
        return body


@dataclass(frozen=True)
class UserGrant:
    """Who and what a user-delegated grant is for."""

    client: Client
    user: User
    scopes: tuple[str, ...]
    grant_id: str
    auth_time: int
    sid: str | None
    amr: tuple[str, ...]
    acr: str | None
    nonce: str | None = None


def issue_user_tokens(
    provider: Provider, grant: UserGrant, *, jti: str | None = None
) -> TokenResponse:
    """Access token for the resource; ID token when openid was granted; an offline refresh
    token when offline_access was granted."""
    config = provider.config
    keyring = provider.keys.keyring()
    now = provider.clock()
    access = mint_access_token(
        keyring,
        alg=config.access_token_signing_alg,
        issuer=config.issuer,
        subject=grant.user.id,
        audience=config.default_audience,
        client_id=grant.client.client_id,
        scopes=grant.scopes,
        now=now,
        lifetime=config.access_token_lifetime,
        auth_time=grant.auth_time,
        sid=grant.sid,
        jti=jti,
    )
    id_token = None
    if "openid" in grant.scopes:
        id_token = mint_id_token(
            keyring,
            alg=grant.client.id_token_signing_alg or config.id_token_signing_alg,
            issuer=config.issuer,
            subject=grant.user.id,
            client_id=grant.client.client_id,
            now=now,
            lifetime=config.id_token_lifetime,
            auth_time=grant.auth_time,
            nonce=grant.nonce,
            sid=grant.sid,
            amr=grant.amr,
            acr=grant.acr,
            access_token=access.value,
            extra_claims=user_claims(grant.user, grant.scopes),
        )
    refresh = None
    if "offline_access" in grant.scopes:
        refresh = _store_refresh_token(provider, grant, now, offline=True)
    return TokenResponse(
        access_token=access.value,
        expires_in=access.expires_in,
        scope=" ".join(grant.scopes),
        id_token=id_token,
        refresh_token=refresh,
    )


def _store_refresh_token(provider: Provider, grant: UserGrant, now: int, *, offline: bool) -> str:
    """Opaque, random, stored only as a hash. Offline tokens outlive the SSO session."""
    value = random_token()
    config = provider.config
    provider.refresh_tokens.create(
        RefreshToken(
            token_hash=sha256_digest(value),
            grant_id=grant.grant_id,
            client_id=grant.client.client_id,
            user_id=grant.user.id,
            sid=None if offline else grant.sid,
            scopes=grant.scopes,
            auth_time=grant.auth_time,
            amr=grant.amr,
            acr=grant.acr,
            created_at=now,
            idle_expires_at=now + config.refresh_token_idle_lifetime,
            expires_at=now + config.refresh_token_absolute_lifetime,
        )
    )
    return value


def new_grant_id() -> str:
    return str(uuid.uuid4())
