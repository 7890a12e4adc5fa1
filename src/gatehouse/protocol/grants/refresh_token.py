"""The refresh token grant (RFC 6749 §6, RFC 9700 §4.14).

Rotation on every use (per-client switch, on by default); presenting a rotated token again
is taken as theft and revokes the whole family (RFC 9700 §4.14.2) — unless it comes within
the retry window after the rotation and the successor was never used: then the client lost
the response, and the successor it never saw is replaced by a new one. A token tied to an SSO
session dies with it; an offline token (offline_access) lives on its own idle and absolute
lifetimes. Disabling the user, changing the password or revoking consent revoke the tokens
when they happen; the checks here also refuse a token whose user is gone or disabled.
"""

from __future__ import annotations

import uuid

from gatehouse.crypto import sha256_digest
from gatehouse.errors import InvalidGrant, InvalidScope
from gatehouse.protocol.issuance import (
    RotationLost,
    UserGrant,
    access_token_lifetime,
    issue_user_tokens,
    user_audience,
)
from gatehouse.protocol.liveness import (
    INVALID_REFRESH_TOKEN,
    RefreshTokenReused,
    live_refresh_token,
)
from gatehouse.protocol.messages import Parameters, split_scope
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.token_response import TokenResponse
from gatehouse.storage.records import Client, RefreshToken, User


class RefreshTokenGrant:
    grant_type = "refresh_token"

    def handle(
        self, provider: Provider, client: Client, params: Parameters, *, address: str | None = None
    ) -> TokenResponse:
        token, user = _live_token(provider, client, params.require("refresh_token"))
        now = provider.clock()
        scopes = _narrowed_scopes(token, params.get("scope"))
        grant = UserGrant.of(client, user, token)
        # RFC 8707 §2.2: an unusable resource fails before the token is spent.
        audience = user_audience(
            provider, grant, scopes if scopes is not None else grant.scopes, params.all("resource")
        )
        if token.sid is not None:
            provider.sessions.touch_sid(token.sid, now)
        if not client.refresh_token_rotation:
            # No new refresh token: the client keeps the one it has, whose idle expiry moves.
            # The access token is recorded first, so a family revoked from now on covers it.
            jti = uuid.uuid4().hex
            provider.refresh_tokens.extend_idle(
                token.token_hash,
                now + provider.config.refresh_token_idle_lifetime,
                token.grant_id,
                jti,
                now + access_token_lifetime(provider, audience),
            )
            return issue_user_tokens(
                provider, grant, jti=jti, audience=audience, scopes=scopes, refresh_token=False
            )
        try:
            # The presented token is marked used and its successor stored in one step; for a
            # retry (a used token let through by _live_token), its lost successor is replaced.
            return issue_user_tokens(
                provider,
                grant,
                audience=audience,
                scopes=scopes,
                refresh_expires_at=token.expires_at,
                rotates=token.token_hash,
                replaces_lost=token.successor_hash if token.used_at is not None else None,
            )
        except RotationLost:
            # Another request used the same token first, or (a retry) the successor the
            # client was thought to have lost has been used: that is reuse too.
            _revoke_family(provider, token, now)
            if token.used_at is not None:
                raise RefreshTokenReused(token) from None
            raise InvalidGrant(
                INVALID_REFRESH_TOKEN, detail="refresh token reuse (concurrent)"
            ) from None


def _live_token(provider: Provider, client: Client, value: str) -> tuple[RefreshToken, User]:
    """The refresh token's liveness rule; a rotated token shown again revokes its family;
    a token bound to a DPoP key needs a proof with that key."""
    state = provider.refresh_tokens.get_state(sha256_digest(value))
    if state is not None and state.token.client_id == client.client_id:
        # Before reuse detection: a stolen bound token shown without its key revokes nothing.
        _proof_key_matches(provider, state.token)
    window = provider.config.refresh_token_retry_window if client.refresh_token_rotation else 0
    try:
        return live_refresh_token(provider, client, state, retry_window=window)
    except RefreshTokenReused as reused:
        _revoke_family(provider, reused.token, provider.clock())
        raise


def _proof_key_matches(provider: Provider, token: RefreshToken) -> None:
    """RFC 9449 §5: a refresh token bound to a DPoP key is used only with a proof made with
    that key (the request's proof was checked before the grant ran)."""
    if token.dpop_jkt is None:
        return
    if provider.token_binding is None:
        raise InvalidGrant(
            "this refresh token is bound to a DPoP key: send a DPoP proof made with that key"
        )
    if provider.token_binding != token.dpop_jkt:
        raise InvalidGrant(
            "the DPoP proof is made with another key than the one this refresh token is bound to"
        )


def _narrowed_scopes(token: RefreshToken, requested: str | None) -> tuple[str, ...] | None:
    """RFC 6749 §6: the scope may only narrow what the grant has."""
    if requested is None:
        return None
    asked = split_scope(requested)
    if not asked:
        # RFC 6749 §3.3: a scope is one or more scope tokens; an empty one is not "nothing".
        raise InvalidScope(
            "scope is empty; leave it out to keep the refresh token's scope, or name the scopes "
            "to narrow to"
        )
    granted = set(token.scopes)
    extra = [s for s in asked if s not in granted and not _matches_bare(s, granted)]
    if extra:
        raise InvalidScope(
            f"the refresh token does not cover {' '.join(extra)}; a refresh can only narrow scope"
        )
    return tuple(s for s in token.scopes if s in asked or s.rsplit("/", 1)[-1] in asked)


def _matches_bare(scope: str, granted: set[str]) -> bool:
    return any(g.endswith("/" + scope) for g in granted)


def _revoke_family(provider: Provider, token: RefreshToken, now: int) -> None:
    provider.revocations.revoke_grant(token.grant_id, "refresh_token_reuse", now)
