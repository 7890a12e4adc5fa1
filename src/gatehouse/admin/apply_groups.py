"""The ``groups`` and ``app_role_assignments`` sections of `gatehouse apply` files
(admin/apply.py applies them after the users, whom they name).

```yaml
groups:
  - name: engineering
    description: Everyone who builds the shop
    users: [alice, bob]        # usernames (or ids, or emails)
    groups: [frontend]         # nested groups, by name; to any depth, no cycles
app_role_assignments:
  - api: https://orders.example.com
    role: Orders.Approve
    group: engineering         # or user: alice
```
Like the rest of apply, a run adds and updates and never removes: a member or an assignment
left out of the file stays (`gatehouse group remove-member`, `gatehouse revoke app-role`).
"""

from __future__ import annotations

from typing import Any

from gatehouse.admin import groups as group_admin
from gatehouse.admin import role_assignments
from gatehouse.admin.apply_file import Entry, reported_at
from gatehouse.admin.errors import AdminError
from gatehouse.runtime import Runtime
from gatehouse.storage.groups import Principal, RoleAssignment


def _names(entry: dict[str, Any], key: str) -> list[str]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AdminError(f"{key} must be a list of names")
    return list(value)


def _apply_group(runtime: Runtime, entry: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Create the group or bring its description up to date; the fields changed."""
    description = entry.get("description")
    if description is not None and not isinstance(description, str):
        raise AdminError("description must be a string")
    existing = runtime.store.groups.find_by_name(entry["name"])
    if existing is None:
        group_admin.create_group(runtime, entry["name"], description)
        return {"kind": "group", "id": entry["name"], "action": "created"}, []
    if description is not None and (description or None) != existing.description:
        group_admin.update_group(runtime, existing.id, description=description)
        return {"kind": "group", "id": entry["name"], "action": "updated"}, ["description"]
    return {"kind": "group", "id": entry["name"], "action": "unchanged"}, []


def _add_members(runtime: Runtime, entry: dict[str, Any]) -> bool:
    """Add the members the entry lists that the group lacks; whether any was added."""
    group_id = group_admin.find_group(runtime, entry["name"]).id
    present = set(runtime.store.groups.members(group_id))
    added = [_add(runtime, group_id, present, user=name) for name in _names(entry, "users")]
    added += [_add(runtime, group_id, present, group=name) for name in _names(entry, "groups")]
    return any(added)


def _add(
    runtime: Runtime,
    group_id: str,
    present: set[Principal],
    *,
    user: str | None = None,
    group: str | None = None,
) -> bool:
    member = group_admin.resolve_principal(runtime, user=user, group=group)
    if member in present:
        return False
    group_admin.add_member(runtime, group_id, user=user, group=group)
    present.add(member)
    return True


def apply_groups(runtime: Runtime, entries: list[Entry]) -> list[dict[str, Any]]:
    """Every group first, then their members: a group may list one defined further down."""
    changes: list[dict[str, Any]] = []
    fields: list[list[str]] = []
    for entry in entries:
        with reported_at(entry.where):
            change, changed = _apply_group(runtime, entry.values)
        changes.append(change)
        fields.append(changed)
    for entry, change, changed in zip(entries, changes, fields, strict=True):
        with reported_at(entry.where):
            if _add_members(runtime, entry.values):
                changed.append("members")
        if changed and change["action"] != "created":
            change.update(action="updated", fields=sorted(changed))
    return changes


def apply_assignment(runtime: Runtime, entry: dict[str, Any]) -> dict[str, Any]:
    role, user, group = entry.get("role"), entry.get("user"), entry.get("group")
    if not isinstance(role, str):
        raise AdminError("role is required")
    if not all(v is None or isinstance(v, str) for v in (user, group)):
        raise AdminError("user and group are names")
    holder = group_admin.resolve_principal(runtime, user=user, group=group)
    ident = f"{entry['api']} {role} {'user' if user else 'group'} {user or group}"
    held = runtime.store.groups.role_assignments(api_identifier=entry["api"], principal=holder)
    if RoleAssignment(entry["api"], role, holder) in held:
        return {"kind": "app_role_assignment", "id": ident, "action": "unchanged"}
    role_assignments.assign_app_role(runtime, entry["api"], role, user=user, group=group)
    return {"kind": "app_role_assignment", "id": ident, "action": "created"}
