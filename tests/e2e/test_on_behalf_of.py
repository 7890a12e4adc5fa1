"""On-behalf-of across two example APIs protected by gatehouse.rs, end to end: alice signs in
to a web app with Chromium and Authlib redeems the code for a token for the orders API
(examples/orders_api); the orders API, asked for stock, exchanges that token at gatehouse
(RFC 8693) for one for the inventory API (examples/inventory_api) and calls it as alice. Three
processes that know each other only by URL, provisioned through the real CLI as docs/
token-exchange.md does it, once per module and backend: the tests share that deployment, each
signing in as a person of its own (consent is stored per person). Runs on SQLite and
PostgreSQL."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.support.browser import LoopbackSite, answer_consent, sign_in
from tests.support.live_server import (
    ExampleApi,
    LiveServer,
    start_inventory_api,
    start_orders_api,
)
from tests.support.relying_party import RelyingParty

pytestmark = pytest.mark.e2e

ORDERS = "https://orders.example.com"
INVENTORY = "https://inventory.example.com"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
PASSWORD = "correct horse battery staple"
USER_SCOPE = "openid orders.read inventory.read"
TIMEOUT = 30  # seconds for one HTTP exchange on a loaded machine: a bound, not an expectation


def provision(server: LiveServer, redirect_uri: str) -> dict[str, Any]:
    """The orders API's own client may exchange; the API is linked to it; the exchange for
    the inventory API is granted; the web app may ask for both APIs' scopes."""
    orders_api = server.cli(
        "client", "create", "--client-id", "orders-api", "--type", "confidential",
        "--grant-type", TOKEN_EXCHANGE, "--name", "Orders API",
    )  # fmt: skip
    server.cli(
        "api", "create", "--identifier", ORDERS, "--name", "Orders",
        "--scope", "orders.read=Read your orders", "--client", "orders-api",
    )  # fmt: skip
    server.cli(
        "api", "create", "--identifier", INVENTORY, "--name", "Inventory",
        "--scope", "inventory.read=See stock levels",
    )  # fmt: skip
    server.cli("grant", "token-exchange", "--client", "orders-api", "--api", INVENTORY)
    web = server.create_client(
        "web",
        [redirect_uri],
        scope=USER_SCOPE,
        name="Order Desk",
        extra=("--grant-type", "authorization_code"),
    )
    server.create_user("alice", PASSWORD, email="alice@example.com", name="Alice Liddell")
    # bert's sign-in consents to the orders scope only: his own person, so that alice's
    # consent to both APIs (another test's) is never his.
    server.create_user("bert", PASSWORD, email="bert@example.com", name="Bert Smith")
    return {"web": web, "orders-api": orders_api}


@pytest.fixture(scope="module")
def server(module_server: LiveServer) -> LiveServer:
    """The module's deployment, shared by its tests (each signs in as a person of its own)."""
    return module_server


@pytest.fixture(scope="module")
def apis(
    server: LiveServer,
    module_loopback_site: Callable[..., LoopbackSite],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[dict[str, Any], ExampleApi, ExampleApi, str]]:
    redirect_uri = module_loopback_site().url("/callback")
    tmp_path = tmp_path_factory.mktemp("apis")
    clients = provision(server, redirect_uri)
    secret = clients["orders-api"]["client_secret"]
    with ExitStack() as stack:
        inventory = start_inventory_api(server.issuer, INVENTORY, tmp_path / "inventory")
        stack.callback(_stop, inventory)
        orders = start_orders_api(
            server.issuer,
            ORDERS,
            tmp_path / "orders",
            inventory=(inventory.url(""), INVENTORY, "orders-api", secret),
        )
        stack.callback(_stop, orders)
        yield clients, orders, inventory, redirect_uri


def _stop(api: ExampleApi) -> None:
    """Its log is printed, which pytest shows when a test failed."""
    api.stop()
    print(f"--- {api.log_path.name} ---\n{api.log()[-4000:]}")


def get(api: ExampleApi, path: str, token: str) -> requests.Response:
    with requests.Session() as http:
        http.trust_env = False
        return http.get(
            api.url(path), headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
        )


def claims_of(jwt: str) -> dict[str, Any]:
    """The payload, unverified: the APIs are the ones that verify."""
    payload = jwt.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_the_orders_api_asks_the_inventory_api_as_the_signed_in_user(
    server: LiveServer,
    apis: tuple[dict[str, Any], ExampleApi, ExampleApi, str],
    page: Page,
) -> None:
    clients, orders, inventory, redirect_uri = apis
    rp = RelyingParty(server, clients["web"], redirect_uri)
    rp.session.scope = USER_SCOPE
    start = rp.start()
    page.goto(start.url)
    sign_in(page, "alice", PASSWORD)
    # One consent page covers both APIs: the inventory scope is asked for here, by the app
    # alice signs in to, although only the orders API will ever use it for her.
    expect(page.get_by_text("Read your orders")).to_be_visible()
    expect(page.get_by_text("See stock levels")).to_be_visible()
    answer_consent(page, "Allow")
    page.wait_for_url(lambda url: url.startswith(f"{redirect_uri}?"))
    token = rp.redeem(page.url, start, resource=ORDERS)["access_token"]
    rp.close()
    alice = claims_of(token)["sub"]
    assert claims_of(token)["aud"] == ORDERS

    # The inventory API refuses the user's token itself: it is for the orders API.
    direct = get(inventory, "/stock/tea", token)
    assert direct.status_code == 401, direct.text
    assert 'error="invalid_token"' in direct.headers["WWW-Authenticate"]

    # Through the orders API, on alice's behalf: same user, the orders API as the actor.
    stock = get(orders, "/stock/tea", token)
    assert stock.status_code == 200, stock.text
    assert stock.json() == {
        "item": "tea",
        "in_stock": 12,
        "asked_by": alice,
        "through": ["orders-api"],
    }

    events = server.cli("audit", "list", "--type", "token.exchanged")
    assert [(e["user_id"], e["client_id"], e["details"]["api"]) for e in events] == [
        (alice, "orders-api", INVENTORY)
    ]


def test_a_token_without_the_users_consent_for_inventory_is_refused_by_gatehouse(
    server: LiveServer,
    apis: tuple[dict[str, Any], ExampleApi, ExampleApi, str],
    page: Page,
) -> None:
    """bert signs in asking for the orders scope only: the orders API's exchange is refused
    (invalid_grant), and it tells its caller so."""
    clients, orders, _inventory, redirect_uri = apis
    rp = RelyingParty(server, clients["web"], redirect_uri)
    rp.session.scope = "openid orders.read"
    start = rp.start()
    page.goto(start.url)
    sign_in(page, "bert", PASSWORD)
    answer_consent(page, "Allow")
    page.wait_for_url(lambda url: url.startswith(f"{redirect_uri}?"))
    token = rp.redeem(page.url, start)["access_token"]
    rp.close()

    refused = get(orders, "/stock/tea", token)
    assert refused.status_code == 502, refused.text
    answer = refused.json()["gatehouse"]
    assert answer["error"] == "invalid_grant"
    assert f"has not consented to any scope of {INVENTORY}" in answer["error_description"]
    [event] = server.cli("audit", "list", "--type", "token.exchange_refused")
    assert event["details"]["error"] == "invalid_grant"
