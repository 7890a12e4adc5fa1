"""`gatehouse demo`: a demo user and client, and the demo app mounted at /demo."""

from __future__ import annotations

import secrets

import click

from gatehouse.admin import clients as client_admin
from gatehouse.admin import users as user_admin
from gatehouse.admin.errors import AdminError
from gatehouse.runtime import build_runtime, resolve_issuer
from gatehouse.settings import Settings
from gatehouse.storage.sql.migrate import migrate
from gatehouse.web.demo import DEMO_CLIENT_ID, DEMO_SCOPES

DEMO_USER = "demo"


def prepare_demo(settings: Settings, host: str, port: int) -> Settings:
    issuer = resolve_issuer(settings, host, port)
    runtime = build_runtime(settings, issuer=issuer)
    password = secrets.token_urlsafe(9)
    client_secret = secrets.token_urlsafe(32)
    try:
        migrate(runtime.database)
        spec = client_admin.ClientSpec(
            client_id=DEMO_CLIENT_ID,
            client_type="confidential",
            secret=client_secret,
            name="gatehouse demo app",
            redirect_uris=[f"{issuer}/demo/callback"],
            # refresh_token: the demo asks for offline_access, which is only useful with it.
            grant_types=["authorization_code", "refresh_token"],
            scopes=DEMO_SCOPES.split(),
            first_party=False,
        )
        if runtime.store.clients.get(DEMO_CLIENT_ID) is None:
            client_admin.create_client(runtime, spec)
        else:
            client_admin.update_client(runtime, spec)
        try:
            user_admin.find_user(runtime, DEMO_USER)
            user_admin.set_password(runtime, DEMO_USER, password)
        except AdminError:
            user_admin.create_user(
                runtime,
                DEMO_USER,
                password,
                email="demo@example.com",
                email_verified=True,
                name="Dana Demo",
                given_name="Dana",
                family_name="Demo",
            )
    finally:
        runtime.close()
    click.echo(
        "\n".join(
            [
                "",
                "  gatehouse demo",
                f"  Open {issuer}/demo/ and sign in as:",
                f"    username: {DEMO_USER}",
                f"    password: {password}",
                "  (a new password is set each time the demo starts)",
                f"  Discovery: {issuer}/.well-known/openid-configuration",
                "",
            ]
        )
    )
    return settings.with_overrides(demo=True, demo_client_secret=client_secret)
