"""The token exchange grant (RFC 8693), for on-behalf-of: an API that received a user's
access token calls a further API as that user.

The API authenticates as the client linked to it (`gatehouse api update API --client
CLIENT`) and presents the token it received (``subject_token``, exchange_subject.py). It
gets an access token for the downstream API (``resource`` or ``audience``) for the same user,
with ``act`` naming itself (delegation, §4.1; an existing chain is nested), when:

- an operator allowed this client to exchange for that API (`gatehouse grant token-exchange`);
- the scopes are ones the user consented to for the downstream API, to the application they
  signed in to (the client the subject token was issued to) or to the calling client; the
  request may narrow them, never widen them.

The subject token may also come from a trusted external issuer (exchange_subject.py): then
the user is the local one its subject claim names, and the consent that counts is the one
given to the calling client.

A token without ``act`` (impersonation) is issued only where an operator allowed it for the
pair. No refresh token: the exchanged token lives no longer than the one it came from, and
the API exchanges again when it needs one. Every exchange, refused or not, is an audit event.
"""

from __future__ import annotations

from typing import Any

from gatehouse.errors import (
    InvalidGrant,
    InvalidRequest,
    InvalidScope,
    InvalidTarget,
    OAuthError,
    UnauthorizedClient,
)
from gatehouse.protocol.admin_consent import consented_scopes
from gatehouse.protocol.audiences import Audience, bare_name, check_resource_uri, split_canonical
from gatehouse.protocol.grants.exchange_subject import (
    ACCESS_TOKEN_TYPE,
    ExchangeSubject,
    subject_from,
)
from gatehouse.protocol.issuance import access_token_lifetime, mint_for_audience
from gatehouse.protocol.messages import Parameters, split_scope
from gatehouse.protocol.person_claims import person_claims
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.token_response import TokenResponse
from gatehouse.storage.records import Api, AuditEvent, Client, ExchangeGrant

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"


class TokenExchangeGrant:
    grant_type = GRANT_TYPE

    def handle(
        self, provider: Provider, client: Client, params: Parameters, *, address: str | None = None
    ) -> TokenResponse:
        subject: ExchangeSubject | None = None
        try:
            _check_request(client, params)
            subject = subject_from(provider, client, params)
            return _exchange(provider, client, params, subject, address)
        except OAuthError as refused:
            _record(provider, client, address, subject, refused=refused)
            raise


def _check_request(client: Client, params: Parameters) -> None:
    """RFC 8693 §2.1: what this server issues, and who may ask."""
    if client.is_public:
        raise UnauthorizedClient(
            "a public client cannot exchange tokens: the API must authenticate as its own "
            "confidential client"
        )
    requested = params.get("requested_token_type", ACCESS_TOKEN_TYPE)
    if requested != ACCESS_TOKEN_TYPE:
        raise InvalidRequest(
            f"requested_token_type {requested[:100]!r} is not supported; this server issues "
            f"only {ACCESS_TOKEN_TYPE}"
        )
    if "actor_token" in params or "actor_token_type" in params:
        # §4.1: the authenticated client is the actor; a separate actor token is not taken.
        raise InvalidRequest(
            "actor_token is not supported: the authenticated client is the actor, named in "
            "the issued token's act claim"
        )


def _exchange(
    provider: Provider,
    client: Client,
    params: Parameters,
    subject: ExchangeSubject,
    address: str | None,
) -> TokenResponse:
    requested = split_scope(params.get("scope"))
    api = _target_api(provider, params, requested)
    allowed = provider.apis.exchange_grant(client.client_id, api.identifier)
    if allowed is None:
        raise InvalidTarget(
            f"this client may not exchange tokens for {api.identifier}; an operator allows it "
            f"with `gatehouse grant token-exchange --client {client.client_id} --api "
            f"{api.identifier}`"
        )
    names = _downscoped(api, requested, _consented(provider, client, subject, api))
    now = provider.clock()
    audience = Audience(api.identifier, names, api)
    access = mint_for_audience(
        provider,
        audience,
        subject=subject.user.id,
        client=client,
        now=now,
        # Never outlives the token it came from: revoking that one cannot reach this one.
        lifetime=min(access_token_lifetime(provider, audience), subject.expires_at - now),
        extra_claims={
            # The person's app roles of the API they are acted for on (docs/groups-and-roles.md).
            **person_claims(provider, client, subject.user.id, audience).access_token,
            **_actor_claims(client, subject, allowed),
        },
        auth_time=subject.auth_time,
        amr=subject.amr,
        acr=subject.acr,
    )
    _record(
        provider, client, address, subject, api=api, scopes=names, grant=allowed, jti=access.jti
    )
    return TokenResponse(
        access_token=access.value,
        expires_in=access.expires_in,
        scope=" ".join(f"{api.identifier.rstrip('/')}/{name}" for name in names),
        issued_token_type=ACCESS_TOKEN_TYPE,
    )


