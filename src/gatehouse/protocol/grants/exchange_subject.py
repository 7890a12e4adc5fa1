"""The subject token of a token exchange (RFC 8693 §2.1): whom it speaks for, once checked.

``subject_from`` is the one place that decides which kind of subject token a request
carries, by its ``subject_token_type`` and its issuer, and hands it to the rule for that
kind. Today there is one: an access token gatehouse issued to a user, for an API the calling
client speaks for (on-behalf-of). A token from another issuer is refused here; that is where
a branch for trusted external issuers goes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gatehouse.errors import InvalidRequest, InvalidToken
from gatehouse.keys.jose import TokenVerificationError, unverified_claims
from gatehouse.protocol.liveness import live_access_token, user_cannot_receive_tokens
from gatehouse.protocol.messages import Parameters
from gatehouse.protocol.provider import Provider
from gatehouse.storage.records import Client, User
from gatehouse.tokens.access_token import audiences_of

# RFC 8693 §3: token type identifiers.
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
# An access token gatehouse issued is a JWT too, and may be sent as either.
OWN_ACCESS_TOKEN_TYPES = (ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE)
SUBJECT_TOKEN_TYPES = OWN_ACCESS_TOKEN_TYPES


@dataclass(frozen=True)
class ExchangeSubject:
    """Who the new token is for and what it inherits from the subject token.

    ``client_id``: the client the subject token was issued to (None when it came from
    outside gatehouse); ``audience``: the API it was for; ``act``: its actor chain, if it
    was itself issued by an exchange (RFC 8693 §4.1); ``expires_at``: the new token ends no
    later. ``auth_time``, ``acr`` and ``amr`` describe the user's sign-in (RFC 9068 §2.2.1)."""

    user: User
    client_id: str | None
    audience: str
    expires_at: int
    act: dict[str, Any] | None = None
    auth_time: int | None = None
    acr: str | None = None
    amr: tuple[str, ...] = ()


def subject_from(provider: Provider, client: Client, params: Parameters) -> ExchangeSubject:
    """RFC 8693 §2.1: the subject token, by its type and its issuer. Every way a subject
    token is accepted is a branch here; anything else is refused with invalid_request
    (§2.2.2)."""
    token = params.require("subject_token")
    token_type = params.require("subject_token_type")
    if token_type not in SUBJECT_TOKEN_TYPES:
        raise InvalidRequest(
            f"subject_token_type {token_type[:100]!r} is not supported; supported: "
            f"{', '.join(SUBJECT_TOKEN_TYPES)}"
        )
    issuer = _claimed_issuer(token)
    if issuer == provider.config.issuer and token_type in OWN_ACCESS_TOKEN_TYPES:
        return own_access_token(provider, client, token)
    raise InvalidRequest(
        "the subject_token is not an access token issued by this server; on-behalf-of "
        "exchanges the user's access token the calling API received"
    )


def _claimed_issuer(token: str) -> str | None:
    """Which issuer the token says it is from: only to choose the rule that then verifies
    it, never a reason to trust it."""
    try:
        issuer = unverified_claims(token).get("iss")
    except TokenVerificationError:
        return None
    return issuer if isinstance(issuer, str) else None


def own_access_token(provider: Provider, client: Client, token: str) -> ExchangeSubject:
    """On-behalf-of: a live access token of this server (signature, typ, exp, not revoked,
    its user enabled: liveness.py), for a user, and for an API the calling client speaks
    for (`gatehouse api update API --client CLIENT`)."""
    try:
        live = live_access_token(provider, token, audience=None)
    except InvalidToken as invalid:
        raise InvalidRequest(f"the subject_token is not usable: {invalid.description}") from None
    claims = live.claims
    if live.user is None:
        raise InvalidRequest(
            "the subject_token is a client's own token (client credentials): it speaks for no "
            "user, so there is no one to act on behalf of"
        )
    audience = _audience_spoken_for(provider, client, audiences_of(claims))
    auth_time = claims.get("auth_time")
    auth_time = auth_time if isinstance(auth_time, int) else None
    refused = user_cannot_receive_tokens(live.user, auth_time or claims["iat"])
    if refused is not None:
        raise InvalidRequest(f"the subject_token is not usable: {refused}")
    act, acr, amr = claims.get("act"), claims.get("acr"), claims.get("amr")
    return ExchangeSubject(
        user=live.user,
        client_id=str(claims.get("client_id")),
        audience=audience,
        expires_at=int(claims["exp"]),
        act=act if isinstance(act, dict) else None,
        auth_time=auth_time,
        acr=acr if isinstance(acr, str) else None,
        amr=tuple(m for m in amr if isinstance(m, str)) if isinstance(amr, list) else (),
    )


def _audience_spoken_for(provider: Provider, client: Client, audiences: list[str]) -> str:
    """The subject token must have been sent to the calling API: one of its audiences is an
    API linked to the authenticated client. A token for someone else is not the caller's to
    exchange (RFC 8693 §2.2.2: invalid_request)."""
    linked = {api.identifier for api in provider.apis.list() if api.client_id == client.client_id}
    for audience in audiences:
        if audience in linked:
            return audience
    shown = ", ".join(a[:200] for a in audiences) or "no audience"
    if not linked:
        raise InvalidRequest(
            f"the subject_token is for {shown}, and no API is linked to this client; an "
            "operator links the API to the client that speaks for it with "
            f"`gatehouse api update API --client {client.client_id}`"
        )
    raise InvalidRequest(
        f"the subject_token is for {shown}, not for an API this client speaks for "
        f"({', '.join(sorted(linked))})"
    )
