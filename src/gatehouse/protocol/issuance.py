"""Issuing a user grant's tokens: the access token per audience, the ID token, the refresh
token, and the token response they make (protocol/token_response.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gatehouse.crypto import random_token, sha256_digest
from gatehouse.protocol.audiences import Audience, select_audience, split_canonical
from gatehouse.protocol.claims import user_claims
from gatehouse.protocol.claims_request import ClaimsRequest, released_for
from gatehouse.protocol.person_claims import NONE, PersonClaims, person_claims
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.token_response import TokenResponse
from gatehouse.storage.records import AuthorizationCode, Client, RefreshToken, User
from gatehouse.tenancy import routed
from gatehouse.tokens import entra
from gatehouse.tokens.access_token import MintedAccessToken, mint_access_token
from gatehouse.tokens.id_token import mint_id_token

# The access token claim that carries the claims parameter's userinfo member to UserInfo.
USERINFO_CLAIMS = "userinfo_claims"


@dataclass(frozen=True)
class UserGrant:
    """Who and what a user-delegated grant is for. ``scopes`` are canonical (API scopes as
    <api>/<name>); ``resources`` are the RFC 8707 resources named at authorization."""

    client: Client
    user: User
    scopes: tuple[str, ...]
    grant_id: str
    auth_time: int
    sid: str | None
    amr: tuple[str, ...]
    acr: str | None
    nonce: str | None = None
    resources: tuple[str, ...] = ()
    # OIDC Core §5.5: the claims parameter of the authorization request (claims_request.py).
    claims_request: dict[str, Any] | None = None

    @classmethod
    def of(cls, client: Client, user: User, record: AuthorizationCode | RefreshToken) -> UserGrant:
        """The grant an authorization code or a refresh token carries forward. Only a code
        has a nonce: it belongs to the authorization request (OIDC Core §3.1.2.1)."""
        return cls(
            client=client,
            user=user,
            scopes=record.scopes,
            grant_id=record.grant_id,
            auth_time=record.auth_time,
            sid=record.sid,
            amr=record.amr,
            acr=record.acr,
            nonce=record.nonce if isinstance(record, AuthorizationCode) else None,
            resources=record.resources,
            claims_request=record.claims_request,
        )


def mint_for_audience(
    provider: Provider,
    audience: Audience,
    *,
    subject: str,
    client: Client,
    now: int,
    jti: str | None = None,
    extra_claims: dict[str, Any] | None = None,
    auth_time: int | None = None,
    sid: str | None = None,
    amr: tuple[str, ...] = (),
    acr: str | None = None,
    lifetime: int | None = None,
    app_only: bool = False,
) -> MintedAccessToken:
    """An RFC 9068 access token for one audience, with that API's lifetime (or a shorter
    ``lifetime``) and algorithm; bound to the request's DPoP key when it has one (RFC 9449
    §6.1: cnf.jkt); with Entra's claims when the API has the entra profile (``app_only``:
    the client acts as itself; tokens/entra.py). A multi-tenant client's tokens always
    carry ``tid``: its APIs serve several tenants and must tell them apart."""
    config = provider.config
    api = audience.api
    if provider.token_binding is not None:
        extra_claims = {**(extra_claims or {}), "cnf": {"jkt": provider.token_binding}}
    if api is not None and api.token_profile == entra.ENTRA:
        profile = entra.access_token_claims(
            client, subject=subject, scopes=audience.scopes,
            tenant_id=config.tenant_id, app_only=app_only,
        )  # fmt: skip
        extra_claims = {**(extra_claims or {}), **profile}
    elif client.multi_tenant:
        extra_claims = {**(extra_claims or {}), **entra.tenant_claim(config.tenant_id)}
    return mint_access_token(
        provider.keys.keyring(),
        alg=(api.signing_alg if api and api.signing_alg else config.access_token_signing_alg),
        issuer=config.issuer,
        subject=subject,
        audience=audience.identifier,
        client_id=client.client_id,
        scopes=audience.scopes,
        now=now,
        lifetime=lifetime if lifetime is not None else access_token_lifetime(provider, audience),
        auth_time=auth_time,
        sid=sid,
        jti=jti,
        extra_claims=extra_claims,
        amr=amr,
        acr=acr,
    )


def access_token_lifetime(provider: Provider, audience: Audience) -> int:
    api = audience.api
    if api is not None and api.access_token_lifetime:
        return api.access_token_lifetime
    return provider.config.access_token_lifetime


def user_audience(
    provider: Provider, grant: UserGrant, scopes: Sequence[str], resource: Sequence[str]
) -> Audience:
    # API scopes are canonical (<api identifier>/<name>), so a grant with no "/" in any scope
    # and no resource cannot name an API: skip loading them (the audience is the same).
    may_name_an_api = grant.resources or resource or any("/" in s for s in scopes)
    apis = provider.apis.list() if may_name_an_api else []
    return select_audience(
        scopes, grant.resources, resource, apis, provider.config.default_audience
    )


class RotationLost(Exception):
    """The refresh token being rotated was used or revoked by someone else meanwhile."""


def issue_user_tokens(
    provider: Provider,
    grant: UserGrant,
    *,
    jti: str | None = None,
    resource: Sequence[str] = (),
    scopes: tuple[str, ...] | None = None,
    refresh_token: bool = True,
    refresh_expires_at: int | None = None,
    rotates: str | None = None,
    replaces_lost: str | None = None,
    audience: Audience | None = None,
) -> TokenResponse:
    """Access token for one audience; ID token when openid is among ``scopes``; a refresh
    token when the client may refresh (offline when offline_access was granted, else tied to
    the SSO session). ``scopes`` narrows the grant's scopes for this response (RFC 6749 §6).
    ``rotates``: the hash of the refresh token this response replaces; it is marked used
    and the new one stored in one atomic step, or ``RotationLost`` is raised and nothing
    issued here leaves the server. ``replaces_lost``: for a retried rotation, the hash of
    the successor of ``rotates`` that never reached the client; the new token takes its
    place (RotationLost when it was used meanwhile)."""
    effective = scopes if scopes is not None else grant.scopes
    now = provider.clock()
    audience = audience or user_audience(provider, grant, effective, resource)
    requested = ClaimsRequest.from_json(grant.claims_request)
    person = person_claims(provider, grant.client, grant.user.id, audience)
    access = mint_for_audience(
        provider,
        audience,
        subject=grant.user.id,
        client=grant.client,
        now=now,
        jti=jti,
        auth_time=grant.auth_time,
        sid=grant.sid,
        amr=grant.amr,
        acr=grant.acr,
        extra_claims={**person.access_token, **_userinfo_request(provider, requested, audience)},
    )
    id_token = None
    if "openid" in effective:
        id_token = mint_user_id_token(
            provider, grant, effective, now, access_token=access.value, person=person
        )
    refresh = None
    if refresh_token and "refresh_token" in grant.client.grant_types:
        refresh = store_refresh_token(
            provider,
            grant,
            now,
            expires_at=refresh_expires_at,
            access_token=access,
            rotates=rotates,
            replaces_lost=replaces_lost,
        )
    return TokenResponse(
        access_token=access.value,
        expires_in=access.expires_in,
        scope=" ".join(response_scope(provider, effective, audience)),
        id_token=id_token,
        refresh_token=refresh,
        client_info=entra.client_info(
            grant.client, subject=grant.user.id, tenant_id=provider.config.tenant_id
        ),
    )


def _userinfo_request(
    provider: Provider, requested: ClaimsRequest, audience: Audience
) -> dict[str, Any]:
    """OIDC Core §5.5: the claims parameter's userinfo member travels in the access token for
    UserInfo (and only there), so that UserInfo applies it to whichever token of the grant it
    is shown, a refreshed one included."""
    if audience.identifier != provider.config.userinfo_endpoint:
        return {}
    member = requested.to_json().get("userinfo")
    return {USERINFO_CLAIMS: member} if member else {}


def mint_user_id_token(
    provider: Provider,
    grant: UserGrant,
    scopes: Sequence[str],
    now: int,
    *,
    access_token: str | None = None,
    code: str | None = None,
    person: PersonClaims = NONE,
) -> str:
    """The ID token of a user grant (OIDC Core §2), with the claims ``scopes`` release (as
    the claims parameter's id_token member filters them, §5.5), the person's groups when the
    client asked for them (``person``), and the hashes of the access token and code issued
    with it (at_hash, c_hash)."""
    config = provider.config
    requested = ClaimsRequest.from_json(grant.claims_request)
    return mint_id_token(
        provider.keys.keyring(),
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
        access_token=access_token,
        code=code,
        extra_claims={
            **released_for(user_claims(grant.user, scopes), requested.id_token),
            **person.id_token,
            **entra.id_token_claims(
                grant.client, subject=grant.user.id, tenant_id=config.tenant_id
            ),
            **(entra.tenant_claim(config.tenant_id) if grant.client.multi_tenant else {}),
        },
    )


def issue_front_channel_tokens(
    provider: Provider, grant: UserGrant, *, access_token: bool, id_token: bool, code: str | None
) -> dict[str, str]:
    """The tokens the authorization endpoint returns itself (OIDC Core §3.2.2.5, §3.3.2.5):
    an access token when ``access_token``, an ID token when ``id_token``, carrying the
    hashes of that access token and of ``code``. Never a refresh token: the front channel
    is no place for one (RFC 6749 §4.2.2)."""
    now = provider.clock()
    response: dict[str, str] = {}
    access = None
    audience = user_audience(provider, grant, grant.scopes, ())
    person = person_claims(provider, grant.client, grant.user.id, audience)
    if access_token:
        access = mint_for_audience(
            provider,
            audience,
            subject=grant.user.id,
            client=grant.client,
            now=now,
            auth_time=grant.auth_time,
            sid=grant.sid,
            amr=grant.amr,
            acr=grant.acr,
            extra_claims={
                **person.access_token,
                **_userinfo_request(
                    provider, ClaimsRequest.from_json(grant.claims_request), audience
                ),
            },
        )
        # RFC 6749 §4.1.2: a replayed code revokes what was issued from it, this one too.
        provider.revocations.record_issued_access_token(
            grant.grant_id, access.jti, access.expires_at
        )
        response.update(
            access_token=access.value,
            token_type="Bearer",  # noqa: S106 - RFC 6750's token type, not a secret
            expires_in=str(access.expires_in),
            scope=" ".join(response_scope(provider, grant.scopes, audience)),
        )
    if id_token:
        response["id_token"] = mint_user_id_token(
            provider,
            grant,
            grant.scopes,
            now,
            access_token=access.value if access else None,
            code=code,
            person=person,
        )
    return response


def response_scope(
    provider: Provider, granted: Sequence[str], audience: Audience
) -> tuple[str, ...]:
    """RFC 6749 §5.1: the scope of the access token issued. That is this token's API
    scopes, in the canonical <api>/<name> form the client asked for them in, beside the
    grant's OpenID Connect and custom scopes, which the ID token and UserInfo answer to
    (openid, profile, offline_access, …). Scopes of the grant's other APIs are not in it:
    a client that caches tokens by scope would otherwise send this one to those APIs."""
    apis = provider.apis.list()
    return tuple(
        scope
        for scope in granted
        if (split := split_canonical(scope, apis)) is None
        or (split[0].identifier == audience.identifier and split[1] in audience.scopes)
    )


def store_refresh_token(
    provider: Provider,
    grant: UserGrant,
    now: int,
    *,
    expires_at: int | None = None,
    access_token: MintedAccessToken | None = None,
    rotates: str | None = None,
    replaces_lost: str | None = None,
) -> str | None:
    """Opaque, random, stored only as a hash. With offline_access the token is independent
    of the SSO session; otherwise it lives only as long as that session. Rotated tokens keep
    their family's absolute expiry (``expires_at``) and replace the token whose hash is
    ``rotates`` atomically (RFC 9700 §4.14.2: exactly one successor per token), or, for a
    retried rotation, ``rotates``'s successor ``replaces_lost``."""
    offline = "offline_access" in grant.scopes
    if not offline and grant.sid is None:
        return None
    config = provider.config
    value = routed(config.tenant_id, random_token())
    record = RefreshToken(
        token_hash=sha256_digest(value),
        grant_id=grant.grant_id,
        client_id=grant.client.client_id,
        user_id=grant.user.id,
        sid=None if offline else grant.sid,
        scopes=grant.scopes,
        resources=grant.resources,
        auth_time=grant.auth_time,
        amr=grant.amr,
        acr=grant.acr,
        created_at=now,
        idle_expires_at=now + config.refresh_token_idle_lifetime,
        expires_at=expires_at or now + config.refresh_token_absolute_lifetime,
        # Recorded so that revoking the family also revokes this access token.
        access_token_jti=access_token.jti if access_token else None,
        access_token_expires_at=access_token.expires_at if access_token else None,
        claims_request=grant.claims_request,
        # RFC 9449 §5: a public client's refresh token is bound to its DPoP key; a
        # confidential client's is bound to the client by its authentication already.
        dpop_jkt=provider.token_binding if grant.client.is_public else None,
    )
    if rotates is None:
        provider.refresh_tokens.create(record)
    elif replaces_lost is not None:
        if not provider.refresh_tokens.replace_lost_successor(rotates, replaces_lost, record, now):
            raise RotationLost
    elif not provider.refresh_tokens.rotate(rotates, record, now):
        raise RotationLost
    return value


def new_grant_id() -> str:
    return str(uuid.uuid4())
