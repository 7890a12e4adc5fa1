"""The client credentials grant (RFC 6749 §4.4): a daemon acting as itself.

Its tokens carry application permissions: the app roles an administrator granted the client
on one API, in the ``roles`` claim. The request names roles in ``scope`` (bare, or as
``<api>/<role>``), or asks for ``<api>/.default`` — every role granted on that API.
No refresh token, no ID token; ``sub`` and ``client_id`` are the client.
"""

from __future__ import annotations

from gatehouse.errors import InvalidScope, InvalidTarget, UnauthorizedClient
from gatehouse.protocol.audiences import (
    DEFAULT_SUFFIX,
    Audience,
    check_resource_uri,
    default_target,
    split_canonical,
)
from gatehouse.protocol.issuance import mint_for_audience
from gatehouse.protocol.messages import Parameters, split_scope
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.token_response import TokenResponse
from gatehouse.storage.records import Api, Client


class ClientCredentialsGrant:
    grant_type = "client_credentials"

    def handle(
        self, provider: Provider, client: Client, params: Parameters, *, address: str | None = None
    ) -> TokenResponse:
        if client.is_public:
            raise UnauthorizedClient(
                "a public client cannot use client_credentials: it has no credentials of its own"
            )
        return application_token(provider, client, params)


def application_token(provider: Provider, client: Client, params: Parameters) -> TokenResponse:
    """A token for the client itself on the API the request names (``scope``, ``resource``),
    carrying the app roles granted to it there: what client_credentials issues, and the JWT
    bearer grant for a workload (protocol/grants/jwt_bearer.py)."""
    requested = split_scope(params.get("scope"))
    api = _target_api(provider, requested, params.all("resource"))
    granted = provider.apis.granted_roles(client.client_id, api.identifier)
    roles = _requested_roles(api, requested, granted)
    now = provider.clock()
    access = mint_for_audience(
        provider,
        Audience(api.identifier, (), api),
        subject=client.client_id,
        client=client,
        now=now,
        extra_claims={"roles": sorted(roles)},
        app_only=True,
    )
    return TokenResponse(
        access_token=access.value,
        expires_in=access.expires_in,
        # RFC 6749 §5.1: all of the request was granted, so the request is echoed.
        scope=" ".join(requested)
        if requested
        else f"{api.identifier.rstrip('/')}/{DEFAULT_SUFFIX}",
    )


def _target_api(provider: Provider, requested: tuple[str, ...], resources: tuple[str, ...]) -> Api:
    """The one API the request is about, from ``resource`` or from canonical scopes."""
    apis = provider.apis.list()
    if len(resources) > 1:
        raise InvalidTarget("a token is for one API: send one resource parameter")
    named = {split[0].identifier for s in requested if (split := split_canonical(s, apis))}
    if resources:
        check_resource_uri(resources[0])
        named.add(resources[0])
    if not named:
        unknown = [target for s in requested if (target := default_target(s)) is not None]
        if unknown:
            raise InvalidTarget(f"resource {unknown[0][:200]!r} is not a registered API")
        raise InvalidScope(
            "name the API: scope=<api identifier>/.default, or roles as <api>/<role>, "
            "or add resource=<api identifier>"
        )
    if len(named) > 1:
        raise InvalidTarget("a token is for one API; the request names several")
    identifier = named.pop()
    api = next((a for a in apis if a.identifier == identifier), None)
    if api is None:
        raise InvalidTarget(f"resource {identifier[:200]!r} is not a registered API")
    return api


def _requested_roles(
    api: Api, requested: tuple[str, ...], granted: frozenset[str]
) -> frozenset[str]:
    # A grant outlives a role the API has since dropped (api update --app-role replaces the
    # list); only roles the API still defines are issued.
    granted = granted & api.role_names()
    if not granted:
        raise InvalidScope(
            f"this client has no application permissions on {api.identifier}; an administrator "
            "grants them with `gatehouse grant app-role`"
        )
    prefix = api.identifier.rstrip("/") + "/"
    names = [s[len(prefix) :] if s.startswith(prefix) else s for s in requested]
    if not names or names == [DEFAULT_SUFFIX]:
        return granted
    if DEFAULT_SUFFIX in names:
        raise InvalidScope(f"{DEFAULT_SUFFIX} cannot be combined with other scopes")
    unknown = [n for n in names if n not in api.role_names()]
    if unknown:
        raise InvalidScope(f"{api.identifier} has no app role {unknown[0]!r}")
    missing = [n for n in names if n not in granted]
    if missing:
        raise InvalidScope(
            f"this client has not been granted the app role {missing[0]!r} on {api.identifier}"
        )
    return frozenset(names)
