"""Managing user accounts."""

from __future__ import annotations

import time
import uuid
from typing import Any

from gatehouse.accounts.identifiers import is_username
from gatehouse.accounts.passwords import check_password_policy
from gatehouse.accounts.profile import PROFILE_FIELDS as PROFILE_FIELDS
from gatehouse.accounts.profile import ProfileError, changed_profile
from gatehouse.accounts.sessions import sign_out
from gatehouse.admin.changes import changed_fields, record_admin_change
from gatehouse.admin.errors import AdminError
from gatehouse.runtime import Runtime
from gatehouse.storage.records import SessionSelector, User, UserProfile

NO_PROFILE = UserProfile(
    email=None,
    email_verified=False,
    name=None,
    given_name=None,
    family_name=None,
    phone_number=None,
    phone_number_verified=False,
    address=None,
)


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
        "address": user.address,
        "disabled": user.disabled,
        "created_at": user.created_at,
    }


def _profile(fields: dict[str, Any], base: UserProfile) -> UserProfile:
    """``base`` with the PROFILE_FIELDS given in ``fields`` (None: keep), checked."""
    given = {name: fields[name] for name in PROFILE_FIELDS if fields.get(name) is not None}
    try:
        return changed_profile(base, given)
    except ProfileError as exc:
        raise AdminError(str(exc)) from None


def _email_taken(runtime: Runtime, email: str | None, user_id: str | None) -> bool:
    other = runtime.store.users.find_by_login(email) if email is not None else None
    return other is not None and other.id != user_id


def _hash_password(runtime: Runtime, password: str, personal: tuple[str | None, ...]) -> str:
    """The hash of a new password that passes the tenant's password policy."""
    problem = check_password_policy(password, runtime.store.policy.get(), personal)
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
    if not is_username(username):
        raise AdminError("a username is 1-255 characters without spaces or control characters")
    users = runtime.store.users
    if users.find_by_login(username) is not None:
        raise AdminError(f"a user named {username!r} already exists")
    profile = _profile(fields, NO_PROFILE)
    if _email_taken(runtime, profile.email, None):
        raise AdminError(f"a user with email {profile.email!r} already exists")
    now = int(time.time())
    user = User(
        id=str(uuid.uuid4()),
        username=username,
        **profile.as_fields(),
        disabled=False,
        password_hash=(
            _hash_password(runtime, password, (username, profile.email))
            if password is not None
            else None
        ),
        password_changed_at=now if password is not None else None,
        created_at=now,
        updated_at=now,
    )
    with runtime.database.atomic():
        users.insert(user)
        record_admin_change(runtime, "admin.user.created", user_id=user.id)
    return user_to_json(find_user(runtime, user.id))


def update_user(runtime: Runtime, ref: str, **fields: Any) -> dict[str, Any]:
    user = find_user(runtime, ref)
    current = UserProfile.of(user)
    profile = _profile(fields, current)
    if profile.email != current.email and _email_taken(runtime, profile.email, user.id):
        raise AdminError(f"a user with email {profile.email!r} already exists")
    if any(fields.get(name) is not None for name in PROFILE_FIELDS):
        with runtime.database.atomic():
            runtime.store.users.update_profile(user.id, profile, int(time.time()))
            _record_update(
                runtime, user.id, changed_fields(current.as_fields(), profile.as_fields())
            )
    return user_to_json(find_user(runtime, user.id))


def _record_update(runtime: Runtime, user_id: str, fields: list[str]) -> None:
    record_admin_change(runtime, "admin.user.updated", user_id=user_id, details={"fields": fields})


def set_password(runtime: Runtime, ref: str, password: str) -> dict[str, Any]:
    """A new password signs the user out everywhere and ends every grant (offline ones
    too): whoever knew the old one keeps nothing."""
    user = find_user(runtime, ref)
    now = int(time.time())
    password_hash = _hash_password(runtime, password, (user.username, user.email))
    with runtime.database.atomic():
        runtime.store.users.set_password(user.id, password_hash, now)
        sign_out(runtime.store.sessions, everything_of(user), now, "password_changed")
        _record_update(runtime, user.id, ["password"])
    return user_to_json(find_user(runtime, user.id))


def set_disabled(runtime: Runtime, ref: str, disabled: bool) -> dict[str, Any]:
    """Disabling signs the user out everywhere and ends every grant."""
    user = find_user(runtime, ref)
    now = int(time.time())
    with runtime.database.atomic():
        runtime.store.users.set_disabled(user.id, disabled, now)
        if disabled:
            sign_out(runtime.store.sessions, everything_of(user), now, "user_disabled")
        _record_update(runtime, user.id, ["disabled"] if disabled != user.disabled else [])
    return user_to_json(find_user(runtime, user.id))


def everything_of(user: User) -> SessionSelector:
    return SessionSelector(user_id=user.id, every_grant=True)


def sign_out_user(runtime: Runtime, ref: str) -> dict[str, Any]:
    """`gatehouse user sign-out`: end every SSO session of the user and the grants issued
    within them (offline tokens stay), telling every application that took part."""
    user = find_user(runtime, ref)
    which = SessionSelector(user_id=user.id)
    with runtime.database.atomic():
        ended = sign_out(runtime.store.sessions, which, int(time.time()), "operator_sign_out")
        # Each ended session is its own session.ended event; this one is the operator's act.
        record_admin_change(
            runtime,
            "admin.user.signed_out",
            user_id=user.id,
            details={"sessions_ended": len(ended)},
        )
    return {
        "user": user.id,
        "username": user.username,
        "sessions_ended": [
            {
                "sid": session.sid,
                "clients": list(session.client_ids),
                "backchannel_logouts_queued": list(session.backchannel_client_ids),
            }
            for session in ended
        ],
    }


def delete_user(runtime: Runtime, ref: str) -> dict[str, Any]:
    user = find_user(runtime, ref)
    with runtime.database.atomic():
        runtime.store.users.delete(user.id)
        record_admin_change(runtime, "admin.user.deleted", user_id=user.id)
    return {"deleted": user.id, "username": user.username}


def list_users(runtime: Runtime) -> list[dict[str, Any]]:
    return [user_to_json(u) for u in runtime.store.users.list()]
