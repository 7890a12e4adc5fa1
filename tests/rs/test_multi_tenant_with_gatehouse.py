"""gatehouse.rs's MultiTenantValidator against a real ``gatehouse serve`` with two tenants:
tokens of either tenant validate with that tenant's keys and carry its ``tid``; a tenant not
configured, or a ``tid`` that is not the issuer's tenant, is refused."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from gatehouse.rs import InvalidToken, MultiTenantValidator
from gatehouse.rs.http import basic_authorization
from gatehouse.rs.multi_tenant import tenant_of_issuer
from tests.support.live_server import LiveServer, start_server

ORDERS = "https://orders.example.com"


def _token(server: LiveServer, tenant: str, client: dict[str, Any]) -> str:
    request = urllib.request.Request(
        server.url(f"/t/{tenant}/token"),
        data=urlencode({"grant_type": "client_credentials", "resource": ORDERS}).encode(),
        headers={
            "Authorization": basic_authorization(client["client_id"], client["client_secret"])
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.loads(response.read())["access_token"])


@pytest.fixture(scope="module")
def gatehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    workdir = tmp_path_factory.mktemp("gatehouse")
    server = start_server(f"sqlite:///{Path(workdir) / 'gatehouse.db'}", workdir)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def tokens(gatehouse: LiveServer) -> dict[str, str]:
    """A token of acme (its multi-tenant daemon: tid whatever the profile) and one of beta
    (an API of the entra profile: tid too)."""
    minted = {}
    for tenant, extra in (("acme", ["--multi-tenant"]), ("beta", [])):
        gatehouse.cli("tenant", "create", tenant)
        profile = ["--token-profile", "entra"] if tenant == "beta" else []
        gatehouse.cli(
            "--tenant", tenant, "api", "create", "--identifier", ORDERS, "--name", "Orders",
            "--app-role", "Orders.ReadAll=Read all orders", *profile,
        )  # fmt: skip
        daemon = gatehouse.cli(
            "--tenant", tenant, "client", "create", "--client-id", f"{tenant}-job",
            "--type", "confidential", "--grant-type", "client_credentials", *extra,
        )  # fmt: skip
        gatehouse.cli(
            "--tenant", tenant, "grant", "app-role", "--client", f"{tenant}-job",
            "--api", ORDERS, "--role", "Orders.ReadAll",
        )  # fmt: skip
        minted[tenant] = _token(gatehouse, tenant, daemon)
    return minted


def test_tokens_of_each_configured_tenant_validate(
    gatehouse: LiveServer, tokens: dict[str, str]
) -> None:
    issuers = [f"{gatehouse.issuer}/t/acme", f"{gatehouse.issuer}/t/beta"]
    validator = MultiTenantValidator(issuers, ORDERS)
    try:
        for tenant in ("acme", "beta"):
            token = validator.validate(tokens[tenant])
            assert token.claims["tid"] == tenant
            assert token.claims["iss"] == f"{gatehouse.issuer}/t/{tenant}"
            assert "Orders.ReadAll" in token.roles
    finally:
        validator.close()


def test_a_tenant_not_configured_is_refused(gatehouse: LiveServer, tokens: dict[str, str]) -> None:
    validator = MultiTenantValidator([f"{gatehouse.issuer}/t/acme"], ORDERS)
    try:
        with pytest.raises(InvalidToken, match="not one of this API's tenants"):
            validator.validate(tokens["beta"])
    finally:
        validator.close()


def test_a_tid_that_is_not_the_issuer_s_tenant_is_refused(
    gatehouse: LiveServer, tokens: dict[str, str]
) -> None:
    validator = MultiTenantValidator({f"{gatehouse.issuer}/t/acme": "beta"}, ORDERS)
    try:
        with pytest.raises(InvalidToken, match="tid 'acme' is not the tenant"):
            validator.validate(tokens["acme"])
    finally:
        validator.close()


@pytest.mark.parametrize(
    ("issuer", "tenant"),
    [
        ("https://id.example.com/t/acme", "acme"),
        ("https://id.example.com/t/acme/", "acme"),
        ("https://id.example.com", "default"),
        ("https://id.example.com/base", "default"),
    ],
)
def test_the_tenant_of_an_issuer(issuer: str, tenant: str) -> None:
    assert tenant_of_issuer(issuer) == tenant
