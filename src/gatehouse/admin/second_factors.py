"""What an operator sees and removes of a person's second factors (`gatehouse user
second-factors`, `gatehouse user reset-second-factors`; docs/mfa.md): the way back in for
someone who lost their phone and their recovery codes."""

from __future__ import annotations

from typing import Any

from gatehouse.admin.changes import record_admin_change
from gatehouse.admin.times import iso_time
from gatehouse.admin.users import find_user
from gatehouse.runtime import Runtime
from gatehouse.storage.records import Passkey


def passkey_to_json(passkey: Passkey) -> dict[str, Any]:
    return {
        "id": passkey.id,
        "name": passkey.name,
        "synced": passkey.backup_eligible,
        "created_at": iso_time(passkey.created_at),
        "last_used_at": iso_time(passkey.last_used_at),
    }


def second_factors(runtime: Runtime, ref: str) -> dict[str, Any]:
    """The authenticator app, the recovery codes left and the passkeys of a user; never a
    secret or a code."""
    user = find_user(runtime, ref)
    app = runtime.store.second_factors.totp(user.id)
    confirmed = app is not None and app.confirmed_at is not None
    return {
        "user_id": user.id,
        "username": user.username,
        "authenticator_app": (
            {"added_at": iso_time(app.confirmed_at)} if app is not None and confirmed else None
        ),
        "recovery_codes_left": runtime.store.second_factors.unused_recovery_codes(user.id),
        "passkeys": [passkey_to_json(p) for p in runtime.store.passkeys.list_for_user(user.id)],
    }


def reset_second_factors(runtime: Runtime, ref: str, passkeys: bool) -> dict[str, Any]:
    """Remove a user's authenticator app and recovery codes, and with ``passkeys`` their
    passkeys too. Sessions are left alone: a lost phone is not a stolen password (`gatehouse
    user sign-out` ends them when it is). Under a policy that requires a second factor, the
    next sign-in walks the person through setting one up again."""
    user = find_user(runtime, ref)
    with runtime.database.atomic():
        app_removed = runtime.store.second_factors.remove_totp(user.id)
        removed = []
        if passkeys:
            for passkey in runtime.store.passkeys.list_for_user(user.id):
                if runtime.store.passkeys.remove(user.id, passkey.id) is not None:
                    removed.append(passkey.id)
        result = {"authenticator_app_removed": app_removed, "passkeys_removed": len(removed)}
        record_admin_change(
            runtime,
            "admin.user.second_factors_reset",
            user_id=user.id,
            username=user.username,
            details=result,
        )
    return {"user_id": user.id, "username": user.username, **result}
