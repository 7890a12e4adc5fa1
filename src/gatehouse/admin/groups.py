"""Groups of people (`gatehouse group`, the ``groups`` section of apply files).

A group's members are users and other groups, to any depth (docs/groups-and-roles.md); a
member that would make a group contain itself is refused. A group is named by its id or its
name wherever the commands take one.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import replace
from typing import Any

from gatehouse.admin.changes import changed_fields, record_admin_change
from gatehouse.admin.errors import AdminError
from gatehouse.admin.users import find_user
from gatehouse.runtime import Runtime
from gatehouse.storage.groups import Group, Principal

MAX_NAME = 255
MAX_DESCRIPTION = 1024
_UUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def group_to_json(group: Group) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "description": group.description,
        "created_at": group.created_at,
    }


def find_group(runtime: Runtime, ref: str) -> Group:
    """A group by id or name."""
    groups = runtime.store.groups
    group = groups.get(ref) or groups.find_by_name(ref)
    if group is None:
        raise AdminError(f"no group {ref[:300]!r}")
    return group


def _checked_name(name: str) -> str:
    """1-255 characters without control characters, not blank at either end, and not shaped
    like a group id (a name is also how a group is looked up)."""
    if not name or len(name) > MAX_NAME or _CONTROL.search(name) or name != name.strip():
        raise AdminError(
            f"a group name is 1-{MAX_NAME} characters, without control characters or spaces at "
            "either end"
        )
    if _UUID.fullmatch(name):
        raise AdminError("a group name cannot look like a group id (a UUID)")
    return name


def _checked_description(description: str | None) -> str | None:
    if description is not None and (len(description) > MAX_DESCRIPTION or "\x00" in description):
        raise AdminError(f"a group description is at most {MAX_DESCRIPTION} characters")
    return description or None


def _name_is_free(runtime: Runtime, name: str, group_id: str | None) -> None:
    other = runtime.store.groups.find_by_name(name)
    if other is not None and other.id != group_id:
        raise AdminError(f"a group named {other.name!r} already exists")


def create_group(runtime: Runtime, name: str, description: str | None = None) -> dict[str, Any]:
    _name_is_free(runtime, _checked_name(name), None)
    now = int(time.time())
    group = Group(str(uuid.uuid4()), name, _checked_description(description), now, now)
    with runtime.database.atomic():
        runtime.store.groups.insert(group)
        record_admin_change(
            runtime, "admin.group.created", details={"group_id": group.id, "name": name}
        )
    return group_to_json(group)


def update_group(
    runtime: Runtime, ref: str, *, name: str | None = None, description: str | None = None
) -> dict[str, Any]:
    """Rename a group or change its description (None: keep; "" clears the description)."""
    group = find_group(runtime, ref)
    changed = replace(
        group,
        name=_checked_name(name) if name is not None else group.name,
        description=_checked_description(description)
        if description is not None
        else group.description,
        updated_at=int(time.time()),
    )
    fields = changed_fields(group_to_json(group), group_to_json(changed))
    if fields:
        _name_is_free(runtime, changed.name, group.id)
        with runtime.database.atomic():
            runtime.store.groups.update(changed)
            record_admin_change(
                runtime, "admin.group.updated", details={"group_id": group.id, "fields": fields}
            )
    return group_to_json(changed)


def delete_group(runtime: Runtime, ref: str) -> dict[str, Any]:
    group = find_group(runtime, ref)
    with runtime.database.atomic():
        runtime.store.groups.delete(group.id)
        record_admin_change(
            runtime, "admin.group.deleted", details={"group_id": group.id, "name": group.name}
        )
    return {"deleted": group.id, "name": group.name}


def list_groups(runtime: Runtime) -> list[dict[str, Any]]:
    return [group_to_json(g) for g in runtime.store.groups.list()]


def show_group(runtime: Runtime, ref: str) -> dict[str, Any]:
    """The group, its direct members, and the app roles assigned to it."""
    group = find_group(runtime, ref)
    store = runtime.store
    members = [principal_to_json(runtime, m) for m in store.groups.members(group.id)]
    roles = store.groups.role_assignments(principal=Principal("group", group.id))
    return {
        **group_to_json(group),
        "members": members,
        "app_roles": [{"api": a.api_identifier, "role": a.role} for a in roles],
    }


def groups_of_user(runtime: Runtime, user_id: str) -> list[dict[str, Any]]:
    """Every group the user is in, directly or through a group within a group (what the
    ``groups`` claim carries), by name; ``direct``: a member of the group itself."""
    groups = runtime.store.groups
    person = Principal("user", user_id)
    found = [g for g in map(groups.get, groups.containing(person)) if g is not None]
    return [
        {"id": g.id, "name": g.name, "direct": person in groups.members(g.id)}
        for g in sorted(found, key=lambda g: g.name.lower())
    ]


def principal_to_json(runtime: Runtime, principal: Principal) -> dict[str, Any]:
    """A member or role holder as the commands print it: its id and its name."""
    if principal.kind == "user":
        user = runtime.store.users.get(principal.id)
        return {"user": user.username if user else None, "user_id": principal.id}
    group = runtime.store.groups.get(principal.id)
    return {"group": group.name if group else None, "group_id": principal.id}


def resolve_principal(runtime: Runtime, *, user: str | None, group: str | None) -> Principal:
    """The one user (id, username or email) or group (id or name) an option names."""
    if (user is None) == (group is None):
        raise AdminError("name either a user (--user) or a group (--group)")
    if user is not None:
        return Principal("user", find_user(runtime, user).id)
    assert group is not None
    return Principal("group", find_group(runtime, group).id)


def _audit_fields(group: Group, member: Principal) -> dict[str, Any]:
    if member.kind == "user":
        return {"user_id": member.id, "details": {"group_id": group.id}}
    return {"details": {"group_id": group.id, "member_group_id": member.id}}


def add_member(
    runtime: Runtime, ref: str, *, user: str | None = None, group: str | None = None
) -> dict[str, Any]:
    target = find_group(runtime, ref)
    member = resolve_principal(runtime, user=user, group=group)
    shown = principal_to_json(runtime, member)
    with runtime.database.atomic():
        if member.kind == "group":
            _refuse_cycle(runtime, target, member, shown["group"])
        if not runtime.store.groups.add_member(target.id, member, int(time.time())):
            raise AdminError(f"{_label(shown)} is already a member of {target.name!r}")
        record_admin_change(runtime, "admin.group.member_added", **_audit_fields(target, member))
    return {"group": target.name, "group_id": target.id, "member": shown, "member_of": True}


def _refuse_cycle(runtime: Runtime, target: Group, member: Principal, name: str) -> None:
    """A group may not contain itself, directly or through the groups it contains."""
    if member.id == target.id:
        raise AdminError(f"group {target.name!r} cannot be a member of itself")
    if member.id in runtime.store.groups.containing(Principal("group", target.id)):
        raise AdminError(
            f"adding group {name!r} to {target.name!r} would make a cycle: {target.name!r} is "
            f"already within {name!r}"
        )


def remove_member(
    runtime: Runtime, ref: str, *, user: str | None = None, group: str | None = None
) -> dict[str, Any]:
    target = find_group(runtime, ref)
    member = resolve_principal(runtime, user=user, group=group)
    shown = principal_to_json(runtime, member)
    with runtime.database.atomic():
        if not runtime.store.groups.remove_member(target.id, member):
            raise AdminError(f"{_label(shown)} is not a member of {target.name!r}")
        record_admin_change(runtime, "admin.group.member_removed", **_audit_fields(target, member))
    return {"group": target.name, "group_id": target.id, "member": shown, "member_of": False}


def _label(shown: dict[str, Any]) -> str:
    return f"user {shown['user']!r}" if "user" in shown else f"group {shown['group']!r}"
