"""`gatehouse apply FILE.yaml`: configuration as code for scopes, APIs, clients, app-role
grants, token exchanges, admin consents, trusted issuers, upstream identity providers, users,
and groups with app roles assigned to people (their sections: admin/apply_groups.py).

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
token_exchange_grants:            # on-behalf-of (RFC 8693): the client an API speaks as
  - client_id: orders-api
    api: https://inventory.example.com
admin_consents:                   # docs/admin-consent.md: nobody is asked for these
  - client_id: shop-web
    scopes: [openid, profile, orders.read]   # optional: all the client's scopes
trusted_issuers:                  # docs/workload-identity.md
  - issuer: https://token.actions.githubusercontent.com
    discovery: https://token.actions.githubusercontent.com/.well-known/openid-configuration
    subject_claim: sub
    clients:
      - client_id: deployer
        subjects: ["repo:octo-org/shop:environment:production"]
upstream_providers:               # docs/federation.md
  - alias: corp
    display_name: Example Corp
    discovery: https://login.example.com/.well-known/openid-configuration
    client_id: gatehouse
    client_secret: ${CORP_CLIENT_SECRET}
    jit: true
users:
  - username: alice
    password: ${ALICE_PASSWORD}   # optional
    email: alice@example.com
```
``${NAME}`` is replaced by the environment variable NAME, so secrets need not sit in the file.
"""

from __future__ import annotations

from typing import Any

from gatehouse.accounts.profile import ADDRESS_PARTS, ProfileError, changed_address
from gatehouse.admin import admin_consents as admin_consent_admin
from gatehouse.admin import apis as api_admin
from gatehouse.admin import clients as client_admin
from gatehouse.admin import federation as federation_admin
from gatehouse.admin import issuers as issuer_admin
from gatehouse.admin import scopes as scope_admin
from gatehouse.admin import token_exchange as exchange_admin
from gatehouse.admin import users as user_admin
from gatehouse.admin.apply_file import ApplyFile, read_apply_file, reported_at
from gatehouse.admin.apply_groups import apply_assignment, apply_groups
from gatehouse.admin.apply_specs import api_spec, client_spec
from gatehouse.admin.changes import made_through
from gatehouse.admin.client_spec import validated_client
from gatehouse.admin.errors import AdminError
from gatehouse.admin.issuers import specs_of_entry
from gatehouse.runtime import Runtime


def _apply_api(
    runtime: Runtime, entry: dict[str, Any], *, with_client: bool
) -> dict[str, Any] | None:
    spec = api_spec(entry, with_client=with_client)
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
    names = {s["name"] for s in desired["scopes"]}
    desired["admin_consent_required"] = sorted(
        spec.admin_consent_required
        if spec.admin_consent_required is not None
        else names.intersection(before["admin_consent_required"])
    )

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
        raise AdminError("api and role are required")
    granted = runtime.store.apis.granted_roles(entry["client_id"], entry["api"])
    if entry["role"] in granted:
        return {"kind": "app_role_grant", "id": ident, "action": "unchanged"}
    api_admin.grant_app_role(runtime, entry["client_id"], entry["api"], entry["role"])
    return {"kind": "app_role_grant", "id": ident, "action": "created"}


def _apply_exchange(runtime: Runtime, entry: dict[str, Any]) -> dict[str, Any]:
    api, impersonation = entry.get("api"), entry.get("impersonation", False)
    if not isinstance(api, str):
        raise AdminError("api is required")
    if not isinstance(impersonation, bool):
        raise AdminError("impersonation must be true or false")
    ident = f"{entry['client_id']} {api}"
    existing = runtime.store.apis.exchange_grant(entry["client_id"], api)
    if existing is not None and existing.impersonation == impersonation:
        return {"kind": "token_exchange_grant", "id": ident, "action": "unchanged"}
    exchange_admin.grant_token_exchange(
        runtime, entry["client_id"], api, impersonation=impersonation
    )
    action = "created" if existing is None else "updated"
    return {"kind": "token_exchange_grant", "id": ident, "action": action}


def _apply_admin_consent(runtime: Runtime, entry: dict[str, Any]) -> dict[str, Any]:
    """Adds to the client's admin consent; apply never withdraws one (`consent revoke-admin`)."""
    scopes = entry.get("scopes", [])
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise AdminError("scopes must be a list of the client's scopes")
    existed = runtime.store.admin_consents.get(entry["client_id"]) is not None
    home = entry.get("home_tenant")
    if home is not None and not isinstance(home, str):
        raise AdminError("home_tenant must be the name of the client's home tenant")
    result = admin_consent_admin.grant_admin_consent(runtime, entry["client_id"], scopes, home)
    action = ("updated" if existed else "created") if result["changed"] else "unchanged"
    return {"kind": "admin_consent", "id": entry["client_id"], "action": action}


def _apply_client(runtime: Runtime, entry: dict[str, Any]) -> dict[str, Any]:
    spec = client_spec(entry)
    existing = runtime.store.clients.get(spec.client_id)
    if existing is None:
        created = client_admin.create_client(runtime, spec)
        change: dict[str, Any] = {"kind": "client", "id": spec.client_id, "action": "created"}
        if spec.secret is None and "client_secret" in created:
            change["client_secret"] = created["client_secret"]
        if created["warnings"]:
            change["warnings"] = created["warnings"]
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
    updated = client_admin.update_client(runtime, spec)
    fields = client_admin.changed_client_fields(before, after) + (
        ["secret"] if secret_differs else []
    )
    change = {
        "kind": "client",
        "id": spec.client_id,
        "action": "updated",
        "fields": fields,
    }
    if updated["warnings"]:
        change["warnings"] = updated["warnings"]
    return change


