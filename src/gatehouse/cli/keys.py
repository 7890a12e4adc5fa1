"""`gatehouse keys`: list and rotate the signing keys."""

from __future__ import annotations

import time
from typing import Any

import click

from gatehouse.admin.keys import rotate_keys
from gatehouse.cli.options import database_option
from gatehouse.cli.output import emit
from gatehouse.runtime import Runtime
from gatehouse.storage.records import StoredKey


@click.group()
def keys() -> None:
    """Signing keys."""


def _key_json(key: StoredKey, now: int, signing: set[str]) -> dict[str, Any]:
    if key.kid in signing:
        state = "signing"
    elif key.activates_at > now:
        state = "pre-published"
    elif key.published_until is not None and key.published_until <= now:
        state = "expired"
    else:
        state = "retired (still published)"
    return {
        "kid": key.kid,
        "alg": key.alg,
        "state": state,
        "created_at": key.created_at,
        "activates_at": key.activates_at,
        "retired_at": key.retired_at,
        "published_until": key.published_until,
    }


def _signing_kids(runtime: Runtime) -> set[str]:
    return {k.kid for k in runtime.keys.keyring().signing.values() if k.kid}


@keys.command("list")
@database_option
def keys_list(runtime: Runtime) -> None:
    """Every key with its state."""
    now = int(time.time())
    runtime.keys.ensure_signing_keys(now)
    emit([_key_json(k, now, _signing_kids(runtime)) for k in runtime.keys.list_keys()])


@keys.command("rotate")
@click.option(
    "--alg",
    "algs",
    multiple=True,
    type=click.Choice(["RS256", "ES256"]),
    help="Algorithm to rotate (repeatable; default: all).",
)
@click.option(
    "--delay",
    type=click.IntRange(0),
    default=None,
    help="Seconds before the new key signs (default: GATEHOUSE_KEY_ROTATION_DELAY).",
)
@database_option
def keys_rotate(runtime: Runtime, algs: tuple[str, ...], delay: int | None) -> None:
    """Publish a new key now, sign with it after the delay, keep old keys published until
    their tokens have expired."""
    created = rotate_keys(runtime, algs, delay)
    now = int(time.time())
    # A key rotated in with no delay signs at once: report it as such.
    emit({"created": [_key_json(k, now, _signing_kids(runtime)) for k in created]})
