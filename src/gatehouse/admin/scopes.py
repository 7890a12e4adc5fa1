"""Custom scopes and the descriptions the consent page shows."""

from __future__ import annotations

import re
import time
from typing import Any

from gatehouse.admin.changes import record_admin_change
from gatehouse.admin.errors import AdminError
from gatehouse.protocol.scopes import STANDARD_SCOPES
from gatehouse.runtime import Runtime

# RFC 6749 §3.3 scope-token: printable ASCII except space, " and \
_SCOPE = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]{1,255}")


def upsert_scope(runtime: Runtime, name: str, description: str) -> tuple[dict[str, Any], bool]:
    if not _SCOPE.fullmatch(name):
        raise AdminError(
            "a scope name is 1-255 printable ASCII characters without spaces, quotes or backslashes"
        )
    if name in STANDARD_SCOPES:
        raise AdminError(f"{name!r} is a standard OpenID scope and cannot be redefined")
    description = description.strip()
    if not description or len(description) > 1024:
        raise AdminError(
            "a description is required (at most 1024 characters): the consent page shows it"
        )
    with runtime.database.atomic():
        created = not runtime.store.scopes.get_many([name])
        changed = runtime.store.scopes.upsert(name, description, int(time.time()))
        if changed:
            kind = "admin.scope.created" if created else "admin.scope.updated"
            record_admin_change(runtime, kind, details={"scope": name})
    return {"name": name, "description": description}, changed


def list_scopes(runtime: Runtime) -> list[dict[str, Any]]:
    standard = [{"name": n, "description": d, "standard": True} for n, d in STANDARD_SCOPES.items()]
    custom = [
        {"name": s.name, "description": s.description, "standard": False}
        for s in runtime.store.scopes.list()
    ]
    return standard + custom


def delete_scope(runtime: Runtime, name: str) -> dict[str, Any]:
    in_use = [c.client_id for c in runtime.store.clients.list() if name in c.allowed_scopes]
    if in_use:
        raise AdminError(f"scope {name!r} is still allowed for client(s): {', '.join(in_use)}")
    with runtime.database.atomic():
        if not runtime.store.scopes.delete(name):
            raise AdminError(f"no custom scope {name!r}")
        record_admin_change(runtime, "admin.scope.deleted", details={"scope": name})
    return {"deleted": name}
