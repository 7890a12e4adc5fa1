"""Managing user accounts."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from gatehouse.accounts.passwords import check_password_policy
from gatehouse.admin.errors import AdminError
from gatehouse.runtime import Runtime
from gatehouse.storage.records import User

_USERNAME = re.compile(r"[^\s\x00-\x1f\x7f]{1,255}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}")
PROFILE_FIELDS = ("email", "email_verified", "name", "given_name", "family_name", "phone_number")


def user_to_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "email_verified": user.email_verified,
        "name": user.name,
        "given_name": user.given_name,
        "family_name": user.family_name,
        "phone_number": user.phone_number,
        "disabled": user.disabled,
        "created_at": user.created_at,
    }


def _profile_values(fields: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in PROFILE_FIELDS:
        if fields.get(name) is not None:
            values[name] = fields[name]
    if "email" in values:
        if not _EMAIL.fullmatch(values["email"]):
            raise AdminError(f"{values['email']!r} is not an email address")
        values["email_normalized"] = values["email"].strip().casefold()
    for name in ("name", "given_name", "family_name", "phone_number"):
        if name in values and len(values[name]) > 255:
            raise AdminError(f"{name} is too long")
    return values


def _hash_password(runtime: Runtime, password: str) -> str:
    problem = check_password_policy(password)
    if problem:
        raise AdminError(problem)
    return runtime.passwords.hash(password)


def find_user(runtime: Runtime, ref: str) -> User:
    """A user by id, username or email."""
    user = runtime.store.users.get(ref) or runtime.store.users.find_by_login(ref)
    if user is None:
        raise AdminError(f"no user {ref!r}")
    return user


def create_user(
    runtime: Runtime, username: str, password: str | None, **fields: Any
) -> dict[str, Any]:
    if not _USERNAME.fullmatch(username):
        raise AdminError("a username is 1-255 characters without spaces or control characters")
    users = runtime.store.users
    if users.find_by_login(username) is not None:
        raise AdminError(f"a user named {username!r} already exists")
    values = _profile_values(fields)
    if "email_normalized" in values and users.find_by_login(values["email"]) is not None:
        raise AdminError(f"a user with email {values['email']!r} already exists")
    now = int(time.time())
    user_id = str(uuid.uuid4())
    users.insert(
        {
            "id": user_id,
            "username": username,
            "username_normalized": username.casefold(),
            "password_hash": _hash_password(runtime, password) if password is not None else None,
            "password_changed_at": now if password is not None else None,
            "email_verified": False,
            "phone_number_verified": False,
            "disabled": False,
            "created_at": now,
            "updated_at": now,
            **values,
        }
    )
    return user_to_json(find_user(runtime, user_id))


def update_user(runtime: Runtime, ref: str, **fields: Any) -> dict[str, Any]:
    user = find_user(runtime, ref)
    values = _profile_values(fields)
    if "email_normalized" in values:
        other = runtime.store.users.find_by_login(values["email"])
        if other is not None and other.id != user.id:
            raise AdminError(f"a user with email {values['email']!r} already exists")
    if values:
        runtime.store.users.update(user.id, {**values, "updated_at": int(time.time())})
    return user_to_json(find_user(runtime, user.id))


def set_password(runtime: Runtime, ref: str, password: str) -> dict[str, Any]:
    """A new password ends the user's sessions and refresh tokens."""
    user = find_user(runtime, ref)
    now = int(time.time())
    runtime.store.users.update(
        user.id,
        {
            "password_hash": _hash_password(runtime, password),
            "password_changed_at": now,
            "updated_at": now,
        },
    )
    runtime.store.users.end_sessions_and_tokens(user.id, "password_changed", now)
    return user_to_json(find_user(runtime, user.id))


def set_disabled(runtime: Runtime, ref: str, disabled: bool) -> dict[str, Any]:
    user = find_user(runtime, ref)
    now = int(time.time())
    runtime.store.users.update(user.id, {"disabled": disabled, "updated_at": now})
    if disabled:
        runtime.store.users.end_sessions_and_tokens(user.id, "user_disabled", now)
    return user_to_json(find_user(runtime, user.id))


def delete_user(runtime: Runtime, ref: str) -> dict[str, Any]:
    user = find_user(runtime, ref)
    runtime.store.users.delete(user.id)
    return {"deleted": user.id, "username": user.username}


def list_users(runtime: Runtime) -> list[dict[str, Any]]:
    return [user_to_json(u) for u in runtime.store.users.list()]
