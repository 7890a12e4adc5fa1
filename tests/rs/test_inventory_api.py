"""The example inventory API, in process: stock for a token with inventory.read, and the
chain of APIs acting for the user read from ``act`` (RFC 8693 §4.1)."""

from __future__ import annotations

import asyncio

import httpx
from examples.inventory_api import create_app
from examples.inventory_api.app import actors

from gatehouse.rs import AccessToken, TokenValidator
from tests.rs.issuer import IssuerState, SigningKey, claims_for


def test_stock_names_the_user_and_the_apis_acting_for_them(
    issuer: IssuerState, validator: TokenValidator, es_key: SigningKey
) -> None:
    act = {"sub": "orders-api", "act": {"sub": "gateway"}}
    token = es_key.sign(claims_for(issuer.url, sub="alice", scope="inventory.read", act=act))
    no_scope = es_key.sign(claims_for(issuer.url, sub="alice", scope="orders.read"))

    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=create_app(validator))
        async with httpx.AsyncClient(transport=transport, base_url="http://inventory") as client:
            return [
                await client.get("/stock/tea", headers={"authorization": f"Bearer {token}"}),
                await client.get("/stock/gin", headers={"authorization": f"Bearer {token}"}),
                await client.get("/stock/tea", headers={"authorization": f"Bearer {no_scope}"}),
            ]

    tea, unknown, refused = asyncio.run(go())
    assert tea.json() == {
        "item": "tea",
        "in_stock": 12,
        "asked_by": "alice",
        "through": ["orders-api", "gateway"],
    }
    assert unknown.status_code == 404
    assert refused.status_code == 403
    assert 'scope="inventory.read"' in refused.headers["www-authenticate"]


def test_a_token_without_act_has_no_actors() -> None:
    assert actors(AccessToken({"sub": "alice", "act": "not an object"})) == []
    assert actors(AccessToken({"sub": "alice"})) == []
