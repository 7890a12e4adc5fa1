"""A resource server that requires a person's app role, with tokens minted by a real
``gatehouse serve`` provisioned through the CLI: the role reaches alice through a nested group,
a daemon's own token with the same role is refused where the endpoint acts for a person, and a
refreshed token drops the role once the group no longer holds it."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gatehouse.rs import BearerAuthMiddleware, PathRule, RequireToken, TokenValidator
from gatehouse.rs.http import basic_authorization
from tests.support.live_server import LiveServer, start_server

ORDERS = "https://orders.example.com"
PASSWORD = "alice's long passphrase"


def _token(server: LiveServer, client: dict[str, Any], **form: str) -> dict[str, Any]:
    request = urllib.request.Request(
        server.url("/token"),
        data=urlencode(form).encode(),
        headers={
            "Authorization": basic_authorization(client["client_id"], client["client_secret"])
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body: dict[str, Any] = json.loads(response.read())
    return body


@pytest.fixture(scope="module")
def gatehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    workdir = tmp_path_factory.mktemp("gatehouse")
    server = start_server(f"sqlite:///{Path(workdir) / 'gatehouse.db'}", workdir)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def clients(gatehouse: LiveServer) -> dict[str, dict[str, Any]]:
    """alice in approvers, within purchasing, which holds Orders.Approve; a first-party app
    that signs people in with the password grant; a daemon granted the same role."""
    cli = gatehouse.cli
    cli("api", "create", "--identifier", ORDERS, "--scope", "orders.read=Read orders",
        "--app-role", "Orders.Approve=Approve orders")  # fmt: skip
    cli("user", "create", "--username", "alice", "--password-stdin", stdin=PASSWORD + "\n")
    cli("group", "create", "--name", "purchasing")
    cli("group", "create", "--name", "approvers")
    cli("group", "add-member", "purchasing", "--group", "approvers")
    cli("group", "add-member", "approvers", "--user", "alice")
    cli("grant", "app-role", "--api", ORDERS, "--role", "Orders.Approve", "--group", "purchasing")
    app = cli("client", "create", "--client-id", "buyer", "--first-party",
              "--grant-type", "password", "--grant-type", "refresh_token",
              "--scope", "openid offline_access orders.read")  # fmt: skip
    daemon = cli("client", "create", "--client-id", "daemon",
                 "--grant-type", "client_credentials")  # fmt: skip
    cli("grant", "app-role", "--api", ORDERS, "--role", "Orders.Approve", "--client", "daemon")
    return {"app": app, "daemon": daemon}


def _api(validator: TokenValidator) -> Starlette:
    """Approvals act for a person; the report takes anyone holding the role."""
    approve = RequireToken(validator, roles=["Orders.Approve"], delegated=True)

    async def approval(request: Request) -> Response:
        token = await approve(request)
        return JSONResponse({"approved_by": token.subject})

    async def report(request: Request) -> Response:
        return JSONResponse({"for": request.state.access_token.subject})

    rules = [PathRule("/report", roles=["Orders.Approve"], delegated=True), PathRule("/")]
    return Starlette(
        routes=[Route("/approvals", approval, methods=["POST"]), Route("/report", report)],
        middleware=[Middleware(BearerAuthMiddleware, validator=validator, rules=rules)],
    )


def _call(app: Starlette, method: str, path: str, token: str) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://api"
        ) as client:
            return await client.request(method, path, headers={"authorization": f"Bearer {token}"})

    return asyncio.run(go())


def test_a_persons_role_through_nested_groups_opens_the_endpoint(
    gatehouse: LiveServer, clients: dict[str, dict[str, Any]]
) -> None:
    signed_in = _token(
        gatehouse, clients["app"], grant_type="password", username="alice", password=PASSWORD,
        scope="openid offline_access orders.read",
    )  # fmt: skip
    daemon = _token(gatehouse, clients["daemon"], grant_type="client_credentials", resource=ORDERS)
    with TokenValidator(gatehouse.issuer, ORDERS) as validator:
        person = validator.validate(signed_in["access_token"])
        assert person.is_delegated and person.roles == {"Orders.Approve"}
        assert not validator.validate(daemon["access_token"]).is_delegated

        api = _api(validator)
        for method, path in (("POST", "/approvals"), ("GET", "/report")):
            allowed = _call(api, method, path, signed_in["access_token"])
            assert allowed.status_code == 200, allowed.text
            refused = _call(api, method, path, daemon["access_token"])
            assert refused.status_code == 403
            assert "acts for a signed-in person" in refused.headers["www-authenticate"]

        # The group loses the role: the next refreshed token no longer opens the endpoint.
        gatehouse.cli(
            "revoke", "app-role", "--api", ORDERS, "--role", "Orders.Approve",
            "--group", "purchasing",
        )  # fmt: skip
        refreshed = _token(
            gatehouse, clients["app"], grant_type="refresh_token",
            refresh_token=signed_in["refresh_token"],
        )  # fmt: skip
        assert "roles" not in validator.validate(refreshed["access_token"]).claims
        refused = _call(api, "POST", "/approvals", refreshed["access_token"])
        assert refused.status_code == 403
        assert "missing app role Orders.Approve" in refused.headers["www-authenticate"]


def test_the_server_refuses_unknown_holders(
    gatehouse: LiveServer, clients: dict[str, dict[str, Any]]
) -> None:
    with pytest.raises(AssertionError, match="no group 'nobody'"):
        gatehouse.cli(
            "grant", "app-role", "--api", ORDERS, "--role", "Orders.Approve", "--group", "nobody"
        )
