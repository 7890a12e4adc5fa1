"""Scope rules: the standard OpenID scopes, which scope a name means, and what a client may
ask for (RFC 6749 §3.3).

An API scope is kept in its canonical form ``<api identifier>/<name>`` (audiences.py); a
request or a registration may use the bare name. A bare name is resolved within what the
client may request, so a new API that defines the same name never breaks a client
registered for another one; a registration must name one API, so it never stores a name
that several APIs define.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from gatehouse.errors import InvalidScope
from gatehouse.protocol.audiences import (
    bare_name,
    canonical,
    configured_scopes,
    default_target,
    split_canonical,
)
from gatehouse.storage.records import Api

# OIDC Core §5.4 and §11. The descriptions, in English, are what the CLI lists and what the
# consent page says, in the person's language (web/pages.py STANDARD_SCOPE_TEXTS).
STANDARD_SCOPES: dict[str, str] = {
    "openid": "Sign you in and know who you are",
    "profile": "See your name and basic profile",
    "email": "See your email address",
    "address": "See your postal address",
    "phone": "See your phone number",
    "offline_access": "Keep access while you are not using the app",
}


def check_allowed(requested: tuple[str, ...], allowed: tuple[str, ...]) -> tuple[str, ...]:
    """Every requested scope must be one the client is allowed to request."""
    if not requested:
        raise InvalidScope("the scope parameter is required (for sign-in, include openid)")
    not_allowed = [s for s in requested if s not in allowed]
    if not_allowed:
        raise InvalidScope(
            f"this client may not request {' '.join(not_allowed)}; "
            f"it may request: {' '.join(allowed) or '(nothing)'}"
        )
    return requested


def resolve_requested(
    requested: Sequence[str],
    allowed: tuple[str, ...],
    apis: Sequence[Api],
    resources: Sequence[str] = (),
) -> tuple[str, ...]:
    """RFC 6749 §3.3: the requested scopes in canonical form, each one the client may
    request. A bare API scope name means the API's scope that the client is registered for
    (among the APIs ``resources`` names, when given); only when the client may request the
    name on several APIs must the request say which. ``<api>/.default`` means every scope of
    that API in the client's registration (``expand_defaults``)."""
    by_identifier = {api.identifier: api for api in apis}
    within = [by_identifier[r] for r in resources if r in by_identifier] or list(apis)
    defaults = [s for s in requested if default_target(s) is not None]
    resolved = [
        _resolve(scope, allowed, apis, within) for scope in requested if scope not in defaults
    ]
    expanded = expand_defaults(defaults, resolved, allowed, apis)
    return check_allowed(tuple(dict.fromkeys(expanded)), allowed)


def expand_defaults(
    defaults: Sequence[str], resolved: list[str], allowed: tuple[str, ...], apis: Sequence[Api]
) -> list[str]:
    """``resolved`` with each ``<api>/.default`` replaced by the API's scopes the client is
    registered for: its statically configured permissions, as Microsoft's identity platform
    means it in delegated requests (client_credentials reads it as the app roles granted:
    grants/client_credentials.py). It stands for the whole of that API's part of the
    request, so another scope of the same API beside it is invalid_scope."""
    expanded = list(resolved)
    for scope in defaults:
        target = default_target(scope)
        api = next((a for a in apis if a.identifier.rstrip("/") == target), None)
        if api is None:
            raise InvalidScope(f"{scope[:200]!r}: {target!r} is not a registered API")
        beside = [s for s in resolved if bare_name(s, api) is not None]
        if beside:
            raise InvalidScope(
                f"{scope} cannot be combined with other scopes of the same API "
                f"({' '.join(beside)}): ask for {scope} alone, or name each scope"
            )
        configured = configured_scopes(allowed, api)
        if not configured:
            raise InvalidScope(
                f"this client has no permissions configured on {api.identifier}, so {scope} "
                "means nothing; register the scopes it needs on the client"
            )
        expanded.extend(configured)
    return expanded


def _resolve(scope: str, allowed: tuple[str, ...], apis: Sequence[Api], within: list[Api]) -> str:
    if scope in STANDARD_SCOPES:
        return scope
    split = split_canonical(scope, apis)
    if split is not None:
        # A client keeps <api>/<name> in its registration after the API drops the name.
        if split[1] not in split[0].scope_names():
            raise InvalidScope(f"{split[0].identifier} has no scope {split[1]!r}")
        return scope
    if scope in allowed:
        return scope  # a custom scope
    owners = [canonical(api.identifier, scope) for api in within if scope in api.scope_names()]
    registered = [name for name in owners if name in allowed]
    if len(registered) > 1:
        raise InvalidScope(
            f"scope {scope!r} exists on several APIs this client may use; name the API with "
            f"the resource parameter or use the full name ({' or '.join(registered)})"
        )
    if registered:
        return registered[0]
    # Not the client's on any API: the one API that defines it, if any, for a refusal that
    # names the scope in full; else the name as asked. check_allowed refuses either.
    return owners[0] if len(owners) == 1 else scope


def registrable(scopes: Sequence[str], apis: Sequence[Api], custom: Collection[str]) -> list[str]:
    """The form a client registration stores each scope in: standard and custom scopes as
    they are, API scopes as <api>/<name>. A bare name several APIs define is refused here,
    at registration, rather than left to fail at sign-in."""
    result: list[str] = []
    for scope in scopes:
        if scope in STANDARD_SCOPES or scope in custom:
            result.append(scope)
            continue
        split = split_canonical(scope, apis)
        if split is not None and split[1] in split[0].scope_names():
            result.append(scope)
            continue
        owners = [canonical(api.identifier, scope) for api in apis if scope in api.scope_names()]
        if len(owners) > 1:
            raise InvalidScope(
                f"scope {scope!r} exists on several APIs; register the one this client is "
                f"for by its full name: {' or '.join(owners)}"
            )
        if not owners:
            raise InvalidScope(
                f"unknown scope {scope!r}: create it with `gatehouse scope create`, or add it "
                "to an API with `gatehouse api create/update --scope`"
            )
        result.append(owners[0])
    return list(dict.fromkeys(result))
