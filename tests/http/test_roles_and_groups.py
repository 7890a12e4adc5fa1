"""App roles assigned to people and groups, and the groups claim, over HTTP: what the code,
refresh and device flows issue, that a refresh reflects changes made meanwhile, the overage
past the limit, UserInfo and introspection (docs/groups-and-roles.md)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from starlette.testclient import TestClient

from gatehouse.admin import clients as client_admin
from gatehouse.admin import groups as group_admin
from gatehouse.admin import role_assignments
from gatehouse.protocol.person_claims import GROUPS_CLAIM_LIMIT
from gatehouse.runtime import Runtime
from gatehouse.storage.groups import Group, Principal
from tests.conftest import ISSUER
from tests.support.account import follow_account_sign_in
from tests.support.device import answer, enter_code, make_device_client, poll, start_device
from tests.support.factories import ORDERS_API, make_api, make_client, make_user
from tests.support.flow import get_tokens, install_clock
from tests.support.responses import run_to_client
from tests.support.tokens import introspect, refresh, token_claims, userinfo

SCOPE = "openid offline_access orders.read"


@pytest.fixture
def shop(runtime: Runtime) -> dict[str, Any]:
    """alice in frontend, within engineering; engineering holds orders.admin, alice herself
    orders.export; the shop client asks for group names."""
    make_user(runtime)
    make_api(runtime, ORDERS_API, roles=("orders.admin", "orders.export", "orders.audit"))
    group_admin.create_group(runtime, "engineering")
    group_admin.create_group(runtime, "frontend")
    group_admin.create_group(runtime, "sales")
    group_admin.add_member(runtime, "engineering", group="frontend")
    group_admin.add_member(runtime, "frontend", user="alice")
    role_assignments.assign_app_role(
        runtime, ORDERS_API, "orders.admin", user=None, group="engineering"
    )
    role_assignments.assign_app_role(runtime, ORDERS_API, "orders.export", user="alice")
    role_assignments.assign_app_role(runtime, ORDERS_API, "orders.audit", group="sales")
    return make_client(
        runtime,
        "shop",
        scopes=["openid", "offline_access", "orders.read"],
        groups_claim="names",
    )


def _tokens(http: TestClient, client: dict[str, Any], scope: str = SCOPE) -> dict[str, Any]:
    return get_tokens(http, client, scope=scope)


def _refreshed(
    http: TestClient, client: dict[str, Any], token: str, **extra: str
) -> dict[str, Any]:
    response = refresh(http, client, token, **extra)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_code_flow_carries_the_persons_roles_and_groups(
    runtime: Runtime, http: TestClient, shop: dict[str, Any]
) -> None:
    body = _tokens(http, shop)
    access = token_claims(runtime, body["access_token"])
    assert access["aud"] == ORDERS_API
    # Direct and through frontend within engineering; not sales's.
    assert access["roles"] == ["orders.admin", "orders.export"]
    assert access["groups"] == ["engineering", "frontend"]
    assert token_claims(runtime, body["id_token"])["groups"] == ["engineering", "frontend"]


def test_a_refresh_reflects_what_changed_meanwhile(
    runtime: Runtime, http: TestClient, shop: dict[str, Any]
) -> None:
    body = _tokens(http, shop)
    group_admin.remove_member(runtime, "engineering", group="frontend")
    role_assignments.unassign_app_role(
        runtime, ORDERS_API, "orders.export", user="alice", group=None
    )
    group_admin.add_member(runtime, "sales", user="alice")

    body = _refreshed(http, shop, body["refresh_token"])
    access = token_claims(runtime, body["access_token"])
    assert access["roles"] == ["orders.audit"]
    assert access["groups"] == ["frontend", "sales"]

    group_admin.delete_group(runtime, "sales")
    group_admin.delete_group(runtime, "frontend")
    body = _refreshed(http, shop, body["refresh_token"])
    access = token_claims(runtime, body["access_token"])
    assert "roles" not in access and "groups" not in access
    assert "groups" not in token_claims(runtime, body["id_token"])


def test_a_token_for_userinfo_has_groups_and_no_roles(
    runtime: Runtime, http: TestClient, shop: dict[str, Any]
) -> None:
    body = _tokens(http, shop, scope="openid offline_access")
    access = token_claims(runtime, body["access_token"])
    assert access["aud"] == f"{ISSUER}/userinfo"
    assert "roles" not in access
    assert access["groups"] == ["engineering", "frontend"]
    assert userinfo(http, body["access_token"]).json()["groups"] == ["engineering", "frontend"]


def test_a_client_that_did_not_opt_in_gets_roles_but_no_groups(
    runtime: Runtime, http: TestClient, shop: dict[str, Any]
) -> None:
    client_admin.update_client(
        runtime, client_admin.ClientSpec(client_id="shop", groups_claim="none")
    )
    body = _tokens(http, shop)
    access = token_claims(runtime, body["access_token"])
    assert access["roles"] == ["orders.admin", "orders.export"]
    assert "groups" not in access
    assert "groups" not in token_claims(runtime, body["id_token"])
    own = _refreshed(http, shop, body["refresh_token"], resource=f"{ISSUER}/userinfo")
    assert "groups" not in userinfo(http, own["access_token"]).json()


def test_group_ids_for_a_client_that_asks_for_ids(
    runtime: Runtime, http: TestClient, shop: dict[str, Any]
) -> None:
    client_admin.update_client(
        runtime, client_admin.ClientSpec(client_id="shop", groups_claim="ids")
    )
    ids = [group_admin.find_group(runtime, n).id for n in ("engineering", "frontend")]
    body = _tokens(http, shop)
    assert token_claims(runtime, body["access_token"])["groups"] == ids
    assert token_claims(runtime, body["id_token"])["groups"] == ids


def test_past_the_limit_the_tokens_point_to_userinfo(
    runtime: Runtime, http: TestClient, shop: dict[str, Any]
) -> None:
    alice = runtime.store.users.find_by_login("alice")
    assert alice is not None
    now = int(time.time())
    for n in range(GROUPS_CLAIM_LIMIT - 1):  # with frontend and engineering: one too many
        group = Group(str(uuid.uuid4()), f"g{n:03}", None, now, now)
        runtime.store.groups.insert(group)
        runtime.store.groups.add_member(group.id, Principal("user", alice.id), now)

    body = _tokens(http, shop, scope="openid offline_access")
    for token in (body["access_token"], body["id_token"]):
        claims = token_claims(runtime, token)
        assert "groups" not in claims
        assert claims["_claim_names"] == {"groups": "src1"}
        assert claims["_claim_sources"] == {"src1": {"endpoint": f"{ISSUER}/userinfo"}}
    everything = userinfo(http, body["access_token"]).json()["groups"]
    assert len(everything) == GROUPS_CLAIM_LIMIT + 1
    assert {"engineering", "frontend", "g000"} <= set(everything)


def test_introspection_shows_the_roles_and_groups(
    runtime: Runtime, http: TestClient, shop: dict[str, Any]
) -> None:
    token = _tokens(http, shop)["access_token"]
    shown = introspect(http, shop, token).json()
    assert shown["active"] is True
    assert shown["roles"] == ["orders.admin", "orders.export"]
    assert shown["groups"] == ["engineering", "frontend"]


def test_the_device_flow_carries_them_too(
    runtime: Runtime, http: TestClient, shop: dict[str, Any]
) -> None:
    clock = install_clock(runtime)
    tv = make_device_client(
        runtime, scopes=["openid", "offline_access", "orders.read"], groups_claim="names"
    )
    started = start_device(http, tv, scope=SCOPE).json()
    page = follow_account_sign_in(http, enter_code(http, started["user_code"]))
    assert answer(http, page, "approve").status_code == 200
    clock.advance(5)
    tokens = poll(http, tv, started["device_code"])
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    access = token_claims(runtime, body["access_token"])
    assert access["roles"] == ["orders.admin", "orders.export"]
    assert token_claims(runtime, body["id_token"])["groups"] == ["engineering", "frontend"]

    group_admin.remove_member(runtime, "frontend", user="alice")
    clock.advance(1)
    refreshed = _refreshed(http, tv, body["refresh_token"])
    access = token_claims(runtime, refreshed["access_token"])
    assert access["roles"] == ["orders.export"]
    assert "groups" not in access


def test_an_access_token_from_the_authorization_endpoint_carries_the_persons_roles(
    runtime: Runtime, http: TestClient, shop: dict[str, Any]
) -> None:
    # The hybrid flow's front-channel access token (OIDC Core §3.3.2.5) is minted apart from
    # the token endpoint's: it must carry the same roles and groups.
    client_admin.update_client(
        runtime,
        client_admin.ClientSpec(
            client_id="shop",
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code", "code token"],
        ),
    )
    result = run_to_client(
        http, "shop", response_type="code token", nonce="n-1", scope="openid orders.read"
    )
    access = token_claims(runtime, result.params["access_token"])
    assert access["aud"] == ORDERS_API
    assert access["roles"] == ["orders.admin", "orders.export"]
    assert access["groups"] == ["engineering", "frontend"]
