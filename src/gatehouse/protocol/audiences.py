"""Which API a token is for, and with which scopes (RFC 8707 resource indicators).

Scopes come in three kinds. OpenID scopes (openid, profile, …) and the tenant's own custom
scopes are for gatehouse itself, whose only resource is UserInfo (the default audience).
API scopes are delegated permissions of one registered API; inside gatehouse they are kept in
their canonical form ``<api identifier>/<name>``; a request may name them that way or by
their bare name (scopes.py says which API a bare name means). A token is for exactly one
audience.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from gatehouse.errors import InvalidTarget
from gatehouse.protocol.redirect_uris import split_uri
from gatehouse.storage.records import Api, Client

DEFAULT_SUFFIX = ".default"


class ApiLookup(Protocol):
    def list(self) -> list[Api]:
        """Every API of the tenant."""

    def granted_roles(self, client_id: str, api_identifier: str) -> frozenset[str]:
        """The app roles granted to the client on the API."""


def canonical(api: str, name: str) -> str:
    return f"{api.rstrip('/')}/{name}"


def bare_name(scope: str, api: Api) -> str | None:
    """The name when ``scope`` is ``<api identifier>/<name>``. Names never hold a slash, so
    https://api.example.com/v2/read belongs to the API https://api.example.com/v2 and not to
    https://api.example.com."""
    prefix = api.identifier.rstrip("/") + "/"
    name = scope[len(prefix) :]
    if scope.startswith(prefix) and name and "/" not in name:
        return name
    return None


def split_canonical(scope: str, apis: Sequence[Api]) -> tuple[Api, str] | None:
    """(api, bare name) when ``scope`` is ``<api identifier>/<name>`` of a registered API."""
    for api in apis:
        name = bare_name(scope, api)
        if name is not None:
            return api, name
    return None


def default_target(scope: str) -> str | None:
    """The API identifier when ``scope`` is ``<api identifier>/.default`` (as in Microsoft's
    identity platform): what the client was statically granted on that API, its app roles
    for client_credentials, its configured delegated scopes in a user's request; None for
    any other scope."""
    api, sep, name = scope.rpartition("/")
    return api if sep and api and name == DEFAULT_SUFFIX else None


def configured_scopes(allowed: Sequence[str], api: Api) -> tuple[str, ...]:
    """The API's delegated scopes among a client's registered ones (``allowed``): its
    statically configured permissions on the API, canonical, in registration order."""
    return tuple(s for s in allowed if bare_name(s, api) is not None)


def check_resource_uri(resource: str) -> None:
    """RFC 8707 §2: an absolute URI without a fragment."""
    parts = split_uri(resource)
    if parts is None or not parts.scheme or "#" in resource:
        raise InvalidTarget(
            f"resource {resource[:200]!r} must be an absolute URI without a fragment"
        )


def apis_of(scopes: Iterable[str], apis: Sequence[Api]) -> list[str]:
    """The APIs whose (canonical) scopes appear in ``scopes``, in order of first mention."""
    found: dict[str, None] = {}
    for scope in scopes:
        split = split_canonical(scope, apis)
        if split is not None:
            found.setdefault(split[0].identifier, None)
    return list(found)


def client_may_use(client: Client, api: Api, roles: frozenset[str]) -> bool:
    """A client may ask for tokens for an API when it is allowed one of the API's scopes, has
    been granted one of its app roles, or is the API's own client."""
    if api.client_id == client.client_id or roles:
        return True
    return any(bare_name(s, api) is not None for s in client.allowed_scopes)


def check_resources(
    resources: Sequence[str],
    client: Client,
    apis: Sequence[Api],
    lookup: ApiLookup,
    default_audience: str,
) -> tuple[str, ...]:
    """RFC 8707 §2: every resource must be one this client may obtain tokens for."""
    by_identifier = {api.identifier: api for api in apis}
    for resource in resources:
        check_resource_uri(resource)
        if resource == default_audience:
            continue
        api = by_identifier.get(resource)
        if api is None:
            raise InvalidTarget(f"resource {resource[:200]!r} is not a registered API")
        if not client_may_use(client, api, lookup.granted_roles(client.client_id, api.identifier)):
            raise InvalidTarget(f"this client may not request tokens for {resource[:200]!r}")
    return tuple(resources)


@dataclass(frozen=True)
class Audience:
    """The one audience of an access token, and what goes in its scope claim."""

    identifier: str
    scopes: tuple[str, ...]
    api: Api | None


def select_audience(
    granted: Sequence[str],
    resources_at_authorization: Sequence[str],
    requested_resource: Sequence[str],
    apis: Sequence[Api],
    default_audience: str,
) -> Audience:
    """RFC 8707 §2.2: pick the audience for a token from a user grant.

    Without ``resource``: the single API of the grant, or gatehouse's UserInfo when the grant
    has none. With it: that API (or UserInfo), which must be part of the grant."""
    grant_apis = list(dict.fromkeys([*apis_of(granted, apis), *resources_at_authorization]))
    grant_apis = [a for a in grant_apis if a != default_audience]
    if len(requested_resource) > 1:
        raise InvalidTarget("a token is for one API: send one resource parameter")
    if requested_resource:
        target = requested_resource[0]
        check_resource_uri(target)
        if target != default_audience and target not in grant_apis:
            raise InvalidTarget(f"the grant does not include the API {target[:200]!r}")
    elif len(grant_apis) > 1:
        raise InvalidTarget(
            "the grant covers several APIs; name the one this token is for with the resource "
            f"parameter ({', '.join(grant_apis)})"
        )
    else:
        target = grant_apis[0] if grant_apis else default_audience
    if target == default_audience:
        own = tuple(s for s in granted if split_canonical(s, apis) is None)
        return Audience(default_audience, own, None)
    api = next(a for a in apis if a.identifier == target)
    # A grant made before the API dropped one of its scopes does not carry it into new tokens.
    names = tuple(
        split[1]
        for s in granted
        if (split := split_canonical(s, apis))
        and split[0].identifier == target
        and split[1] in split[0].scope_names()
    )
    return Audience(target, names, api)
