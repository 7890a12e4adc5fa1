"""Upstream identity providers (`gatehouse federation`, and `upstream_providers` in
`apply`): the OpenID Connect providers people of this tenant may sign in with
(docs/federation.md; storage/federation.py, protocol/federation/).

The client secret is sealed with the key-encryption key (it must be sent to the upstream,
so it cannot be hashed) and is never printed back: the JSON says only whether one is set.
"""

from __future__ import annotations

import contextlib
import re
import time
from dataclasses import dataclass
from typing import Any

from gatehouse.accounts.identifiers import has_hostile_characters
from gatehouse.admin.changes import changed_fields, record_admin_change
from gatehouse.admin.errors import AdminError
from gatehouse.crypto import constant_time_equals
from gatehouse.keys.encryption import KeyDecryptionError
from gatehouse.protocol.federation.accounts import MAPPABLE
from gatehouse.protocol.federation.logout import signed_out_uri
from gatehouse.protocol.federation.sealed import open_secret, seal_secret
from gatehouse.protocol.federation.start import callback_uri
from gatehouse.protocol.redirect_uris import server_url_problem
from gatehouse.runtime import Runtime
from gatehouse.storage.federation import UpstreamProvider

# In URLs and the audit log: lower case, digits, - and _.
_ALIAS = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_PRINTABLE = re.compile(r"[!-~]{1,255}")
_SCOPE = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]{1,128}")  # RFC 6749 §3.3 scope-token
MAX_DISPLAY_NAME = 80
DEFAULT_SCOPES = ("openid", "profile", "email")


@dataclass
class UpstreamSpec:
    """What an operator asks for; None keeps what is stored (on a new upstream: the
    default). ``claim_mappings`` replaces the stored ones: local field -> upstream claim."""

    alias: str
    display_name: str | None = None
    discovery_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    scopes: list[str] | None = None
    claim_mappings: dict[str, str] | None = None
    jit: bool | None = None


def upstream_to_json(runtime: Runtime, upstream: UpstreamProvider) -> dict[str, Any]:
    provider = runtime.provider
    return {
        "alias": upstream.alias,
        "display_name": upstream.display_name,
        "discovery_url": upstream.discovery_url,
        "client_id": upstream.client_id,
        "client_secret_set": True,
        "scopes": list(upstream.scopes),
        "claim_mappings": dict(sorted(upstream.claim_mappings.items())),
        "jit": upstream.jit,
        # What to register at the upstream for gatehouse's client there.
        "redirect_uri": callback_uri(provider),
        "post_logout_redirect_uri": signed_out_uri(provider),
        "created_at": upstream.created_at,
        "updated_at": upstream.updated_at,
    }


def list_upstreams(runtime: Runtime) -> list[dict[str, Any]]:
    return [upstream_to_json(runtime, u) for u in runtime.store.upstreams.list()]


def show_upstream(runtime: Runtime, alias: str) -> dict[str, Any]:
    return upstream_to_json(runtime, _get(runtime, alias))


def _get(runtime: Runtime, alias: str) -> UpstreamProvider:
    found = runtime.store.upstreams.get(alias)
    if found is None:
        raise AdminError(f"no upstream identity provider {alias[:64]!r}")
    return found


def add_upstream(runtime: Runtime, spec: UpstreamSpec) -> dict[str, Any]:
    if runtime.store.upstreams.get(spec.alias) is not None:
        raise AdminError(f"an upstream identity provider {spec.alias!r} already exists")
    return save_upstream(runtime, spec)[0]


def update_upstream(runtime: Runtime, spec: UpstreamSpec) -> dict[str, Any]:
    _get(runtime, spec.alias)
    return save_upstream(runtime, spec)[0]


def save_upstream(runtime: Runtime, spec: UpstreamSpec) -> tuple[dict[str, Any], bool]:
    """Add or change the upstream; (its JSON, whether anything changed). The audit event
    names the fields that changed, never their values."""
    existing = runtime.store.upstreams.get(spec.alias)
    desired = validated_upstream(runtime, spec, existing, int(time.time()))
    before = _comparable(runtime, existing) if existing is not None else {}
    fields = changed_fields(before, _comparable(runtime, desired))
    if existing is not None and desired.client_secret != existing.client_secret:
        fields = sorted({*fields, "client_secret"})
    if not fields:
        return upstream_to_json(runtime, existing or desired), False
    event = "admin.federation.updated" if existing is not None else "admin.federation.added"
    with runtime.database.atomic():
        runtime.store.upstreams.save(desired)
        record_admin_change(runtime, event, details={"upstream": spec.alias, "fields": fields})
    return upstream_to_json(runtime, desired), True


def _comparable(runtime: Runtime, upstream: UpstreamProvider) -> dict[str, Any]:
    shown = upstream_to_json(runtime, upstream)
    return {k: v for k, v in shown.items() if k not in ("created_at", "updated_at")}


def remove_upstream(runtime: Runtime, alias: str) -> dict[str, Any]:
    """Remove the upstream and every link to it: its people keep their local accounts."""
    _get(runtime, alias)
    with runtime.database.atomic():
        runtime.store.upstreams.delete(alias)
        record_admin_change(runtime, "admin.federation.removed", details={"upstream": alias})
    return {"removed": alias}


