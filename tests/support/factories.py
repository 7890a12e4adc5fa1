"""Creating clients, users and scopes through the same admin services the CLI uses."""

from __future__ import annotations

from typing import Any

from gatehouse.admin import clients as client_admin
from gatehouse.admin import users as user_admin
from gatehouse.runtime import Runtime

REDIRECT_URI = "https://app.example.com/callback"
PASSWORD = "correct horse battery"


def make_client(runtime: Runtime, client_id: str = "web", **fields: Any) -> dict[str, Any]:
    """A confidential web client by default; returns its JSON, with client_secret."""
    fields.setdefault("redirect_uris", [REDIRECT_URI])
    fields.setdefault("scopes", ["openid", "profile", "email", "offline_access"])
    return client_admin.create_client(
        runtime, client_admin.ClientSpec(client_id=client_id, **fields)
    )


def make_public_client(runtime: Runtime, client_id: str = "spa", **fields: Any) -> dict[str, Any]:
    fields.setdefault("redirect_uris", ["http://127.0.0.1:5173/callback"])
    return make_client(runtime, client_id, client_type="public", **fields)


def make_user(
    runtime: Runtime, username: str = "alice", password: str = PASSWORD, **fields: Any
) -> dict[str, Any]:
    fields.setdefault("email", f"{username}@example.com")
    fields.setdefault("name", username.title())
    return user_admin.create_user(runtime, username, password, **fields)


# -- APIs, app roles and daemons ---------------------------------------------------------------

ORDERS_API = "https://orders.example.com"
INVOICES_API = "https://invoices.example.com/api"


def make_api(
    runtime: Runtime,
    identifier: str = ORDERS_API,
    *,
    scopes: tuple[str, ...] | list[str] = ("orders.read", "orders.write"),
    roles: tuple[str, ...] | list[str] = ("orders.export", "orders.admin"),
    **fields: Any,
) -> dict[str, Any]:
    """Register an API with delegated scopes and app roles (names; descriptions derived)."""
    from gatehouse.admin import apis as api_admin

    spec = api_admin.ApiSpec(
        identifier=identifier,
        scopes=[(name, f"Allows {name}") for name in scopes],
        roles=[(name, f"Role {name}") for name in roles],
        **fields,
    )
    return api_admin.save_api(runtime, spec, create=True)


def grant_roles(runtime: Runtime, client_id: str, api: str, *roles: str) -> None:
    """Application permissions, as `gatehouse grant app-role` gives them."""
    from gatehouse.admin import apis as api_admin

    for role in roles:
        api_admin.grant_app_role(runtime, client_id, api, role)


def make_daemon(runtime: Runtime, client_id: str = "daemon", **fields: Any) -> dict[str, Any]:
    """A confidential client for the client_credentials grant only (no redirect URIs)."""
    fields.setdefault("grant_types", ["client_credentials"])
    fields.setdefault("redirect_uris", [])
    fields.setdefault("scopes", [])
    return make_client(runtime, client_id, **fields)
