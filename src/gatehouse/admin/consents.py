"""Reviewing and revoking the consents users gave to clients."""

from __future__ import annotations

import time
from typing import Any

from gatehouse.accounts.consents import withdraw_consent
from gatehouse.admin.changes import record_admin_change
from gatehouse.admin.errors import AdminError
from gatehouse.admin.users import find_user
from gatehouse.runtime import Runtime


def list_consents(runtime: Runtime, user_ref: str) -> list[dict[str, Any]]:
    user = find_user(runtime, user_ref)
    return [
        {
            "user": user.username,
            "client_id": c.client_id,
            "scopes": sorted(c.scopes),
            "granted_at": c.granted_at,
        }
        for c in runtime.store.consents.list_for_user(user.id)
    ]


def revoke_consent(runtime: Runtime, user_ref: str, client_id: str) -> dict[str, Any]:
    """Withdraw consent: the next sign-in asks again, and every refresh token of the user for
    the client stops working now (accounts/consents.py)."""
    user = find_user(runtime, user_ref)
    store = runtime.store
    with runtime.database.atomic():
        revoked = withdraw_consent(
            store.consents, store.refresh_tokens, user.id, client_id, int(time.time())
        )
        if revoked is None:
            raise AdminError(f"{user.username} has not consented to {client_id!r}")
        # The same event as the person's own withdrawal on the account page, by an operator.
        record_admin_change(
            runtime,
            "consent.revoked",
            user_id=user.id,
            client_id=client_id,
            details={"refresh_tokens_revoked": revoked},
        )
    return {
        "user": user.username,
        "client_id": client_id,
        "revoked": True,
        "refresh_tokens_revoked": revoked,
    }