def _target_api(provider: Provider, params: Parameters, requested: tuple[str, ...]) -> Api:
    """RFC 8693 §2.1: the downstream API, named by ``resource`` (RFC 8707) or ``audience``
    (its identifier), or else by the canonical <api>/<name> scopes requested; one API."""
    apis = provider.apis.list()
    named = [*params.all("resource"), *params.all("audience")]
    for resource in params.all("resource"):
        check_resource_uri(resource)
    if not named:
        named = [split[0].identifier for s in requested if (split := split_canonical(s, apis))]
    targets = list(dict.fromkeys(named))
    if not targets:
        raise InvalidRequest(
            "name the downstream API with the resource or audience parameter (its identifier)"
        )
    if len(targets) > 1:
        raise InvalidTarget("a token is for one API; the request names several")
    api = next((a for a in apis if a.identifier == targets[0]), None)
    if api is None:
        raise InvalidTarget(f"{targets[0][:200]!r} is not a registered API")
    return api


def _consented(
    provider: Provider, client: Client, subject: ExchangeSubject, api: Api
) -> frozenset[str]:
    """The API's scopes the user (or an administrator, for everyone) consented to, to the
    application they signed in to or to the calling client. Without any, there is nothing
    the user allowed to be done for them at this API: invalid_grant, naming the consent
    that is missing."""
    holders = [c for c in dict.fromkeys((subject.client_id, client.client_id)) if c is not None]
    names: set[str] = set()
    for holder in holders:
        consented = consented_scopes(provider, subject.user.id, holder)
        names.update(n for s in consented if (n := bare_name(s, api)) is not None)
    names &= api.scope_names()  # a scope the API has since dropped is not issued
    if not names:
        raise InvalidGrant(
            f"the user has not consented to any scope of {api.identifier} for "
            f"{' or '.join(holders)}; the application they sign in to must ask for those "
            "scopes, and the user allow them"
        )
    return frozenset(names)


def _downscoped(api: Api, requested: tuple[str, ...], consented: frozenset[str]) -> tuple[str, ...]:
    """RFC 8693 §2.1 scope, RFC 6749 §5.2: what was asked for, within what the user
    consented to; without ``scope``, all of that."""
    if not requested:
        return tuple(sorted(consented))
    names = []
    for scope in requested:
        name = scope if "/" not in scope else bare_name(scope, api)
        if name is None or name not in api.scope_names():
            raise InvalidScope(f"{scope[:200]!r} is not a scope of {api.identifier}")
        if name not in consented:
            raise InvalidScope(
                f"the user has not consented to {name} on {api.identifier}; an exchange can "
                f"only narrow what they allowed ({' '.join(sorted(consented))})"
            )
        names.append(name)
    return tuple(dict.fromkeys(names))


def _actor_claims(
    client: Client, subject: ExchangeSubject, allowed: ExchangeGrant
) -> dict[str, Any]:
    """RFC 8693 §4.1: ``act`` names the client acting for the user, with the chain the
    subject token already had nested inside. Impersonation (allowed per pair) adds no
    actor: the token looks as if issued to the user's own application."""
    if allowed.impersonation:
        return {"act": subject.act} if subject.act else {}
    act: dict[str, Any] = {"sub": client.client_id}
    if subject.act:
        act["act"] = subject.act
    return {"act": act}


def _record(
    provider: Provider,
    client: Client,
    address: str | None,
    subject: ExchangeSubject | None,
    *,
    refused: OAuthError | None = None,
    api: Api | None = None,
    scopes: tuple[str, ...] = (),
    grant: ExchangeGrant | None = None,
    jti: str | None = None,
) -> None:
    """Every exchange is an audit event: what was issued, or why it was refused."""
    details: dict[str, Any] = {}
    if subject is not None:
        details.update(subject_client_id=subject.client_id, subject_audience=subject.audience)
        if subject.issuer is not None:
            details.update(subject_issuer=subject.issuer)
    if refused is not None:
        details.update(error=refused.error, reason=refused.description)
    else:
        assert api is not None and grant is not None
        details.update(
            api=api.identifier,
            scopes=list(scopes),
            impersonation=grant.impersonation,
            jti=jti,
        )
    with provider.transaction():
        provider.audit.record(
            AuditEvent(
                type="token.exchange_refused" if refused is not None else "token.exchanged",
                occurred_at=provider.clock(),
                actor="client",
                user_id=subject.user.id if subject is not None else None,
                client_id=client.client_id,
                ip=address,
                details=details,
            )
        )
