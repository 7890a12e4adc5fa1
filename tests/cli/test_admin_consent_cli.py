"""Provisioning admin consent: `consent grant-admin`, `revoke-admin`, `list-admin`; `api
create/update --admin-consent-required`; the admin_consents section and the API key
admin_consent_required of `apply`; each change an audit event, bad input one error line."""

from __future__ import annotations

from pathlib import Path

from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditQuery
from tests.cli.conftest import Gatehouse

ORDERS = "https://orders.example.com"
READ, DELETE = f"{ORDERS}/orders.read", f"{ORDERS}/orders.delete"


def provision(gh: Gatehouse) -> None:
    gh.ok(
        "api", "create", "--identifier", ORDERS,
        "--scope", "orders.read=Read your orders",
        "--scope", "orders.delete=Delete your orders",
        "--admin-consent-required", "orders.delete",
    )  # fmt: skip
    gh.ok(
        "client", "create", "--client-id", "shop", "--redirect-uri",
        "https://shop.example.com/cb", "--scope", "openid profile orders.read orders.delete",
    )  # fmt: skip


def test_an_api_marks_scopes_admin_only(gh: Gatehouse) -> None:
    provision(gh)
    assert gh.ok("api", "show", ORDERS)["admin_consent_required"] == ["orders.delete"]
    # Left out on update: kept for the scopes that remain; given: replaces; '' clears.
    updated = gh.ok("api", "update", ORDERS, "--name", "Orders")
    assert updated["admin_consent_required"] == ["orders.delete"]
    swapped = gh.ok("api", "update", ORDERS, "--admin-consent-required", "orders.read")
    assert swapped["admin_consent_required"] == ["orders.read"]
    cleared = gh.ok("api", "update", ORDERS, "--admin-consent-required", "")
    assert cleared["admin_consent_required"] == []
    error = gh.fails("api", "update", ORDERS, "--admin-consent-required", "orders.nope")
    assert "'orders.nope' is not a scope of the API" in error


def test_grant_list_and_revoke_admin_consent(gh: Gatehouse, runtime: Runtime) -> None:
    provision(gh)
    granted = gh.ok("consent", "grant-admin", "--client", "shop", "--scope", "openid")
    assert granted["scopes"] == ["openid"] and granted["changed"] is True
    # Without --scope: every scope of the client's registration; bare names resolve.
    everything = gh.ok("consent", "grant-admin", "--client", "shop")
    assert everything["scopes"] == sorted(["openid", "profile", READ, DELETE])
    again = gh.ok("consent", "grant-admin", "--client", "shop", "--scope", "orders.read")
    assert again["changed"] is False
    (listed,) = gh.ok("consent", "list-admin")
    assert listed["client_id"] == "shop" and listed["scopes"] == everything["scopes"]
    assert gh.ok("consent", "list-admin", "--client", "nobody") == []

    partly = gh.ok("consent", "revoke-admin", "--client", "shop", "--scope", "orders.delete")
    assert partly == {
        "client_id": "shop",
        "revoked": [DELETE],
        "scopes": sorted(["openid", "profile", READ]),
        "grants_revoked": 0,
    }
    by_api = gh.ok("consent", "revoke-admin", "--client", "shop", "--scope", f"{ORDERS}/.default")
    assert by_api["revoked"] == [READ]
    rest = gh.ok("consent", "revoke-admin", "--client", "shop")
    assert rest["scopes"] == [] and gh.ok("consent", "list-admin") == []

    events = runtime.store.audit.list(AuditQuery(types=("admin.consent",)))
    assert [(e.type, e.details["scopes"]) for e in reversed(events)] == [
        ("admin.consent.granted", ["openid"]),
        ("admin.consent.granted", sorted(["profile", READ, DELETE])),
        ("admin.consent.revoked", [DELETE]),
        ("admin.consent.revoked", [READ]),
        ("admin.consent.revoked", ["openid", "profile"]),
    ]


def test_bad_admin_consent_input_is_one_clear_error(gh: Gatehouse) -> None:
    provision(gh)
    assert "no client 'nobody'" in gh.fails("consent", "grant-admin", "--client", "nobody")
    not_registered = gh.fails("consent", "grant-admin", "--client", "shop", "--scope", "email")
    assert "may not request email" in not_registered
    unknown = gh.fails("consent", "grant-admin", "--client", "shop", "--scope", f"{ORDERS}/x")
    assert "has no scope 'x'" in unknown
    none_yet = gh.fails("consent", "revoke-admin", "--client", "shop")
    assert "has no admin consent" in none_yet
    gh.ok("consent", "grant-admin", "--client", "shop", "--scope", "openid")
    not_held = gh.fails("consent", "revoke-admin", "--client", "shop", "--scope", "profile")
    assert "'profile' is not one of its scopes" in not_held


APPLY = f"""\
apis:
  - identifier: {ORDERS}
    scopes:
      orders.read: Read your orders
      orders.delete: Delete your orders
    admin_consent_required: [orders.delete]
clients:
  - client_id: shop
    redirect_uris: [https://shop.example.com/cb]
    scope: openid orders.read orders.delete
admin_consents:
  - client_id: shop
    scopes: [openid, orders.delete]
"""


def test_apply_marks_scopes_and_grants_admin_consent(
    gh: Gatehouse, runtime: Runtime, tmp_path: Path
) -> None:
    path = tmp_path / "gatehouse.yaml"
    path.write_text(APPLY)
    result = gh.ok("apply", str(path))
    changes = {(c["kind"], c["id"]): c["action"] for c in result["changes"]}
    assert changes[("admin_consent", "shop")] == "created"
    assert gh.ok("api", "show", ORDERS)["admin_consent_required"] == ["orders.delete"]
    consent = runtime.store.admin_consents.get("shop")
    assert consent is not None and consent.scopes == {"openid", DELETE}
    assert gh.ok("apply", str(path))["changed"] == 0  # idempotent

    path.write_text(
        APPLY.replace("admin_consent_required: [orders.delete]", "admin_consent_required: []")
    )
    (change,) = [c for c in gh.ok("apply", str(path))["changes"] if c["action"] != "unchanged"]
    assert change == {
        "kind": "api",
        "id": ORDERS,
        "action": "updated",
        "fields": ["admin_consent_required"],
    }

    path.write_text(APPLY.replace("scopes: [openid, orders.delete]", "scopes: openid"))
    assert "scopes must be a list" in gh.fails("apply", str(path))
