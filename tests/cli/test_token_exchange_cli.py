"""Provisioning on-behalf-of: `client create --grant-type ...token-exchange`, `api create
--client`, `grant/revoke token-exchange`, `grant list --kind token-exchange`, and the
token_exchange_grants section of `apply`; each change an audit event."""

from __future__ import annotations

from pathlib import Path

from gatehouse.protocol.grants.token_exchange import GRANT_TYPE
from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditQuery, ExchangeGrant
from tests.cli.conftest import Gatehouse

ORDERS = "https://orders.example.com"
INVENTORY = "https://inventory.example.com"


def provision(gh: Gatehouse) -> None:
    gh.ok("client", "create", "--client-id", "orders-api", "--grant-type", GRANT_TYPE)
    gh.ok("api", "create", "--identifier", ORDERS, "--scope", "orders.read=Read your orders")
    gh.ok("api", "update", ORDERS, "--client", "orders-api")
    gh.ok("api", "create", "--identifier", INVENTORY, "--scope", "inventory.read=Read stock")


def test_grant_list_and_revoke(gh: Gatehouse, runtime: Runtime) -> None:
    provision(gh)
    assert gh.ok("api", "show", ORDERS)["client_id"] == "orders-api"
    granted = gh.ok("grant", "token-exchange", "--client", "orders-api", "--api", INVENTORY)
    assert granted == {
        "client_id": "orders-api",
        "api": INVENTORY,
        "impersonation": False,
        "granted": True,
        "changed": True,
    }
    again = gh.ok("grant", "token-exchange", "--client", "orders-api", "--api", INVENTORY)
    assert again["changed"] is False
    listed = gh.ok("grant", "list", "--kind", "token-exchange")
    assert listed == [{"client_id": "orders-api", "api": INVENTORY, "impersonation": False}]
    assert gh.ok("grant", "list") == []  # app-role grants, as before

    revoked = gh.ok("revoke", "token-exchange", "--client", "orders-api", "--api", INVENTORY)
    assert revoked == {"client_id": "orders-api", "api": INVENTORY, "granted": False}
    assert gh.ok("grant", "list", "--kind", "token-exchange", "--client", "orders-api") == []
    events = runtime.store.audit.list(AuditQuery(types=("admin.token_exchange",)))
    assert [(e.type, e.client_id, e.details["api"]) for e in events] == [
        ("admin.token_exchange.revoked", "orders-api", INVENTORY),
        ("admin.token_exchange.granted", "orders-api", INVENTORY),
    ]


def test_impersonation_is_switched_on_per_pair_and_off_by_granting_again(
    gh: Gatehouse, runtime: Runtime
) -> None:
    provision(gh)
    args = ("grant", "token-exchange", "--client", "orders-api", "--api", INVENTORY)
    assert gh.ok(*args, "--allow-impersonation")["impersonation"] is True
    assert runtime.store.apis.exchange_grants("orders-api") == [
        ExchangeGrant("orders-api", INVENTORY, True)
    ]
    assert gh.ok(*args) == {
        "client_id": "orders-api",
        "api": INVENTORY,
        "impersonation": False,
        "granted": True,
        "changed": True,
    }


def test_refusals_are_one_line(gh: Gatehouse) -> None:
    provision(gh)
    gh.ok("client", "create", "--client-id", "daemon", "--grant-type", "client_credentials")
    grant = ("grant", "token-exchange", "--api", INVENTORY, "--client")
    assert gh.fails(*grant, "nobody") == "error: no client 'nobody'"
    assert gh.fails(*grant, "daemon") == (
        f"error: client 'daemon' may not use the token exchange grant; add --grant-type "
        f"{GRANT_TYPE} to its grant types first"
    )
    assert gh.fails(
        "grant", "token-exchange", "--client", "orders-api", "--api", "https://x.example"
    ) == ("error: no API 'https://x.example'")
    assert gh.fails("revoke", "token-exchange", "--client", "orders-api", "--api", INVENTORY) == (
        f"error: client 'orders-api' may not exchange tokens for {INVENTORY}"
    )
    public = gh.fails(
        "client", "create", "--client-id", "spa", "--type", "public",
        "--redirect-uri", "https://app.example.com/cb", "--grant-type", GRANT_TYPE,
    )  # fmt: skip
    assert "a public client cannot use token exchange" in public


def test_deleting_the_client_or_the_api_drops_its_exchange_grants(
    gh: Gatehouse, runtime: Runtime
) -> None:
    provision(gh)
    gh.ok("grant", "token-exchange", "--client", "orders-api", "--api", INVENTORY)
    gh.ok("api", "delete", INVENTORY)
    assert runtime.store.apis.exchange_grants() == []
    gh.ok("api", "create", "--identifier", INVENTORY, "--scope", "inventory.read=Read stock")
    gh.ok("grant", "token-exchange", "--client", "orders-api", "--api", INVENTORY)
    gh.ok("api", "update", ORDERS, "--client", "orders-api")
    gh.ok("client", "delete", "orders-api")
    assert runtime.store.apis.exchange_grants() == []


APPLY = f"""\
apis:
  - identifier: {ORDERS}
    scopes: {{orders.read: Read your orders}}
    client_id: orders-api
  - identifier: {INVENTORY}
    scopes: {{inventory.read: Read stock}}
clients:
  - client_id: orders-api
    grant_types: [{GRANT_TYPE}]
token_exchange_grants:
  - client_id: orders-api
    api: {INVENTORY}
"""


def test_apply_grants_token_exchange_idempotently(
    gh: Gatehouse, runtime: Runtime, tmp_path: Path
) -> None:
    path = tmp_path / "gatehouse.yaml"
    path.write_text(APPLY)
    first = gh.ok("apply", str(path))
    assert first["changes"][-1] == {
        "kind": "token_exchange_grant",
        "id": f"orders-api {INVENTORY}",
        "action": "created",
    }
    assert runtime.store.apis.exchange_grant("orders-api", INVENTORY) == ExchangeGrant(
        "orders-api", INVENTORY
    )
    assert gh.ok("apply", str(path))["changed"] == 0

    path.write_text(APPLY + "    impersonation: true\n")
    assert gh.ok("apply", str(path))["changes"][-1]["action"] == "updated"
    assert runtime.store.apis.exchange_grants()[0].impersonation is True

    path.write_text(APPLY + "    impersonation: sometimes\n")
    line = gh.fails("apply", str(path))
    assert "token_exchange_grants[0] (client_id 'orders-api'): impersonation must be" in line