def _declared_address(value: Any) -> dict[str, Any] | None:
    """The file states the whole address: a part it leaves out is cleared. None (no
    ``address`` key): the address is left as it is."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise AdminError(f"address must be a mapping of {', '.join(ADDRESS_PARTS)}")
    return {part: value.get(part) for part in {*ADDRESS_PARTS, *value}}


def _address_differs(current: dict[str, Any] | None, declared: dict[str, Any] | None) -> bool:
    try:
        return changed_address(current, declared) != current
    except ProfileError as exc:
        raise AdminError(str(exc)) from None


def _apply_issuer(runtime: Runtime, entry: dict[str, Any]) -> dict[str, Any]:
    created = runtime.store.trusted_issuers.get(entry["issuer"]) is None
    changed = [issuer_admin.trust_issuer(runtime, spec)[1] for spec in specs_of_entry(entry)]
    action = ("created" if created else "updated") if any(changed) else "unchanged"
    return {"kind": "trusted_issuer", "id": entry["issuer"], "action": action}


def _apply_upstream(runtime: Runtime, entry: dict[str, Any]) -> dict[str, Any]:
    created = runtime.store.upstreams.get(str(entry["alias"])) is None
    _result, changed = federation_admin.save_upstream(
        runtime, federation_admin.spec_of_entry(entry)
    )
    action = ("created" if created else "updated") if changed else "unchanged"
    return {"kind": "upstream_provider", "id": entry["alias"], "action": action}


def _apply_user(runtime: Runtime, entry: dict[str, Any]) -> dict[str, Any]:
    username = entry["username"]
    profile = {k: entry.get(k) for k in user_admin.PROFILE_FIELDS}
    profile["address"] = _declared_address(entry.get("address"))
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
    if "address" in fields and not _address_differs(existing.address, profile["address"]):
        fields.remove("address")
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


def _apply_entries(runtime: Runtime, file: ApplyFile) -> dict[str, Any]:
    changes: list[dict[str, Any]] = []
    for entry in file.scopes:
        with reported_at(entry.where):
            changes.append(_apply_scope(runtime, entry.values))
    # APIs before clients (clients may be allowed API scopes); an API's own client link
    # after clients (the client may be new).
    for entry in file.apis:
        with reported_at(entry.where):
            change = _apply_api(runtime, entry.values, with_client=False)
        assert change is not None
        changes.append(change)
    for entry in file.clients:
        with reported_at(entry.where):
            changes.append(_apply_client(runtime, entry.values))
    for entry in file.apis:
        if entry.values.get("client_id") is not None:
            with reported_at(entry.where):
                linked = _apply_api(runtime, entry.values, with_client=True)
            if linked is not None:
                changes.append(linked)
    for entry in file.app_role_grants:
        with reported_at(entry.where):
            changes.append(_apply_grant(runtime, entry.values))
    for entry in file.token_exchange_grants:
        with reported_at(entry.where):
            changes.append(_apply_exchange(runtime, entry.values))
    for entry in file.admin_consents:
        with reported_at(entry.where):
            changes.append(_apply_admin_consent(runtime, entry.values))
    # After clients: a client rule names a client that may be new.
    for entry in file.trusted_issuers:
        with reported_at(entry.where):
            changes.append(_apply_issuer(runtime, entry.values))
    for entry in file.upstream_providers:
        with reported_at(entry.where):
            changes.append(_apply_upstream(runtime, entry.values))
    for entry in file.users:
        with reported_at(entry.where):
            changes.append(_apply_user(runtime, entry.values))
    # After users and APIs: groups name their members, assignments a group or a user.
    changes += apply_groups(runtime, file.groups)
    for entry in file.app_role_assignments:
        with reported_at(entry.where):
            changes.append(apply_assignment(runtime, entry.values))
    changed = sum(1 for c in changes if c["action"] != "unchanged")
    return {"changed": changed, "changes": changes}


def _apply_scope(runtime: Runtime, entry: dict[str, Any]) -> dict[str, Any]:
    created = not runtime.store.scopes.get_many([entry["name"]])
    _result, changed = scope_admin.upsert_scope(
        runtime, entry["name"], str(entry.get("description", ""))
    )
    action = ("created" if created else "updated") if changed else "unchanged"
    return {"kind": "scope", "id": entry["name"], "action": action}


def apply_file(runtime: Runtime, path: str) -> dict[str, Any]:
    # The whole file is checked for shape before anything is written. The rules of each kind
    # (redirect URIs, scopes, password policy, ...) are checked as the entries are applied, in
    # order, inside one transaction: an error in any entry rolls back every earlier one.
    file = read_apply_file(path)
    if file.tenant is not None and file.tenant != runtime.store.tenant_id:
        raise AdminError(
            f"{path} is for tenant {file.tenant!r}, and the command for "
            f"{runtime.store.tenant_id!r}: leave out --tenant, or make them agree"
        )
    with runtime.database.atomic(), made_through("apply"):
        return _apply_entries(runtime, file)
