"""gatehouse.rs against a real ``gatehouse serve`` in a subprocess, provisioned with the CLI:
tokens gatehouse issues validate, and introspection notices a revoked token.

Skipped (with the reason) when the server does not advertise an introspection endpoint.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from gatehouse.rs import Introspection, InvalidToken, TokenValidator
from gatehouse.rs.http import basic_authorization
from tests.support.live_server import LiveServer, start_server

ORDERS = "https://orders.example.com"


def _post(server: LiveServer, path: str, client: dict[str, Any], **form: str) -> Any:
    request = urllib.request.Request(
        server.url(path),
        data=urlencode(form).encode(),
        headers={
            "Authorization": basic_authorization(client["client_id"], client["client_secret"])
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


@pytest.fixture(scope="module")
def gatehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    workdir = tmp_path_factory.mktemp("gatehouse")
    server = start_server(f"sqlite:///{Path(workdir) / 'gatehouse.db'}", workdir)
    try:
        with urllib.request.urlopen(
            server.url("/.well-known/openid-configuration"), timeout=10
        ) as r:
            discovery = json.loads(r.read())
        if "introspection_endpoint" not in discovery:
            pytest.skip("gatehouse does not advertise introspection_endpoint (RFC 8414) yet")
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def provisioned(gatehouse: LiveServer) -> dict[str, dict[str, Any]]:
    """The orders API (authenticating as client orders-api for introspection) and a daemon
    holding its Orders.ReadAll app role."""
    api_client = gatehouse.cli(
        "client", "create", "--client-id", "orders-api", "--type", "confidential",
        "--grant-type", "client_credentials", "--name", "Orders API",
    )  # fmt: skip
    gatehouse.cli(
        "api", "create", "--identifier", ORDERS, "--name", "Orders",
        "--scope", "orders.read=Read your orders", "--app-role", "Orders.ReadAll=Read all orders",
        "--client", "orders-api",
    )  # fmt: skip
    daemon = gatehouse.cli(
        "client", "create", "--client-id", "reporting", "--type", "confidential",
        "--grant-type", "client_credentials", "--name", "Reporting job",
    )  # fmt: skip
    gatehouse.cli(
        "grant", "app-role", "--client", "reporting", "--api", ORDERS, "--role", "Orders.ReadAll"
    )
    return {"api": api_client, "daemon": daemon}


def _app_token(gatehouse: LiveServer, daemon: dict[str, Any]) -> str:
    body = _post(gatehouse, "/token", daemon, grant_type="client_credentials", resource=ORDERS)
    return str(body["access_token"])


def test_a_gatehouse_token_validates_and_introspects(
    gatehouse: LiveServer, provisioned: dict[str, dict[str, Any]]
) -> None:
    api = provisioned["api"]
    raw = _app_token(gatehouse, provisioned["daemon"])
    introspection = Introspection(api["client_id"], api["client_secret"], cache_ttl=0)
    with TokenValidator(gatehouse.issuer, ORDERS, introspection=introspection) as validator:
        token = validator.validate(raw)
        assert token.client_id == "reporting"
        assert "Orders.ReadAll" in token.roles

        _post(
            gatehouse, "/revoke", provisioned["daemon"], token=raw, token_type_hint="access_token"
        )
        with pytest.raises(InvalidToken, match="no longer active"):
            validator.validate(raw)


def test_without_introspection_a_revoked_token_still_validates_locally(
    gatehouse: LiveServer, provisioned: dict[str, dict[str, Any]]
) -> None:
    """The trade-off introspection exists for: a JWT is valid until it expires."""
    raw = _app_token(gatehouse, provisioned["daemon"])
    _post(gatehouse, "/revoke", provisioned["daemon"], token=raw, token_type_hint="access_token")
    with TokenValidator(gatehouse.issuer, ORDERS) as validator:
        assert validator.validate(raw).client_id == "reporting"