def validated_upstream(
    runtime: Runtime, spec: UpstreamSpec, existing: UpstreamProvider | None, now: int
) -> UpstreamProvider:
    """``spec`` merged over ``existing`` and checked rule by rule."""
    if not _ALIAS.fullmatch(spec.alias):
        raise AdminError(
            "the alias is 1-64 lower-case letters, digits, - and _, starting with a letter or digit"
        )
    display_name = _display_name(spec.display_name or (existing.display_name if existing else None))
    discovery_url = spec.discovery_url or (existing.discovery_url if existing else None)
    if discovery_url is None:
        raise AdminError(
            "--discovery is required: the upstream's /.well-known/openid-configuration"
        )
    if (problem := server_url_problem(discovery_url)) is not None:
        raise AdminError(f"--discovery {problem}")
    client_id = spec.client_id or (existing.client_id if existing else None)
    if client_id is None or not _PRINTABLE.fullmatch(client_id):
        raise AdminError("--client-id is required: 1-255 printable characters without spaces")
    secret = _sealed_secret(runtime, spec, existing)
    return UpstreamProvider(
        alias=spec.alias,
        display_name=display_name,
        discovery_url=discovery_url,
        client_id=client_id,
        client_secret=secret,
        scopes=_scopes(spec.scopes, existing),
        claim_mappings=_mappings(spec.claim_mappings, existing),
        jit=spec.jit if spec.jit is not None else (existing.jit if existing else False),
        created_at=existing.created_at if existing else now,
        updated_at=now,
    )


def _sealed_secret(
    runtime: Runtime, spec: UpstreamSpec, existing: UpstreamProvider | None
) -> bytes:
    """The new secret sealed; the stored one when none is given or it is the same (so that
    applying a file again changes nothing)."""
    encryptor = runtime.provider.federation_secrets
    if spec.client_secret is None:
        if existing is None:
            raise AdminError(
                "the client secret is required: --client-secret-stdin (gatehouse "
                "authenticates to the upstream with it)"
            )
        return existing.client_secret
    if not spec.client_secret or len(spec.client_secret) > 1024:
        raise AdminError("the client secret must be 1-1024 characters")
    if existing is not None:
        with contextlib.suppress(KeyDecryptionError):
            stored = open_secret(encryptor, existing.client_secret, alias=spec.alias)
            if constant_time_equals(stored, spec.client_secret):
                return existing.client_secret
    return seal_secret(encryptor, spec.client_secret, alias=spec.alias)


def _display_name(value: str | None) -> str:
    if not value or not value.strip():
        raise AdminError('--display-name is required: the button says "Sign in with NAME"')
    if len(value) > MAX_DISPLAY_NAME or has_hostile_characters(value):
        raise AdminError(f"the display name is at most {MAX_DISPLAY_NAME} printable characters")
    return value.strip()


def _scopes(scopes: list[str] | None, existing: UpstreamProvider | None) -> tuple[str, ...]:
    if scopes is None:
        return existing.scopes if existing is not None else DEFAULT_SCOPES
    chosen = tuple(dict.fromkeys(scopes))
    if "openid" not in chosen:
        raise AdminError("the scopes must include openid: the upstream signs people in with it")
    if any(not _SCOPE.fullmatch(s) for s in chosen):
        raise AdminError("a scope is 1-128 printable characters without spaces, quotes or \\")
    return chosen


def _mappings(mappings: dict[str, str] | None, existing: UpstreamProvider | None) -> dict[str, str]:
    if mappings is None:
        return dict(existing.claim_mappings) if existing is not None else {}
    for field, claim in mappings.items():
        if field not in MAPPABLE:
            raise AdminError(
                f"cannot map {field[:64]!r}: the fields are {', '.join(sorted(MAPPABLE))}"
            )
        if not _PRINTABLE.fullmatch(claim):
            raise AdminError("a claim name is 1-255 printable characters without spaces")
    return dict(mappings)


def parse_mappings(pairs: list[str]) -> dict[str, str]:
    """FIELD=CLAIM pairs, as the command line gives them."""
    found: dict[str, str] = {}
    for pair in pairs:
        field, sep, claim = pair.partition("=")
        if not sep:
            raise AdminError(f"--claim takes FIELD=CLAIM (such as username=upn), not {pair[:64]!r}")
        found[field.strip()] = claim.strip()
    return found


ENTRY_KEYS = frozenset(
    {"alias", "display_name", "discovery", "client_id", "client_secret", "scopes",
     "claim_mappings", "jit"}
)  # fmt: skip


def spec_of_entry(entry: dict[str, Any]) -> UpstreamSpec:
    """An ``upstream_providers`` entry of an apply file."""
    for key in ("display_name", "discovery", "client_id", "client_secret"):
        if entry.get(key) is not None and not isinstance(entry[key], str):
            raise AdminError(f"{key} must be a string")
    scopes, mappings, jit = entry.get("scopes"), entry.get("claim_mappings"), entry.get("jit")
    if scopes is not None and not (
        isinstance(scopes, list) and all(isinstance(s, str) for s in scopes)
    ):
        raise AdminError("scopes must be a list of strings")
    if mappings is not None and not (
        isinstance(mappings, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in mappings.items())
    ):
        raise AdminError("claim_mappings must map local fields to upstream claim names")
    if jit is not None and not isinstance(jit, bool):
        raise AdminError("jit must be true or false")
    return UpstreamSpec(
        alias=str(entry["alias"]),
        display_name=entry.get("display_name"),
        discovery_url=entry.get("discovery"),
        client_id=entry.get("client_id"),
        client_secret=entry.get("client_secret"),
        scopes=scopes,
        claim_mappings=mappings,
        jit=jit,
    )
