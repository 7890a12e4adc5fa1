"""protocol/tenant_clients.py: a tenant's protocol endpoints see its own clients and, through
the one door across tenants, other tenants' multi-tenant clients — for authentication only
where the client has a presence here."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from gatehouse.admin import admin_consents as admin_consent_admin
from gatehouse.protocol.tenant_clients import TenantClients
from gatehouse.runtime import Runtime
from tests.support.factories import make_client
from tests.support.tenants import tenant_runtimes


@dataclass
class Tenants:
    acme: Runtime  # the home of the multi-tenant client "orders"
    beta: Runtime  # where "orders" has a presence (admin consent)
    gamma: Runtime  # where it has none


@pytest.fixture
def tenants(runtime: Runtime) -> Iterator[Tenants]:
    found = tenant_runtimes(runtime, "acme", "beta", "gamma")
    acme, beta, gamma = (found.get(name) for name in ("acme", "beta", "gamma"))
    assert acme is not None and beta is not None and gamma is not None
    make_client(acme, "orders", multi_tenant=True, first_party=True)
    make_client(acme, "payroll")  # single-tenant
    admin_consent_admin.grant_admin_consent(beta, "orders")
    yield Tenants(acme, beta, gamma)


def _clients(runtime: Runtime) -> TenantClients:
    clients = runtime.provider.clients
    assert isinstance(clients, TenantClients)
    return clients


def test_the_home_tenant_sees_its_own_registration(tenants: Tenants) -> None:
    acme = _clients(tenants.acme)
    orders = acme.get("orders")
    assert orders is not None and orders.first_party is True
    assert acme.home_tenant("orders") is None
    assert acme.get_for_authentication("orders") is not None


def test_another_tenant_finds_a_multi_tenant_client_but_not_its_first_party_mark(
    tenants: Tenants,
) -> None:
    for runtime in (tenants.beta, tenants.gamma):
        clients = _clients(runtime)
        orders = clients.get("orders")
        assert orders is not None and orders.client_id == "orders"
        assert orders.first_party is False  # acme's decision means nothing here
        assert clients.home_tenant("orders") == "acme"


def test_authentication_needs_a_presence(tenants: Tenants) -> None:
    found = _clients(tenants.beta).get_for_authentication("orders")
    assert found is not None
    client, secrets = found
    assert client.first_party is False and secrets  # acme's secrets
    assert _clients(tenants.beta).presence_home("orders") == "acme"
    assert _clients(tenants.gamma).get_for_authentication("orders") is None
    assert _clients(tenants.gamma).presence_home("orders") is None


def test_a_single_tenant_client_is_never_seen_elsewhere(tenants: Tenants) -> None:
    for runtime in (tenants.beta, tenants.gamma):
        clients = _clients(runtime)
        assert clients.get("payroll") is None
        assert clients.get_for_authentication("payroll") is None
        assert clients.home_tenant("payroll") is None


def test_administration_sees_the_tenants_own_registrations_only(tenants: Tenants) -> None:
    beta = _clients(tenants.beta)
    assert "orders" not in {c.client_id for c in beta.list()}
    assert beta.secrets("orders") == []
    assert beta.delete("orders") is False
    assert _clients(tenants.acme).get("orders") is not None
