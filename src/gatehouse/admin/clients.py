"""Registering client applications, and their secrets. The rules a registration must pass
are in ``admin/client_spec.py``."""

from __future__ import annotations

import time
import uuid
from dataclasses import replace
from typing import Any

from gatehouse.admin.changes import changed_fields, record_admin_change
from gatehouse.admin.client_grants import legacy_warnings
from gatehouse.admin.client_spec import ClientSpec as ClientSpec
from gatehouse.admin.client_spec import validated_client
from gatehouse.admin.errors import AdminError
from gatehouse.admin.multi_tenant import check_client_id_free, end_presences
from gatehouse.crypto import constant_time_equals, random_token, sha256_digest
from gatehouse.protocol.account.client import is_builtin
from gatehouse.runtime import Runtime
from gatehouse.storage.records import Client, ClientSecret

MIN_SECRET_LENGTH = 32
SECRET_METHODS = ("client_secret_basic", "client_secret_post", "client_secret_jwt")


def client_to_json(client: Client) -> dict[str, Any]:
    return {
        "client_id": client.client_id,
        "name": client.name,
        "type": client.client_type,
        "auth_method": client.auth_method,
        "grant_types": list(client.grant_types),
        "response_types": list(client.response_types),
        "redirect_uris": list(client.redirect_uris),
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "scope": " ".join(client.allowed_scopes),
        "web_origins": list(client.web_origins),
        "first_party": client.first_party,
        "id_token_signing_alg": client.id_token_signing_alg,
        "refresh_token_rotation": client.refresh_token_rotation,
        "require_mfa": client.require_mfa,
        "require_pushed_authorization_requests": client.require_pushed_authorization_requests,
        "request_object_signing_alg": client.request_object_signing_alg,
        "require_dpop": client.require_dpop,
        "groups_claim": client.groups_claim or "none",
        "token_profile": client.token_profile,
        "multi_tenant": client.multi_tenant,
        "jwks": client.jwks,
        "jwks_uri": client.jwks_uri,
        "backchannel_logout_uri": client.backchannel_logout_uri,
        "backchannel_logout_session_required": client.backchannel_logout_session_required,
        "frontchannel_logout_uri": client.frontchannel_logout_uri,
        "frontchannel_logout_session_required": client.frontchannel_logout_session_required,
        "built_in": is_builtin(client.client_id),
        # The legacy grants the client was given, and why each is a risk (docs/flows.md).
        "warnings": legacy_warnings(client),
    }


# Fields of client_to_json that follow from the others: never a change of their own.
DERIVED_FIELDS = frozenset({"warnings"})


