"""The tenants (`gatehouse tenant create|list|show|update|delete`): each an organisation with
its own issuer, keys, clients, users and settings, over the one database (docs/tenants.md).

Commands about tenants work on the default tenant's runtime (whatever ``--tenant`` says) and
record what they change in the default tenant's audit log: the log of whoever runs the
server, which outlives a deleted tenant.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from pydantic import ValidationError

from gatehouse.admin.changes import record_admin_change
from gatehouse.admin.errors import AdminError
from gatehouse.admin.multi_tenant import end_presences
from gatehouse.admin.times import iso_time
from gatehouse.runtime import Runtime, tenant_runtime
from gatehouse.storage.tenants import Tenant
from gatehouse.tenancy import (
    DEFAULT_TENANT,
    ProfileError,
    TenantNameError,
    TenantProfile,
    check_tenant_name,
    tenant_issuer,
)


def _shown(value: Any) -> Any:
    return int(value.total_seconds()) if isinstance(value, timedelta) else value


def tenant_to_json(runtime: Runtime, tenant: Tenant) -> dict[str, Any]:
    issuer = tenant_issuer(runtime.provider.config.issuer, tenant.id)
    profile = tenant.profile
    return {
        "name": tenant.id,
        "issuer": issuer,
        "discovery": f"{issuer}/.well-known/openid-configuration",
        "created_at": iso_time(tenant.created_at),
        "settings": {
            name: _shown(getattr(profile, name))
            for name in TenantProfile.model_fields
            if getattr(profile, name) is not None
        },
    }


def describe_settings() -> list[dict[str, Any]]:
    """Each tenant setting with its meaning (`gatehouse tenant show --describe`)."""
    return [
        {"key": name, "description": field.description}
        for name, field in TenantProfile.model_fields.items()
    ]


def _name(name: str, *, new: bool = False) -> str:
    try:
        return check_tenant_name(name, new=new)
    except TenantNameError as exc:
        raise AdminError(str(exc)) from None


def _existing(runtime: Runtime, name: str) -> Tenant:
    tenant = runtime.store.tenants.get(_name(name))
    if tenant is None:
        raise AdminError(f"there is no tenant {name!r} (`gatehouse tenant list` shows them)")
    return tenant


def _profile(
    runtime: Runtime, current: TenantProfile, assignments: tuple[str, ...], reset: tuple[str, ...]
) -> TenantProfile:
    changes: dict[str, str] = {}
    for assignment in assignments:
        key, sep, value = assignment.partition("=")
        if not sep or not key.strip():
            raise AdminError(f"{assignment!r} is not KEY=VALUE (for example display_name=Acme)")
        changes[key.strip()] = value.strip()
    try:
        profile = current.with_changes(changes, reset)
        # The lifetimes must make sense with the server's other settings, as they would
        # were they the server's own (a refresh token's idle lifetime within its absolute).
        runtime.settings.with_overrides(**profile.lifetime_overrides())
    except ProfileError as exc:
        raise AdminError(str(exc)) from None
    except ValidationError as exc:
        error = exc.errors()[0]
        where = f"{error['loc'][0]}: " if error["loc"] else ""
        raise AdminError(f"{where}{error['msg'].removeprefix('Value error, ')}") from None
    return profile


def _domains_free(runtime: Runtime, name: str, profile: TenantProfile) -> None:
    """A domain names one tenant: the common authority sends its people there."""
    for other in runtime.store.tenants.list():
        taken = set(profile.domains or ()) & set(other.profile.domains or ())
        if other.id != name and taken:
            raise AdminError(f"domain {min(taken)!r} is tenant {other.id!r}'s already")


def list_tenants(runtime: Runtime) -> list[dict[str, Any]]:
    return [tenant_to_json(runtime, t) for t in runtime.store.tenants.list()]


def show_tenant(runtime: Runtime, name: str) -> dict[str, Any]:
    return tenant_to_json(runtime, _existing(runtime, name))


def create_tenant(runtime: Runtime, name: str, assignments: tuple[str, ...] = ()) -> dict[str, Any]:
    """A new tenant with its signing keys, in one transaction."""
    _name(name, new=True)
    profile = _profile(runtime, TenantProfile(), assignments, ())
    _domains_free(runtime, name, profile)
    tenants = runtime.store.tenants
    with runtime.database.atomic():
        if tenants.get(name) is not None or not tenants.create(name, profile, int(time.time())):
            raise AdminError(f"there is already a tenant {name!r}")
        created = tenants.get(name)
        assert created is not None
        tenant_runtime(runtime, created).keys.ensure_signing_keys()
        details = {"tenant": name, "keys": sorted(profile.as_stored())}
        record_admin_change(runtime, "admin.tenant.created", details=details)
    return tenant_to_json(runtime, created)


def update_tenant(
    runtime: Runtime, name: str, assignments: tuple[str, ...], reset: tuple[str, ...]
) -> dict[str, Any]:
    if name == DEFAULT_TENANT:
        raise AdminError(
            "the default tenant has no tenant settings: its lifetimes are the server's "
            "(GATEHOUSE_* settings) and its pages keep gatehouse's own look"
        )
    current = _existing(runtime, name)
    profile = _profile(runtime, current.profile, assignments, reset)
    _domains_free(runtime, name, profile)
    with runtime.database.atomic():
        runtime.store.tenants.update(name, profile)
        keys = sorted({a.partition("=")[0].strip() for a in assignments} | set(reset))
        record_admin_change(runtime, "admin.tenant.updated", details={"tenant": name, "keys": keys})
    return show_tenant(runtime, name)


def delete_tenant(runtime: Runtime, name: str) -> dict[str, Any]:
    """Delete the tenant and everything that belongs to it, in one transaction."""
    if name == DEFAULT_TENANT:
        raise AdminError("the default tenant cannot be deleted")
    tenant = _existing(runtime, name)
    with runtime.database.atomic():
        # Its multi-tenant applications leave the tenants they were present in, so that a
        # tenant created later under this name inherits none of those presences.
        own = tenant_runtime(runtime, tenant)
        for client in own.store.clients.list():
            if client.multi_tenant:
                end_presences(own, client)
        deleted = runtime.store.tenants.delete(name)
        if deleted is None:
            raise AdminError(f"there is no tenant {name!r}")
        record_admin_change(
            runtime,
            "admin.tenant.deleted",
            details={"tenant": name, "rows": sum(deleted.values())},
        )
    return {"deleted": name, "rows": deleted}
