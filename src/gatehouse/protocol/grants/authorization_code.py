"""The authorization code grant at the token endpoint (RFC 6749 §4.1.3, RFC 7636 §4.6)."""

from __future__ import annotations

import uuid

from gatehouse.crypto import sha256_digest
from gatehouse.errors import InvalidGrant
from gatehouse.protocol import pkce
from gatehouse.protocol.issuance import (
    UserGrant,
    access_token_lifetime,
    issue_user_tokens,
    user_audience,
)
from gatehouse.protocol.liveness import user_cannot_receive_tokens
from gatehouse.protocol.messages import Parameters
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.token_response import TokenResponse
from gatehouse.storage.records import AuthorizationCode, AuthorizationCodeState, Client


class AuthorizationCodeGrant:
    grant_type = "authorization_code"

    def handle(
        self, provider: Provider, client: Client, params: Parameters, *, address: str | None = None
    ) -> TokenResponse:
        state = _code_for_client(provider, client, params.require("code"))
        code, user = state.code, state.user
        now = provider.clock()
        if code.used_at is not None:
            _revoke_tokens_issued_from(provider, code)
            raise InvalidGrant(
                "the authorization code was already used; tokens issued from it have been revoked"
            )
        if code.expires_at <= now:
            raise InvalidGrant("the authorization code has expired; start the sign-in again")
        _redirect_uri_matches(code, params.get("redirect_uri"))
        pkce.verify(code.code_challenge, params.get("code_verifier"))
        if state.grant_revoked:
            raise InvalidGrant(
                "the authorization behind this code was revoked before it was redeemed (the "
                "user's password was changed, the user disabled or the consent withdrawn); "
                "sign the user in again"
            )
        refused = user_cannot_receive_tokens(user, code.auth_time)
        if refused is not None or user is None:
            raise InvalidGrant(f"this authorization code can no longer be redeemed: {refused}")

        grant = UserGrant.of(client, user, code)
        # RFC 8707 §2.2: an unusable resource fails before the code is spent.
        audience = user_audience(provider, grant, grant.scopes, params.all("resource"))
        jti = uuid.uuid4().hex
        expires_at = now + access_token_lifetime(provider, audience)
        # RFC 6749 §4.1.2: one-time, decided by one conditional UPDATE that also records the
        # access token's jti, so a losing concurrent redemption can revoke it.
        if not provider.codes.consume(code.code_hash, now, jti, expires_at):
            replayed = provider.codes.get(code.code_hash)
            if replayed is not None:
                _revoke_tokens_issued_from(provider, replayed)
            raise InvalidGrant(
                "the authorization code was already used; tokens issued from it have been revoked"
            )
        return issue_user_tokens(provider, grant, jti=jti, audience=audience)


def _code_for_client(provider: Provider, client: Client, value: str) -> AuthorizationCodeState:
    """RFC 6749 §4.1.3: the code must exist and have been issued to this client. A code shown
    by another client is not consumed, so it cannot be used to burn a victim's code. Its user
    and whether its grant was revoked are read with it (one round trip); they are checked
    after PKCE."""
    state = provider.codes.get_state(sha256_digest(value))
    if state is None:
        raise InvalidGrant("the authorization code is not valid")
    if state.code.client_id != client.client_id:
        raise InvalidGrant("the authorization code was issued to another client")
    return state


def _redirect_uri_matches(code: AuthorizationCode, given: str | None) -> None:
    """RFC 6749 §4.1.3: redirect_uri is required, and identical, if the authorization request
    included it."""
    if not code.redirect_uri_given:
        if given is not None and given != code.redirect_uri:
            raise InvalidGrant("redirect_uri does not match the authorization request")
        return
    if given is None:
        raise InvalidGrant("redirect_uri is required: the authorization request included it")
    if given != code.redirect_uri:
        raise InvalidGrant("redirect_uri does not match the one in the authorization request")


def _revoke_tokens_issued_from(provider: Provider, code: AuthorizationCode) -> None:
    """RFC 6749 §4.1.2: a second redemption revokes what the first one issued."""
    now = provider.clock()
    provider.revocations.revoke_grant(code.grant_id, "authorization_code_replay", now)
    if code.access_token_jti is not None and code.access_token_expires_at is not None:
        provider.revocations.deny_access_token(code.access_token_jti, code.access_token_expires_at)