def changed_client_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The fields an update changes (the client's JSON before and after)."""
    return [name for name in changed_fields(before, after) if name not in DERIVED_FIELDS]


def _not_builtin(client_id: str) -> None:
    """gatehouse's own clients (protocol/account/client.py) are kept by gatehouse: a changed
    registration would lock every person out of their account page."""
    if is_builtin(client_id):
        raise AdminError(
            f"{client_id!r} is built in (gatehouse's own account page, docs/account.md); "
            "gatehouse keeps its registration, so it cannot be created, changed or deleted"
        )


def _new_secret(client_id: str, value: str, now: int) -> ClientSecret:
    if len(value) < MIN_SECRET_LENGTH:
        raise AdminError(
            f"a client secret must be at least {MIN_SECRET_LENGTH} random characters "
            "(leave the secret out to have one generated)"
        )
    return ClientSecret(
        id=str(uuid.uuid4()),
        client_id=client_id,
        secret_hash=sha256_digest(value),
        created_at=now,
        expires_at=None,
        revoked_at=None,
    )


def create_client(runtime: Runtime, spec: ClientSpec) -> dict[str, Any]:
    """Register a client. A generated secret is returned once and stored only as a hash."""
    _not_builtin(spec.client_id)
    repo = runtime.store.clients
    if repo.get(spec.client_id) is not None:
        raise AdminError(f"a client with client_id {spec.client_id!r} already exists")
    now = int(time.time())
    client = validated_client(runtime, spec, None, now)
    check_client_id_free(runtime, client.client_id, multi_tenant=client.multi_tenant)
    secret_value = None
    secret = None
    encrypted = None
    if client.auth_method in SECRET_METHODS:
        secret_value = spec.secret or random_token(32)
        secret = _new_secret(spec.client_id, secret_value, now)
        encrypted = _encrypt_secret(runtime, spec.client_id, client.auth_method, secret_value)
    elif spec.secret is not None:
        raise AdminError(f"a client using {client.auth_method} has no secret")
    with runtime.database.atomic():
        repo.insert(client, secret, encrypted)
        record_admin_change(
            runtime,
            "admin.client.created",
            client_id=spec.client_id,
            details={"secret_id": secret.id} if secret is not None else {},
        )
    created = repo.get(spec.client_id)
    assert created is not None
    result = client_to_json(created)
    if secret_value is not None:
        result["client_secret"] = secret_value
    return result


def update_client(
    runtime: Runtime, spec: ClientSpec, *, new_secret: bool = False
) -> dict[str, Any]:
    _not_builtin(spec.client_id)
    repo = runtime.store.clients
    existing = repo.get(spec.client_id)
    if existing is None:
        raise AdminError(f"no client with client_id {spec.client_id!r}")
    now = int(time.time())
    client = validated_client(runtime, spec, existing, now)
    if client.multi_tenant and not existing.multi_tenant:
        check_client_id_free(runtime, client.client_id, multi_tenant=True)
    method = client.auth_method
    if method not in SECRET_METHODS and spec.secret is not None:
        # Refused before anything is written: an update is all or nothing.
        raise AdminError(f"a client using {method} has no secret")
    result: dict[str, Any] = {}
    details: dict[str, Any] = {}
    becomes_jwt = method == "client_secret_jwt" and existing.auth_method != method
    with runtime.database.atomic():
        repo.update(client)
        if existing.multi_tenant and not client.multi_tenant:
            end_presences(runtime, existing)
        if method not in SECRET_METHODS:
            repo.replace_secrets(spec.client_id, None)
        elif (
            spec.secret is not None
            or new_secret
            or becomes_jwt
            or existing.auth_method not in SECRET_METHODS
        ):
            # client_secret_jwt needs the secret itself, which a stored digest cannot give back.
            secret_value = spec.secret or random_token(32)
            secret = _new_secret(spec.client_id, secret_value, now)
            repo.replace_secrets(
                spec.client_id,
                secret,
                _encrypt_secret(runtime, spec.client_id, method, secret_value),
            )
            result["client_secret"] = secret_value
            details["secret_id"] = secret.id
        updated = repo.get(spec.client_id)
        assert updated is not None
        fields = changed_client_fields(client_to_json(existing), client_to_json(updated))
        record_admin_change(
            runtime,
            "admin.client.updated",
            client_id=spec.client_id,
            details={"fields": fields, **details},
        )
    return {**client_to_json(updated), **result}


def secret_matches(runtime: Runtime, client_id: str, secret: str) -> bool:
    digest = sha256_digest(secret)
    return any(
        constant_time_equals(digest, s.secret_hash) and s.revoked_at is None
        for s in runtime.store.clients.secrets(client_id)
    )


def get_client(runtime: Runtime, client_id: str) -> dict[str, Any]:
    client = runtime.store.clients.get(client_id)
    if client is None:
        raise AdminError(f"no client with client_id {client_id!r}")
    return client_to_json(client)


def list_clients(runtime: Runtime) -> list[dict[str, Any]]:
    return [client_to_json(c) for c in runtime.store.clients.list()]


def delete_client(runtime: Runtime, client_id: str) -> dict[str, Any]:
    # Storage deletes what the client was given and unlinks the APIs that authenticated as
    # it: a client created later under the same id inherits nothing.
    _not_builtin(client_id)
    with runtime.database.atomic():
        existing = runtime.store.clients.get(client_id)
        if existing is None or not runtime.store.clients.delete(client_id):
            raise AdminError(f"no client with client_id {client_id!r}")
        if existing.multi_tenant:
            end_presences(runtime, existing)
        record_admin_change(runtime, "admin.client.deleted", client_id=client_id)
    return {"deleted": client_id}


def add_secret(
    runtime: Runtime, client_id: str, secret: str | None, expires_at: int | None
) -> dict[str, Any]:
    """A further active secret, for rotation without downtime: add the new one, deploy it,
    then revoke the old one."""
    client = runtime.store.clients.get(client_id)
    if client is None:
        raise AdminError(f"no client with client_id {client_id!r}")
    if client.auth_method not in SECRET_METHODS:
        raise AdminError(f"a client using {client.auth_method} has no secrets")
    now = int(time.time())
    if expires_at is not None and expires_at <= now:
        raise AdminError("the expiry must be in the future")
    value = secret or random_token(32)
    record = replace(_new_secret(client_id, value, now), expires_at=expires_at)
    with runtime.database.atomic():
        runtime.store.clients.add_secret(
            record, _encrypt_secret(runtime, client_id, client.auth_method, value)
        )
        record_admin_change(
            runtime,
            "admin.client.secret_added",
            client_id=client_id,
            details={"secret_id": record.id, "expires_at": expires_at},
        )
    return {
        "client_id": client_id,
        "secret_id": record.id,
        "client_secret": value,
        "expires_at": expires_at,
    }


def list_secrets(runtime: Runtime, client_id: str) -> list[dict[str, Any]]:
    if runtime.store.clients.get(client_id) is None:
        raise AdminError(f"no client with client_id {client_id!r}")
    now = int(time.time())
    return [
        {
            "secret_id": s.id,
            "created_at": s.created_at,
            "expires_at": s.expires_at,
            "revoked_at": s.revoked_at,
            "usable": s.usable_at(now),
        }
        for s in sorted(runtime.store.clients.secrets(client_id), key=lambda s: s.created_at)
    ]


def revoke_secret(runtime: Runtime, client_id: str, secret_id: str) -> dict[str, Any]:
    with runtime.database.atomic():
        if not runtime.store.clients.revoke_secret(client_id, secret_id, int(time.time())):
            raise AdminError(f"client {client_id!r} has no active secret {secret_id!r}")
        record_admin_change(
            runtime,
            "admin.client.secret_revoked",
            client_id=client_id,
            details={"secret_id": secret_id},
        )
    return {"client_id": client_id, "secret_id": secret_id, "revoked": True}


def _encrypt_secret(runtime: Runtime, client_id: str, method: str, value: str) -> bytes | None:
    """client_secret_jwt needs the secret itself (it is the HMAC key), so for those clients
    it is also kept encrypted under the key-encryption key; for every other method only the
    SHA-256 digest exists."""
    if method != "client_secret_jwt":
        return None
    return runtime.keys.encryptor.encrypt(value.encode("utf-8"), kid=f"client-secret:{client_id}")
