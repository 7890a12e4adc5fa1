"""Registering client applications: the rules of the flow decision table, enforced at
registration so an impossible client cannot exist."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from gatehouse.admin.errors import AdminError
from gatehouse.crypto import constant_time_equals, random_token, sha256_digest
from gatehouse.errors import InvalidScope
from gatehouse.keys.jose import TokenVerificationError, public_keyset
from gatehouse.protocol.client_auth import SUPPORTED_METHODS
from gatehouse.protocol.redirect_uris import check_registrable, origin_of, split_uri
from gatehouse.protocol.scopes import STANDARD_SCOPES, registrable
from gatehouse.protocol.token import DEFAULT_GRANTS
from gatehouse.runtime import Runtime
from gatehouse.settings import SIGNING_ALGS
from gatehouse.storage.records import Client, ClientSecret

_CLIENT_ID = re.compile(r"[A-Za-z0-9._:~@-]{1,255}")
MIN_SECRET_LENGTH = 32
REDIRECTING_GRANTS = ("authorization_code",)


@dataclass
class ClientSpec:
    """What an operator asks for; None means 'keep' on update and 'default' on create."""

    client_id: str
    client_type: str | None = None
    secret: str | None = None
    name: str | None = None
    redirect_uris: list[str] | None = None
    post_logout_redirect_uris: list[str] | None = None
    grant_types: list[str] | None = None
    scopes: list[str] | None = None
    auth_method: str | None = None
    first_party: bool | None = None
    web_origins: list[str] | None = None
    id_token_signing_alg: str | None = None
    jwks: dict[str, Any] | None = None
    jwks_uri: str | None = None
    refresh_token_rotation: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def client_to_json(client: Client) -> dict[str, Any]:
    return {
        "client_id": client.client_id,
        "name": client.name,
        "type": client.client_type,
        "auth_method": client.auth_method,
        "grant_types": list(client.grant_types),
        "redirect_uris": list(client.redirect_uris),
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "scope": " ".join(client.allowed_scopes),
        "web_origins": list(client.web_origins),
        "first_party": client.first_party,
        "id_token_signing_alg": client.id_token_signing_alg,
        "refresh_token_rotation": client.refresh_token_rotation,
        "jwks": client.jwks,
        "jwks_uri": client.jwks_uri,
    }


def _validated_values(
    runtime: Runtime, spec: ClientSpec, existing: Client | None
) -> dict[str, Any]:
    """Merge the spec over the existing client (or defaults) and check the whole result."""
    if not _CLIENT_ID.fullmatch(spec.client_id):
        raise AdminError("client_id must be 1-255 characters of letters, digits and . _ : ~ @ -")

    def pick(new: Any, old: Any, default: Any) -> Any:
        if new is not None:
            return new
        return old if existing is not None else default

    client_type = pick(spec.client_type, existing and existing.client_type, "confidential")
    if client_type not in ("confidential", "public"):
        raise AdminError("type must be confidential or public")
    default_method = "none" if client_type == "public" else "client_secret_basic"
    if spec.client_type is not None and spec.auth_method is None and existing is not None:
        auth_method = default_method  # changing the type resets the method to its default
    else:
        auth_method = pick(spec.auth_method, existing and existing.auth_method, default_method)
    if auth_method not in SUPPORTED_METHODS:
        raise AdminError(f"auth_method must be one of {', '.join(SUPPORTED_METHODS)}")
    if client_type == "public" and auth_method != "none":
        raise AdminError(
            "a public client (single-page app, native or mobile app, CLI) cannot keep a secret: "
            "it uses auth_method none and PKCE. Make it a confidential client if it runs on a "
            "server"
        )
    if client_type == "confidential" and auth_method == "none":
        raise AdminError(
            "a confidential client must authenticate: use client_secret_basic, client_secret_post, "
            "private_key_jwt or client_secret_jwt"
        )
    if client_type == "public" and spec.secret is not None:
        raise AdminError(
            "a public client has no secret: anything shipped to a browser or device can be read"
        )

    grant_types = list(
        dict.fromkeys(
            pick(
                spec.grant_types,
                existing and list(existing.grant_types),
                ["authorization_code", "refresh_token"],
            )
        )
    )
    unknown = [g for g in grant_types if g not in DEFAULT_GRANTS]
    if unknown:
        raise AdminError(
            f"unsupported grant type {unknown[0]!r}; supported: {', '.join(DEFAULT_GRANTS)}"
        )
    if client_type == "public" and "client_credentials" in grant_types:
        raise AdminError(
            "a public client cannot use client_credentials: a daemon or service with no user is "
            "a confidential client that holds its own credential (type confidential)"
        )
    if "refresh_token" in grant_types and not any(g in REDIRECTING_GRANTS for g in grant_types):
        raise AdminError(
            "refresh_token needs a grant that issues refresh tokens (authorization_code)"
        )
    redirect_uris = list(
        dict.fromkeys(pick(spec.redirect_uris, existing and list(existing.redirect_uris), []))
    )
    for uri in redirect_uris:
        problem = check_registrable(uri)
        if problem:
            raise AdminError(f"redirect URI {uri!r}: {problem}")
    if any(g in REDIRECTING_GRANTS for g in grant_types) and not redirect_uris:
        raise AdminError(
            "a redirect URI is required: the authorization code flow sends the browser back to it"
        )
    logout_uris = list(
        dict.fromkeys(
            pick(
                spec.post_logout_redirect_uris,
                existing and list(existing.post_logout_redirect_uris),
                [],
            )
        )
    )
    for uri in logout_uris:
        problem = check_registrable(uri)
        if problem:
            raise AdminError(f"post-logout redirect URI {uri!r}: {problem}")
    scopes = list(
        dict.fromkeys(
            pick(
                spec.scopes,
                existing and list(existing.allowed_scopes),
                ["openid", "profile", "email"] if redirect_uris else [],
            )
        )
    )
    scopes = _known_scopes(runtime, scopes)
    web_origins = list(
        dict.fromkeys(pick(spec.web_origins, existing and list(existing.web_origins), []))
    )
    for origin in web_origins:
        if origin_of(origin) != origin.lower().rstrip("/") or origin.count("/") != 2:
            raise AdminError(f"web origin {origin!r} must look like https://app.example.com[:port]")
    jwks, jwks_uri = _client_keys(spec, existing, auth_method)
    rotation = pick(spec.refresh_token_rotation, existing and existing.refresh_token_rotation, True)
    if client_type == "public" and not rotation and "refresh_token" in grant_types:
        # RFC 9700 §4.14.2: a public client's refresh tokens are sender-constrained or rotated.
        raise AdminError(
            "a public client's refresh tokens must rotate: without a secret, rotation is what "
            "detects a stolen token (keep refresh_token_rotation on)"
        )
    alg = pick(spec.id_token_signing_alg, existing and existing.id_token_signing_alg, None)
    if alg is not None and alg not in SIGNING_ALGS:
        raise AdminError(f"id_token_signing_alg must be {' or '.join(SIGNING_ALGS)}")
    return {
        "name": (pick(spec.name, existing and existing.name, spec.client_id) or spec.client_id)[
            :255
        ],
        "client_type": client_type,
        "auth_method": auth_method,
        "grant_types": grant_types,
        "redirect_uris": redirect_uris,
        "post_logout_redirect_uris": logout_uris,
        "allowed_scopes": scopes,
        "web_origins": [o.lower().rstrip("/") for o in web_origins],
        "first_party": bool(pick(spec.first_party, existing and existing.first_party, False)),
        "id_token_signing_alg": alg,
        "jwks": jwks,
        "jwks_uri": jwks_uri,
        "refresh_token_rotation": bool(rotation),
    }


SECRET_METHODS = ("client_secret_basic", "client_secret_post", "client_secret_jwt")
PRIVATE_PARTS = ("d", "p", "q", "dp", "dq", "qi", "k")


def _client_keys(
    spec: ClientSpec, existing: Client | None, auth_method: str
) -> tuple[dict[str, Any] | None, str | None]:
    """private_key_jwt needs the client's public keys: a JWK Set by value or a jwks_uri."""
    if spec.jwks is not None or spec.jwks_uri is not None:
        jwks, jwks_uri = spec.jwks, spec.jwks_uri
    elif existing is not None:
        jwks, jwks_uri = existing.jwks, existing.jwks_uri
    else:
        jwks, jwks_uri = None, None
    if auth_method != "private_key_jwt":
        if spec.jwks is not None or spec.jwks_uri is not None:
            raise AdminError("jwks and jwks_uri are only for auth_method private_key_jwt")
        return None, None
    if (jwks is None) == (jwks_uri is None):
        raise AdminError(
            "private_key_jwt needs the client's public keys: jwks (a JWK Set) or jwks_uri, not both"
        )
    if jwks_uri is not None:
        parts = split_uri(jwks_uri)
        if parts is None:
            raise AdminError("jwks_uri must be a well-formed https URL")
        loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise AdminError("jwks_uri must be an https URL")
        return None, jwks_uri
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list) or not keys or not all(isinstance(k, dict) for k in keys):
        raise AdminError('jwks must be a JWK Set: {"keys": [ ... ]}')
    if any(part in key for key in keys for part in PRIVATE_PARTS):
        raise AdminError("jwks must hold public keys only; it contains private key material")
    try:
        public_keyset(jwks)
    except TokenVerificationError as exc:
        raise AdminError(f"jwks: {exc}") from None
    return jwks, None


