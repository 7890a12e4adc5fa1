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
