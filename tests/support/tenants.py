"""Tenants in the in-process tests: the app of a whole server (web/tenant_dispatch.py) and a
test client per tenant whose base URL is the tenant's issuer, so the flow helpers of
tests/support/flow.py drive a tenant's pages as they drive the default tenant's."""

from __future__ import annotations

from starlette.testclient import TestClient

from gatehouse.admin.tenants import create_tenant
from gatehouse.runtime import Runtime, TenantRuntimes
from gatehouse.tenancy import tenant_path
from gatehouse.web.app import create_app
from gatehouse.web.tenant_dispatch import TenantDispatch, serve_every_tenant
from tests.conftest import ISSUER


def tenant_runtimes(runtime: Runtime, *names: str) -> TenantRuntimes:
    """``runtime`` (the default tenant's) and the tenants ``names``, created."""
    for name in names:
        create_tenant(runtime, name)
    return TenantRuntimes(runtime)


def server_app(tenants: TenantRuntimes) -> TenantDispatch:
    return serve_every_tenant(tenants, create_app)


def tenant_client(app: TenantDispatch, name: str, cookies: object = None) -> TestClient:
    """A client of tenant ``name``'s endpoints: "/token" is the tenant's token endpoint,
    and a Location below the tenant's path is seen as a path of its own ("/login?..."), as
    the default tenant's client sees them. ``cookies``: another client's jar, to play one
    browser visiting several tenants."""
    prefix = tenant_path(name)
    client = TestClient(app, base_url=f"{ISSUER}{prefix}", follow_redirects=False)
    if cookies is not None:
        client.cookies = cookies  # type: ignore[assignment]

    def relative(response: object) -> None:
        headers = response.headers  # type: ignore[attr-defined]
        location = headers.get("location", "")
        if prefix and location.startswith(f"{prefix}/"):
            headers["location"] = location[len(prefix) :]

    client.event_hooks = {"request": [], "response": [relative]}
    return client