def _known_scopes(runtime: Runtime, scopes: list[str]) -> list[str]:
    """Standard, custom, or API scopes; API scopes are stored as <api>/<name>."""
    custom = runtime.store.scopes.get_many([s for s in scopes if s not in STANDARD_SCOPES])
    try:
        return registrable(scopes, runtime.store.apis.list(), custom)
    except InvalidScope as exc:
        raise AdminError(exc.description) from None


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
    repo = runtime.store.clients
    if repo.get(spec.client_id) is not None:
        raise AdminError(f"a client with client_id {spec.client_id!r} already exists")
    values = _validated_values(runtime, spec, None)
    now = int(time.time())
    secret_value = None
    secret = None
    encrypted = None
    if values["auth_method"] in SECRET_METHODS:
        secret_value = spec.secret or random_token(32)
        secret = _new_secret(spec.client_id, secret_value, now)
        encrypted = _encrypt_secret(runtime, spec.client_id, values["auth_method"], secret_value)
    elif spec.secret is not None:
        raise AdminError(f"a client using {values['auth_method']} has no secret")
    repo.insert(
        {"client_id": spec.client_id, "created_at": now, "updated_at": now, **values},
        secret,
        encrypted,
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
    repo = runtime.store.clients
    existing = repo.get(spec.client_id)
    if existing is None:
        raise AdminError(f"no client with client_id {spec.client_id!r}")
    values = _validated_values(runtime, spec, existing)
    now = int(time.time())
    repo.update(spec.client_id, {**values, "updated_at": now})
    result: dict[str, Any] = {}
    method = values["auth_method"]
    becomes_jwt = method == "client_secret_jwt" and existing.auth_method != method
    if method not in SECRET_METHODS:
        if spec.secret is not None:
            raise AdminError(f"a client using {method} has no secret")
        repo.replace_secrets(spec.client_id, None)
    elif (
        spec.secret is not None
        or new_secret
        or becomes_jwt
        or existing.auth_method not in SECRET_METHODS
    ):
        # client_secret_jwt needs the secret itself, which a stored digest cannot give back.
        secret_value = spec.secret or random_token(32)
        repo.replace_secrets(
            spec.client_id,
            _new_secret(spec.client_id, secret_value, now),
            _encrypt_secret(runtime, spec.client_id, method, secret_value),
        )
        result["client_secret"] = secret_value
    updated = repo.get(spec.client_id)
    assert updated is not None
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
    if runtime.store.clients.get(client_id) is None:
        raise AdminError(f"no client with client_id {client_id!r}")
    # An API that authenticated as this client no longer does: a client created later under
    # the same id must not inherit the right to introspect that API's tokens.
    for api in runtime.store.apis.list():
        if api.client_id == client_id:
            runtime.store.apis.save(
                {"identifier": api.identifier, "client_id": None, "updated_at": int(time.time())},
                None,
                None,
            )
    if not runtime.store.clients.delete(client_id):
        raise AdminError(f"no client with client_id {client_id!r}")
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
    record = _new_secret(client_id, value, now)
    record = ClientSecret(record.id, client_id, record.secret_hash, now, expires_at, None)
    runtime.store.clients.add_secret(
        record, _encrypt_secret(runtime, client_id, client.auth_method, value)
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
    if not runtime.store.clients.revoke_secret(client_id, secret_id, int(time.time())):
        raise AdminError(f"client {client_id!r} has no active secret {secret_id!r}")
    return {"client_id": client_id, "secret_id": secret_id, "revoked": True}


def _encrypt_secret(runtime: Runtime, client_id: str, method: str, value: str) -> bytes | None:
    """client_secret_jwt needs the secret itself (it is the HMAC key), so for those clients
    it is also kept encrypted under the key-encryption key; for every other method only the
    SHA-256 digest exists."""
    if method != "client_secret_jwt":
        return None
    return runtime.keys.encryptor.encrypt(value.encode("utf-8"), kid=f"client-secret:{client_id}")
