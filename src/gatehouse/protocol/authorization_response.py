"""The successful authorization response: what the request's response type asks the
authorization endpoint to return, once the person has signed in and consented.

- a code (RFC 6749 §4.1.2), one-time, bound to the client, redirect URI and PKCE challenge;
- for the implicit and hybrid types, tokens from the same issuance as the token endpoint's
  (protocol/issuance.py): an ID token with the nonce and the hashes of what it comes with
  (c_hash, at_hash: OIDC Core §3.3.2.11), an access token for ``token``; never a refresh
  token.

The response travels in the request's response mode (protocol/response_modes.py).
"""

from __future__ import annotations

from gatehouse.crypto import random_token, sha256_digest
from gatehouse.errors import ClientRedirect
from gatehouse.protocol.authorization import AuthorizationRequest, reported_acr
from gatehouse.protocol.issuance import UserGrant, issue_front_channel_tokens, new_grant_id
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.response_modes import RedirectToClient, authorization_response
from gatehouse.protocol.response_types import (
    returns_access_token,
    returns_code,
    returns_id_token,
)
from gatehouse.storage.records import AuthorizationCode, Client, SsoSession, User
from gatehouse.tenancy import routed


def issue_response(
    provider: Provider,
    client: Client,
    request: AuthorizationRequest,
    user: User,
    session: SsoSession,
) -> RedirectToClient:
    """The code and tokens ``request.response_type`` names, for ``user`` signed in with
    ``session``, to the request's redirect URI in its response mode."""
    now = provider.clock()
    grant_id = new_grant_id()
    acr = reported_acr(request.acr_values, session.amr)
    params: dict[str, str] = {}
    if returns_code(request.response_type):
        params["code"] = _store_code(provider, client, request, user, session, grant_id, acr)
    if returns_id_token(request.response_type) or returns_access_token(request.response_type):
        grant = UserGrant(
            client=client,
            user=user,
            scopes=request.scopes,
            grant_id=grant_id,
            auth_time=session.auth_time,
            sid=session.sid,
            amr=session.amr,
            acr=acr,
            nonce=request.nonce,
            resources=request.resources,
            claims_request=request.claims,
        )
        params.update(
            issue_front_channel_tokens(
                provider,
                grant,
                access_token=returns_access_token(request.response_type),
                id_token=returns_id_token(request.response_type),
                code=params.get("code"),
            )
        )
    # The client now takes part in the session: ending it will tell the client (OIDC
    # Back-Channel Logout 1.0 §2.5, Front-Channel Logout 1.0 §2).
    provider.sessions.record_client(session.sid, client.client_id, now)
    target = ClientRedirect(request.redirect_uri, request.state, request.response_mode)
    return authorization_response(provider.config.issuer, target, params)


def _store_code(
    provider: Provider,
    client: Client,
    request: AuthorizationRequest,
    user: User,
    session: SsoSession,
    grant_id: str,
    acr: str | None,
) -> str:
    """RFC 6749 §4.1.2: a one-time code bound to the client, redirect URI and PKCE
    challenge, living at most 60 seconds; only its hash is stored."""
    code = routed(provider.config.tenant_id, random_token())
    now = provider.clock()
    provider.codes.create(
        AuthorizationCode(
            code_hash=sha256_digest(code),
            grant_id=grant_id,
            client_id=client.client_id,
            user_id=user.id,
            sid=session.sid,
            redirect_uri=request.redirect_uri,
            redirect_uri_given=request.redirect_uri_given,
            scopes=request.scopes,
            nonce=request.nonce,
            code_challenge=request.code_challenge,
            resources=request.resources,
            auth_time=session.auth_time,
            amr=session.amr,
            acr=acr,
            created_at=now,
            expires_at=now + provider.config.authorization_code_lifetime,
            claims_request=request.claims,
        )
    )
    return code
