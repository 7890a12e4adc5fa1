"""Registering APIs (resources), their delegated scopes and app roles, and granting app roles
to clients (application permissions)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from typing import Any

from gatehouse.admin.changes import changed_fields, record_admin_change
from gatehouse.admin.errors import AdminError
from gatehouse.admin.token_profiles import checked_profile
from gatehouse.errors import OAuthError
from gatehouse.protocol.audiences import DEFAULT_SUFFIX, bare_name, check_resource_uri
from gatehouse.runtime import Runtime
from gatehouse.settings import SIGNING_ALGS
from gatehouse.storage.records import Api, ApiPermission
from gatehouse.tokens.entra import API_PROFILES

_PERMISSION = re.compile(r"[\x21\x23-\x2e\x30-\x5b\x5d-\x7e]{1,255}")  # no space, " / \


@dataclass
class ApiSpec:
    identifier: str
    name: str | None = None
    scopes: list[tuple[str, str]] | None = None  # (name, description)
    roles: list[tuple[str, str]] | None = None
    access_token_lifetime: int | None = None
    signing_alg: str | None = None
    client_id: str | None = None
    # The scopes only an administrator can consent to (docs/admin-consent.md); None: as they
    # were, for the scopes that remain.
    admin_consent_required: list[str] | None = None
    token_profile: str | None = None  # tokens/entra.py API_PROFILES


def api_to_json(api: Api) -> dict[str, Any]:
    return {
        "identifier": api.identifier,
        "name": api.name,
        "scopes": [{"name": p.name, "description": p.description} for p in api.scopes],
        "app_roles": [{"name": p.name, "description": p.description} for p in api.roles],
        "access_token_lifetime": api.access_token_lifetime,
        "signing_alg": api.signing_alg,
        "client_id": api.client_id,
        "admin_consent_required": sorted(api.admin_only_scope_names()),
        "token_profile": api.token_profile,
    }


def parse_permission(value: str, option: str) -> tuple[str, str]:
    """NAME=DESCRIPTION from the command line."""
    name, sep, description = value.partition("=")
    if not sep or not description.strip():
        raise AdminError(
            f"{option} takes NAME=DESCRIPTION, e.g. {option} orders.read='Read your orders'"
        )
    return name.strip(), description.strip()


def _permissions(items: list[tuple[str, str]] | None, kind: str) -> list[ApiPermission] | None:
    if items is None:
        return None
    seen: set[str] = set()
    result = []
    for name, description in items:
        if not _PERMISSION.fullmatch(name) or name == DEFAULT_SUFFIX:
            raise AdminError(
                f"{kind} name {name!r} must be 1-255 printable characters without spaces, "
                f"quotes, slashes or backslashes, and not {DEFAULT_SUFFIX}"
            )
        if name in seen:
            raise AdminError(f"{kind} {name!r} is listed twice")
        if not description or len(description) > 1024:
            raise AdminError(f"{kind} {name!r} needs a description of at most 1024 characters")
        seen.add(name)
        result.append(ApiPermission(name, description))
    return result


def save_api(runtime: Runtime, spec: ApiSpec, *, create: bool) -> dict[str, Any]:
    existing = runtime.store.apis.get(spec.identifier)
    if create and existing is not None:
        raise AdminError(f"an API with identifier {spec.identifier!r} already exists")
    if not create and existing is None:
        raise AdminError(f"no API {spec.identifier!r}")
    try:
        check_resource_uri(spec.identifier)
    except OAuthError as exc:
        raise AdminError(f"identifier: {exc.description}") from None
    if len(spec.identifier) > 512:
        raise AdminError("identifier is longer than 512 characters")
    if (
        spec.identifier.rstrip("/") == runtime.provider.config.issuer.rstrip("/")
        or spec.identifier == runtime.provider.config.default_audience
    ):
        raise AdminError("an API identifier cannot be gatehouse's own issuer or UserInfo URL")
    if spec.signing_alg is not None and spec.signing_alg not in SIGNING_ALGS:
        raise AdminError(f"signing_alg must be {' or '.join(SIGNING_ALGS)}")
    if spec.access_token_lifetime is not None and not 60 <= spec.access_token_lifetime <= 86400:
        raise AdminError("access_token_lifetime must be between 60 and 86400 seconds")
    if spec.client_id is not None and runtime.store.clients.get(spec.client_id) is None:
        raise AdminError(f"no client {spec.client_id!r} to link to the API")
    scopes = _permissions(spec.scopes, "scope")
    roles = _permissions(spec.roles, "app role")
    lifetime = spec.access_token_lifetime
    api = Api(
        identifier=spec.identifier,
        name=spec.name or (existing.name if existing else spec.identifier),
        access_token_lifetime=lifetime
        if lifetime is not None
        else (existing.access_token_lifetime if existing else None),
        signing_alg=spec.signing_alg or (existing.signing_alg if existing else None),
        client_id=spec.client_id or (existing.client_id if existing else None),
        scopes=_admin_only_marked(
            _kept(scopes, existing.scopes if existing else ()),
            spec.admin_consent_required,
            existing.admin_only_scope_names() if existing else frozenset(),
        ),
        roles=_kept(roles, existing.roles if existing else ()),
        token_profile=checked_profile(
            spec.token_profile or (existing.token_profile if existing else API_PROFILES[0]),
            API_PROFILES,
        ),
    )
    # Roles the API no longer defines are no longer granted to anyone (storage does it).
    with runtime.database.atomic():
        runtime.store.apis.save(api, int(time.time()))
        saved = runtime.store.apis.get(spec.identifier)
        assert saved is not None
        if existing is None:
            record_admin_change(runtime, "admin.api.created", details={"api": spec.identifier})
        else:
            fields = changed_fields(api_to_json(existing), api_to_json(saved))
            record_admin_change(
                runtime,
                "admin.api.updated",
                details={"api": spec.identifier, "fields": fields},
            )
    return api_to_json(saved)


def _kept(
    given: list[ApiPermission] | None, existing: tuple[ApiPermission, ...]
) -> tuple[ApiPermission, ...]:
    """The permissions given, or (None) the existing ones."""
    return existing if given is None else tuple(given)


def _admin_only_marked(
    scopes: tuple[ApiPermission, ...], marked: list[str] | None, before: frozenset[str]
) -> tuple[ApiPermission, ...]:
    """The scopes with ``admin_consent_required`` set on those ``marked`` names (None: on
    those it was set on before)."""
    names = {p.name for p in scopes}
    unknown = sorted(set(marked or ()) - names)
    if unknown:
        raise AdminError(
            f"admin consent required: {unknown[0]!r} is not a scope of the API; its scopes: "
            f"{', '.join(sorted(names)) or '(none)'}"
        )
    chosen = set(marked) if marked is not None else before
    return tuple(replace(p, admin_consent_required=p.name in chosen) for p in scopes)


def get_api(runtime: Runtime, identifier: str) -> Api:
    api = runtime.store.apis.get(identifier)
    if api is None:
        raise AdminError(f"no API {identifier!r}")
    return api


def delete_api(runtime: Runtime, identifier: str) -> dict[str, Any]:
    api = get_api(runtime, identifier)
    in_use = [
        c.client_id
        for c in runtime.store.clients.list()
        if any(bare_name(s, api) is not None for s in c.allowed_scopes)
    ]
    if in_use:
        raise AdminError(f"clients still use this API's scopes: {', '.join(in_use)}")
    with runtime.database.atomic():
        runtime.store.apis.delete(identifier)
        record_admin_change(runtime, "admin.api.deleted", details={"api": identifier})
    return {"deleted": identifier}


def grant_app_role(runtime: Runtime, client_id: str, identifier: str, role: str) -> dict[str, Any]:
    client = runtime.store.clients.get(client_id)
    if client is None:
        raise AdminError(f"no client {client_id!r}")
    if client.is_public:
        raise AdminError(
            "app roles are for confidential clients (daemons, services); this client is public"
        )
    api = get_api(runtime, identifier)
    if role not in api.role_names():
        raise AdminError(
            f"{identifier} has no app role {role!r}; its roles: "
            f"{', '.join(sorted(api.role_names())) or '(none)'}"
        )
    with runtime.database.atomic():
        runtime.store.apis.grant_role(client_id, identifier, role, int(time.time()))
        record_admin_change(
            runtime,
            "admin.role.granted",
            client_id=client_id,
            details={"api": identifier, "role": role},
        )
    return {"client_id": client_id, "api": identifier, "role": role, "granted": True}


def revoke_app_role(runtime: Runtime, client_id: str, identifier: str, role: str) -> dict[str, Any]:
    with runtime.database.atomic():
        if not runtime.store.apis.revoke_role(client_id, identifier, role):
            raise AdminError(f"client {client_id!r} has no app role {role!r} on {identifier}")
        record_admin_change(
            runtime,
            "admin.role.revoked",
            client_id=client_id,
            details={"api": identifier, "role": role},
        )
    return {"client_id": client_id, "api": identifier, "role": role, "granted": False}


def list_app_role_grants(runtime: Runtime, client_id: str | None) -> list[dict[str, str]]:
    return [
        {"client_id": g.client_id, "api": g.api_identifier, "role": g.role}
        for g in runtime.store.apis.role_grants(client_id)
    ]
