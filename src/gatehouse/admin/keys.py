"""Rotating the signing keys (`gatehouse keys rotate`), recorded in the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from gatehouse.admin.changes import record_admin_change
from gatehouse.runtime import Runtime
from gatehouse.storage.records import StoredKey

ROTATED_ALGS = ("RS256", "ES256")


def longest_token_lifetime(runtime: Runtime) -> timedelta:
    """The longest any token signed by a retiring key can live."""
    settings = runtime.settings
    # An API may set its own access token lifetime, longer than the default.
    api_lifetimes = [
        timedelta(seconds=api.access_token_lifetime)
        for api in runtime.store.apis.list()
        if api.access_token_lifetime
    ]
    # An ID token also serves as id_token_hint (sign-out, prompt=none) for as long as its
    # SSO session can live, expired or not (RP-Initiated Logout 1.0 §2): the key that signed
    # it must still verify it then.
    return max(
        settings.access_token_lifetime,
        settings.id_token_lifetime,
        settings.session_absolute_lifetime,
        *api_lifetimes,
    )


def rotate_keys(runtime: Runtime, algs: Sequence[str], delay: int | None) -> list[StoredKey]:
    """Publish a new key for each of ``algs`` (default: all) now, signing after ``delay``
    seconds (default: GATEHOUSE_KEY_ROTATION_DELAY); the keys they replace stay published
    until their tokens have expired."""
    with runtime.database.atomic():
        created = runtime.keys.rotate(
            algs or ROTATED_ALGS,
            timedelta(seconds=delay) if delay is not None else runtime.settings.key_rotation_delay,
            longest_token_lifetime(runtime),
        )
        record_admin_change(
            runtime,
            "admin.key.rotated",
            details={
                "kids": [key.kid for key in created],
                "algs": [key.alg for key in created],
                "activates_at": max(key.activates_at for key in created),
            },
        )
    return created
