"""Multi-tenant applications, the administrator's side (docs/multi-tenant-apps.md).

- A client's id must name one application across tenants once it is multi-tenant: a request
  to tenant B names only the client_id, so B must find exactly one home for it. Marking a
  client multi-tenant is refused while another tenant has a client of that id, and
  registering a client is refused when its id is another tenant's multi-tenant client.
- Its presence in another tenant (an admin consent naming the home tenant) is created by
  ``gatehouse --tenant B consent grant-admin --client X`` (admin/admin_consents.py) or by a
  person's consent where B's policy allows it (protocol/multi_tenant.py), and removed here.
- Removing a presence, or the home tenant making the client single-tenant or deleting it,
  stops the application in the tenants it was present in: their consents, codes, refresh
  tokens and sessions' links to it are deleted in the same transaction (the presence's
  rows go as a deleted client's do), and its token requests there answer invalid_client.
"""

from __future__ import annotations

import time
from typing import Any

from gatehouse.admin.changes import record_admin_change
from gatehouse.admin.errors import AdminError
from gatehouse.runtime import Runtime, tenant_runtime
from gatehouse.storage.records import Client

PRESENCE_ENDED = "presence_ended"


def check_client_id_free(runtime: Runtime, client_id: str, *, multi_tenant: bool) -> None:
    """AdminError unless ``client_id`` can be this tenant's (``multi_tenant``: and be a
    multi-tenant client's, unique across every tenant)."""
    here = runtime.store.tenant_id
    home = runtime.store.multi_tenant.home_of(client_id)
    if home is not None and home != here:
        raise AdminError(
            f"client_id {client_id!r} is the multi-tenant application of tenant {home!r}: a "
            "multi-tenant client's id names it in every tenant; choose another client_id"
        )
    if multi_tenant:
        others = [t for t in runtime.store.multi_tenant.tenants_with_client(client_id) if t != here]
        if others:
            raise AdminError(
                f"client {client_id!r} cannot be multi-tenant: tenant {others[0]!r} has a "
                "client of that id too, and a multi-tenant client's id must name one "
                "application in every tenant (rename or delete the other one first)"
            )


def end_presences(runtime: Runtime, client: Client) -> list[str]:
    """End the presences of this tenant's multi-tenant ``client`` in every other tenant
    (it is being deleted or made single-tenant); call inside the change's transaction. The
    tenants, recorded in this tenant's audit log; each of them records in its own log that
    the application left it (its administrators did not do it, and must be able to see why)."""
    home = runtime.store.tenant_id
    directory = runtime.store.multi_tenant
    ended = [t for t in directory.presences(home, client.client_id) if t != home]
    for name in ended:
        tenant = runtime.store.tenants.get(name)
        if tenant is not None:
            there = tenant_runtime(runtime, tenant)
            _end_presence(there, client.client_id)
            record_admin_change(
                there,
                "admin.presence.ended",
                client_id=client.client_id,
                details={"home_tenant": home},
            )
    if ended:
        record_admin_change(
            runtime,
            "admin.client.presences_ended",
            client_id=client.client_id,
            details={"tenants": ended},
        )
    return ended


def list_presences(runtime: Runtime) -> list[dict[str, Any]]:
    """The other tenants' multi-tenant applications present in this tenant."""
    return [
        {
            "client_id": c.client_id,
            "home_tenant": c.home_tenant,
            "admin_consented_scopes": sorted(c.scopes),
            "since": c.granted_at,
        }
        for c in runtime.store.admin_consents.list()
        if c.home_tenant is not None
    ]


def remove_presence(runtime: Runtime, client_id: str) -> dict[str, Any]:
    """Remove another tenant's application from this tenant, with every consent, code,
    refresh token and session link of it here."""
    tenant = runtime.store.tenant_id
    with runtime.database.atomic():
        presence = runtime.store.admin_consents.get(client_id)
        if presence is None or presence.home_tenant is None:
            raise AdminError(
                f"tenant {tenant!r} has no presence of a multi-tenant application "
                f"{client_id!r} (gatehouse consent list-presences)"
            )
        _end_presence(runtime, client_id)
        record_admin_change(
            runtime,
            "admin.presence.removed",
            client_id=client_id,
            details={"home_tenant": presence.home_tenant},
        )
    return {"client_id": client_id, "home_tenant": presence.home_tenant, "removed": True}


def _end_presence(runtime: Runtime, client_id: str) -> None:
    """End the presence in ``runtime``'s tenant: its live grants revoked first, so that the
    access tokens issued from them go on the deny-list (UserInfo, introspection), then the
    presence and every row of the client there deleted."""
    now = int(time.time())
    for grant in runtime.store.admin_consents.live_grants(client_id, now):
        runtime.store.revocations.revoke_grant(grant.grant_id, PRESENCE_ENDED, now)
    runtime.store.multi_tenant.end_presence(runtime.store.tenant_id, client_id)


def foreign_client(runtime: Runtime, client_id: str) -> tuple[str, Client] | None:
    """(home tenant, client) when ``client_id`` is another tenant's multi-tenant client."""
    home = runtime.store.multi_tenant.home_of(client_id)
    if home is None or home == runtime.store.tenant_id:
        return None
    found = runtime.store.multi_tenant.home_client(home, client_id)
    return (home, found[0]) if found is not None else None
