"""The subject token of a token exchange (RFC 8693 §2.1): whom it speaks for, once checked.

``subject_from`` is the one place that decides which kind of subject token a request
carries, by its ``subject_token_type`` and its issuer, and hands it to the rule for that
kind. There are two: an access token gatehouse issued to a user, for an API the calling
client speaks for (on-behalf-of); and a token of a trusted external issuer
(`gatehouse issuer trust`), whose subject claim names a local user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gatehouse.errors import InvalidRequest, InvalidToken
from gatehouse.keys.jose import TokenVerificationError, unverified_claims
from gatehouse.protocol.external_issuers import ExternalTokenRejected, verify_external_token
from gatehouse.protocol.liveness import live_access_token, user_cannot_receive_tokens
from gatehouse.protocol.messages import Parameters
from gatehouse.protocol.provider import Provider
from gatehouse.storage.records import Client, User
from gatehouse.tokens.access_token import audiences_of

# RFC 8693 §3: token type identifiers.
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
# An access token gatehouse issued is a JWT too, and may be sent as either.
OWN_ACCESS_TOKEN_TYPES = (ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE)
# A trusted issuer's token is a JWT: its ID token, its access token, or any JWT it signs.
EXTERNAL_TOKEN_TYPES = (JWT_TOKEN_TYPE, ID_TOKEN_TYPE, ACCESS_TOKEN_TYPE)
SUBJECT_TOKEN_TYPES = (ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE, ID_TOKEN_TYPE)


@dataclass(frozen=True)
class ExchangeSubject:
    """Who the new token is for and what it inherits from the subject token.

    ``client_id``: the client the subject token was issued to (None when it came from
    outside gatehouse); ``audience``: the API it was for; ``act``: its actor chain, if it
    was itself issued by an exchange (RFC 8693 §4.1); ``expires_at``: the new token ends no
    later. For an external token, ``audience`` is what its ``aud`` held. ``auth_time``,
    ``acr`` and ``amr`` describe the user's sign-in (RFC 9068 §2.2.1)."""

    user: User
    client_id: str | None
    audience: str
    expires_at: int
    act: dict[str, Any] | None = None
    auth_time: int | None = None
    acr: str | None = None
    amr: tuple[str, ...] = ()
    issuer: str | None = None  # a trusted external issuer's; None for gatehouse's own


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
    if (
        issuer not in (None, provider.config.issuer)
        and token_type in EXTERNAL_TOKEN_TYPES
        and provider.trusted_issuers.get(issuer) is not None
    ):
        return external_token(provider, token)
    raise InvalidRequest(
        "the subject_token is neither an access token issued by this server (on-behalf-of) "
        "nor a token of a trusted issuer (`gatehouse issuer trust`)"
    )


def external_token(provider: Provider, token: str) -> ExchangeSubject:
    """A token of a trusted external issuer (protocol/external_issuers.py: signature, pinned
    algorithms, audience, times), whose subject claim names a local user: by id, username
    or email address. Its acr and amr are the other issuer's words, not gatehouse's, so they
    are not carried into the new token."""
    try:
        verified = verify_external_token(provider, token)
    except ExternalTokenRejected as rejected:
        raise InvalidRequest(f"the subject_token is not usable: {rejected.description}") from None
    claims, value = verified.claims, verified.subject
    if verified.issuer.subject_claim == "email" and claims.get("email_verified") is False:
        raise InvalidRequest(
            "the subject_token's email address is not verified by its issuer, so it names no one"
        )
    user = provider.users.get(value) or provider.users.find_by_login(value)
    if user is None:
        raise InvalidRequest(
            f"no user here matches the subject_token's {verified.issuer.subject_claim} "
            f"(the claim {verified.issuer.issuer[:200]} is trusted for); an operator creates "
            "the user first"
        )
    if user.disabled:
        # Not user_cannot_receive_tokens: a password change here says nothing about a
        # sign-in at another issuer.
        raise InvalidRequest("the subject_token is not usable: the user is disabled")
    auth_time = claims.get("auth_time")
    auth_time = auth_time if isinstance(auth_time, int) else None
    audiences = claims.get("aud")
    shown = audiences if isinstance(audiences, str) else " ".join(map(str, audiences or []))
    return ExchangeSubject(
        user=user,
        client_id=None,
        audience=shown,
        expires_at=int(claims["exp"]),
        auth_time=auth_time,
        issuer=verified.issuer.issuer,
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
