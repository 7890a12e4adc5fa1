"""`gatehouse apply FILE.yaml`: configuration as code for scopes, clients and users.

Idempotent: the second run of the same file changes nothing and says so. What is not in the
file is left alone (apply adds and updates; it never deletes).

```yaml
scopes:
  - name: orders.read
    description: Read your orders
clients:
  - client_id: shop-web
    type: confidential            # or public
    secret: ${SHOP_WEB_SECRET}    # optional; generated (and reported once) when absent
    redirect_uris: [https://shop.example.com/callback]
    scope: openid profile orders.read
users:
  - username: alice
    password: ${ALICE_PASSWORD}   # optional
    email: alice@example.com
```
``${NAME}`` is replaced by the environment variable NAME, so secrets need not sit in the file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml

from gatehouse.admin import apis as api_admin
from gatehouse.admin import clients as client_admin
from gatehouse.admin import scopes as scope_admin
from gatehouse.admin import users as user_admin
from gatehouse.admin.client_spec import validated_client
from gatehouse.admin.errors import AdminError
from gatehouse.runtime import Runtime

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
CLIENT_KEYS = {
    "client_id",
    "type",
    "secret",
    "name",
    "redirect_uris",
    "post_logout_redirect_uris",
    "grant_types",
    "scope",
    "auth_method",
    "first_party",
    "web_origins",
    "id_token_signing_alg",
    "jwks",
    "jwks_uri",
    "refresh_token_rotation",
}
API_KEYS = {
    "identifier",
    "name",
    "scopes",
    "app_roles",
    "access_token_lifetime",
    "signing_alg",
    "client_id",
}
GRANT_KEYS = {"client_id", "api", "role"}
SECTIONS = ("scopes", "apis", "clients", "app_role_grants", "users")
USER_KEYS = {"username", "password", "disabled", *user_admin.PROFILE_FIELDS}
SCOPE_KEYS = {"name", "description"}
MAX_FILE_BYTES = 5 * 1024 * 1024


def _expand(value: Any, where: str) -> Any:
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise AdminError(f"{where}: environment variable {name} is not set")
            return os.environ[name]

        return _ENV.sub(replace, value)
    if isinstance(value, list):
        return [_expand(v, where) for v in value]
    if isinstance(value, dict):
        return {k: _expand(v, where) for k, v in value.items()}
    return value


def _entries(
    document: dict[str, Any], section: str, allowed: set[str], key: str, *, unique: bool = True
) -> list[dict[str, Any]]:
    items = document.get(section) or []
    if not isinstance(items, list):
        raise AdminError(f"{section} must be a list")
    result = []
    for index, item in enumerate(items):
        where = f"{section}[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get(key), str):
            raise AdminError(f"{where} must be a mapping with a {key}")
        unknown = set(item) - allowed
        if unknown:
            raise AdminError(f"{where}: unknown key {sorted(unknown)[0]!r}")
        result.append(_expand(item, where))
    # Two entries for one thing are a mistake; usernames are compared case-insensitively.
    fold = str.casefold if section == "users" else str
    seen: set[str] = set()
    for item in result if unique else ():
        if fold(item[key]) in seen:
            raise AdminError(f"{section}: {item[key]!r} appears more than once")
        seen.add(fold(item[key]))
    return result


def _string_list(value: Any, where: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AdminError(f"{where} must be a list of strings")
    return list(value)


def _client_spec(entry: dict[str, Any]) -> client_admin.ClientSpec:
    where = f"client {entry['client_id']}"
    scope = entry.get("scope")
    if scope is not None and not isinstance(scope, str):
        raise AdminError(f"{where}: scope must be a space-separated string")
    return client_admin.ClientSpec(
        client_id=entry["client_id"],
        client_type=entry.get("type"),
        secret=entry.get("secret"),
        name=entry.get("name"),
        redirect_uris=_string_list(entry.get("redirect_uris"), f"{where}: redirect_uris"),
        post_logout_redirect_uris=_string_list(
            entry.get("post_logout_redirect_uris"), f"{where}: post_logout_redirect_uris"
        ),
        grant_types=_string_list(entry.get("grant_types"), f"{where}: grant_types"),
        scopes=scope.split() if scope is not None else None,
        auth_method=entry.get("auth_method"),
        first_party=entry.get("first_party"),
        web_origins=_string_list(entry.get("web_origins"), f"{where}: web_origins"),
        id_token_signing_alg=entry.get("id_token_signing_alg"),
        jwks=entry.get("jwks"),
        jwks_uri=entry.get("jwks_uri"),
        refresh_token_rotation=entry.get("refresh_token_rotation"),
    )


def _permission_list(value: Any, where: str) -> list[tuple[str, str]] | None:
    """A mapping name → description, or a list of {name, description}."""
    if value is None:
        return None
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list) and all(isinstance(v, dict) for v in value):
        items = [(v.get("name"), v.get("description")) for v in value]
    else:
        raise AdminError(f"{where} must map names to descriptions")
    if not all(isinstance(n, str) and isinstance(d, str) for n, d in items):
        raise AdminError(f"{where}: every entry needs a name and a description")
    return [(str(n), str(d)) for n, d in items]


def _api_spec(entry: dict[str, Any], *, with_client: bool) -> api_admin.ApiSpec:
    where = f"api {entry['identifier']}"
    lifetime = entry.get("access_token_lifetime")
    if lifetime is not None and (not isinstance(lifetime, int) or isinstance(lifetime, bool)):
        raise AdminError(f"{where}: access_token_lifetime must be a number of seconds")
    return api_admin.ApiSpec(
        identifier=entry["identifier"],
        name=entry.get("name"),
        scopes=_permission_list(entry.get("scopes"), f"{where}: scopes"),
        roles=_permission_list(entry.get("app_roles"), f"{where}: app_roles"),
        access_token_lifetime=lifetime,
        signing_alg=entry.get("signing_alg"),
        client_id=entry.get("client_id") if with_client else None,
    )


def _apply_api(
    runtime: Runtime, entry: dict[str, Any], *, with_client: bool
) -> dict[str, Any] | None:
    spec = _api_spec(entry, with_client=with_client)
    existing = runtime.store.apis.get(spec.identifier)
    if existing is None:
        api_admin.save_api(runtime, spec, create=True)
        return {"kind": "api", "id": spec.identifier, "action": "created"}
    before = api_admin.api_to_json(existing)
    desired = {
        **before,
        "name": spec.name or before["name"],
        "scopes": [{"name": n, "description": d} for n, d in spec.scopes]
        if spec.scopes is not None
        else before["scopes"],
        "app_roles": [{"name": n, "description": d} for n, d in spec.roles]
        if spec.roles is not None
        else before["app_roles"],
        "access_token_lifetime": spec.access_token_lifetime
        if spec.access_token_lifetime is not None
        else before["access_token_lifetime"],
        "signing_alg": spec.signing_alg or before["signing_alg"],
        "client_id": spec.client_id or before["client_id"],
    }

    def key(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(items, key=lambda i: i["name"])

    desired["scopes"], desired["app_roles"] = key(desired["scopes"]), key(desired["app_roles"])
    before["scopes"], before["app_roles"] = key(before["scopes"]), key(before["app_roles"])
    if desired == before:
        return (
            None if with_client else {"kind": "api", "id": spec.identifier, "action": "unchanged"}
        )
    api_admin.save_api(runtime, spec, create=False)
    fields = sorted(k for k in desired if desired[k] != before[k])
    return {"kind": "api", "id": spec.identifier, "action": "updated", "fields": fields}


def _apply_grant(runtime: Runtime, entry: dict[str, Any]) -> dict[str, Any]:
    ident = f"{entry['client_id']} {entry.get('api')} {entry.get('role')}"
    if not isinstance(entry.get("api"), str) or not isinstance(entry.get("role"), str):
        raise AdminError(f"app_role_grants {ident}: api and role are required")
    granted = runtime.store.apis.granted_roles(entry["client_id"], entry["api"])
    if entry["role"] in granted:
        return {"kind": "app_role_grant", "id": ident, "action": "unchanged"}
    api_admin.grant_app_role(runtime, entry["client_id"], entry["api"], entry["role"])
    return {"kind": "app_role_grant", "id": ident, "action": "created"}


def _apply_client(runtime: Runtime, entry: dict[str, Any]) -> dict[str, Any]:
    spec = _client_spec(entry)
    existing = runtime.store.clients.get(spec.client_id)
    if existing is None:
        created = client_admin.create_client(runtime, spec)
        change = {"kind": "client", "id": spec.client_id, "action": "created"}
        if spec.secret is None and "client_secret" in created:
            change["client_secret"] = created["client_secret"]
        return change
    before = client_admin.client_to_json(existing)
    secret_differs = spec.secret is not None and not client_admin.secret_matches(
        runtime, spec.client_id, spec.secret
    )
    # Compare the would-be result without writing, by validating against the existing client.
    desired = validated_client(runtime, spec, existing, existing.updated_at)
    after = client_admin.client_to_json(desired)
    if after == before and not secret_differs:
        return {"kind": "client", "id": spec.client_id, "action": "unchanged"}
    if not secret_differs:
        spec.secret = None
    client_admin.update_client(runtime, spec)
    fields = sorted(k for k in after if after[k] != before[k]) + (
        ["secret"] if secret_differs else []
    )
    return {"kind": "client", "id": spec.client_id, "action": "updated", "fields": fields}


def _apply_user(runtime: Runtime, entry: dict[str, Any]) -> dict[str, Any]:
    username = entry["username"]
    profile = {k: entry.get(k) for k in user_admin.PROFILE_FIELDS}
    password = entry.get("password")
    try:
        existing = user_admin.find_user(runtime, username)
    except AdminError:
        existing = None
    if existing is None:
        user_admin.create_user(runtime, username, password, **profile)
        if entry.get("disabled"):
            user_admin.set_disabled(runtime, username, True)
        return {"kind": "user", "id": username, "action": "created"}
    fields = [k for k, v in profile.items() if v is not None and getattr(existing, k) != v]
    if fields:
        user_admin.update_user(runtime, existing.id, **{k: profile[k] for k in fields})
    if password is not None and not runtime.passwords.verify(existing.password_hash, password):
        user_admin.set_password(runtime, existing.id, password)
        fields.append("password")
    if entry.get("disabled") is not None and bool(entry["disabled"]) != existing.disabled:
        user_admin.set_disabled(runtime, existing.id, bool(entry["disabled"]))
        fields.append("disabled")
    if not fields:
        return {"kind": "user", "id": username, "action": "unchanged"}
    return {"kind": "user", "id": username, "action": "updated", "fields": sorted(fields)}


def apply_document(runtime: Runtime, document: Any) -> dict[str, Any]:
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise AdminError("the file must be a mapping with scopes, clients and users")
    unknown = set(document) - set(SECTIONS)
    if unknown:
        raise AdminError(
            f"unknown top-level key {sorted(unknown)[0]!r} (expected {', '.join(SECTIONS)})"
        )
    # Validate the whole file before writing anything.
    scopes = _entries(document, "scopes", SCOPE_KEYS, "name")
    apis = _entries(document, "apis", API_KEYS, "identifier")
    clients = _entries(document, "clients", CLIENT_KEYS, "client_id")
    grants = _entries(document, "app_role_grants", GRANT_KEYS, "client_id", unique=False)
    users = _entries(document, "users", USER_KEYS, "username")
    # The rules of each kind (redirect URIs, scopes, password policy, …) are checked as the
    # entries are applied, in order, so one transaction makes the file all-or-nothing: an
    # error in any entry rolls back every earlier one.
    with runtime.database.atomic():
        return _apply_entries(runtime, scopes, apis, clients, grants, users)


def _apply_entries(
    runtime: Runtime,
    scopes: list[dict[str, Any]],
    apis: list[dict[str, Any]],
    clients: list[dict[str, Any]],
    grants: list[dict[str, Any]],
    users: list[dict[str, Any]],
) -> dict[str, Any]:
    changes: list[dict[str, Any]] = []
    for entry in scopes:
        created = not runtime.store.scopes.get_many([entry["name"]])
        _result, changed = scope_admin.upsert_scope(
            runtime, entry["name"], str(entry.get("description", ""))
        )
        changes.append(
            {
                "kind": "scope",
                "id": entry["name"],
                "action": ("created" if created else "updated") if changed else "unchanged",
            }
        )
    # APIs before clients (clients may be allowed API scopes); an API's own client link
    # after clients (the client may be new).
    for entry in apis:
        change = _apply_api(runtime, entry, with_client=False)
        assert change is not None
        changes.append(change)
    for entry in clients:
        changes.append(_apply_client(runtime, entry))
    for entry in apis:
        if entry.get("client_id") is not None:
            linked = _apply_api(runtime, entry, with_client=True)
            if linked is not None:
                changes.append(linked)
    for entry in grants:
        changes.append(_apply_grant(runtime, entry))
    for entry in users:
        changes.append(_apply_user(runtime, entry))
    count = sum(1 for c in changes if c["action"] != "unchanged")
    return {"changed": count, "changes": changes}


def apply_file(runtime: Runtime, path: str) -> dict[str, Any]:
    file = Path(path)
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            raise AdminError(f"{path} is larger than 5 MiB")
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise AdminError(f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise AdminError(f"{path} is not UTF-8 text") from exc
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise AdminError(f"{path} is not valid YAML: {str(exc).splitlines()[0]}") from exc
    return apply_document(runtime, document)
