"""Assigning an API's app roles to people and groups (`gatehouse grant app-role --user` or
``--group``, the ``app_role_assignments`` section of apply files): the roles a person's
delegated tokens for that API carry in ``roles`` (protocol/person_claims.py). Granting app
roles to clients, for their own tokens, is admin/apis.py."""

from __future__ import annotations

import time
from typing import Any

from gatehouse.admin.apis import get_api
from gatehouse.admin.changes import record_admin_change
from gatehouse.admin.errors import AdminError
from gatehouse.admin.groups import principal_to_json, resolve_principal
from gatehouse.runtime import Runtime
from gatehouse.storage.groups import Principal, RoleAssignment


def _assignment(
    runtime: Runtime, identifier: str, role: str, *, user: str | None, group: str | None
) -> RoleAssignment:
    api = get_api(runtime, identifier)
    if role not in api.role_names():
        raise AdminError(
            f"{identifier} has no app role {role[:300]!r}; its roles: "
            f"{', '.join(sorted(api.role_names())) or '(none)'}"
        )
    return RoleAssignment(identifier, role, resolve_principal(runtime, user=user, group=group))


def _audit_fields(assignment: RoleAssignment) -> dict[str, Any]:
    details = {"api": assignment.api_identifier, "role": assignment.role}
    principal = assignment.principal
    if principal.kind == "user":
        return {"user_id": principal.id, "details": details}
    return {"details": {**details, "group_id": principal.id}}


def assignment_to_json(runtime: Runtime, assignment: RoleAssignment) -> dict[str, Any]:
    return {
        **principal_to_json(runtime, assignment.principal),
        "api": assignment.api_identifier,
        "role": assignment.role,
    }


def assign_app_role(
    runtime: Runtime,
    identifier: str,
    role: str,
    *,
    user: str | None = None,
    group: str | None = None,
) -> dict[str, Any]:
    assignment = _assignment(runtime, identifier, role, user=user, group=group)
    shown = assignment_to_json(runtime, assignment)
    with runtime.database.atomic():
        if not runtime.store.groups.assign_role(assignment, int(time.time())):
            holder = f"user {shown['user']!r}" if "user" in shown else f"group {shown['group']!r}"
            raise AdminError(f"{holder} already has the app role {role!r} of {identifier}")
        record_admin_change(runtime, "admin.role.assigned", **_audit_fields(assignment))
    return {**shown, "assigned": True}


def unassign_app_role(
    runtime: Runtime,
    identifier: str,
    role: str,
    *,
    user: str | None = None,
    group: str | None = None,
) -> dict[str, Any]:
    principal = resolve_principal(runtime, user=user, group=group)
    assignment = RoleAssignment(identifier, role, principal)
    shown = assignment_to_json(runtime, assignment)
    with runtime.database.atomic():
        if not runtime.store.groups.unassign_role(assignment):
            holder = f"user {shown['user']!r}" if "user" in shown else f"group {shown['group']!r}"
            raise AdminError(f"{holder} has no app role {role[:300]!r} of {identifier[:300]}")
        record_admin_change(runtime, "admin.role.unassigned", **_audit_fields(assignment))
    return {**shown, "assigned": False}


def list_assignments(
    runtime: Runtime, *, user: str | None = None, group: str | None = None
) -> list[dict[str, Any]]:
    """Every assignment to people and groups, or those of one user or group."""
    principal: Principal | None = None
    if user is not None or group is not None:
        principal = resolve_principal(runtime, user=user, group=group)
    return [
        assignment_to_json(runtime, a)
        for a in runtime.store.groups.role_assignments(principal=principal)
    ]
