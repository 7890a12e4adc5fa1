"""The orders API: a Starlette app whose every route but /health needs a gatehouse token.

Who may do what is one table (``RULES``), enforced by gatehouse.rs's ASGI middleware:

=====================  ========================================================
GET  /orders           delegated scope ``orders.read`` (a user's own orders)
POST /orders           delegated scope ``orders.write``
GET  /admin/orders     app role ``Orders.ReadAll`` (client credentials)
GET  /stock/{item}     delegated scope ``orders.read``; asks the inventory API, as the
                       user (on-behalf-of, inventory.py), when one is configured
GET  /me               any valid token: what the API sees in it
GET  /health           public
=====================  ========================================================
"""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from examples.orders_api.inventory import ExchangeRefused, Inventory
from gatehouse.rs import AccessToken, BearerAuthMiddleware, PathRule, TokenValidator, bearer_token

REALM = "orders"
RULES = (
    PathRule("/health", public=True),
    PathRule("/orders", methods=["GET"], scopes=["orders.read"]),
    PathRule("/orders", methods=["POST"], scopes=["orders.write"]),
    PathRule("/admin", roles=["Orders.ReadAll"]),
    PathRule("/stock", methods=["GET"], scopes=["orders.read"]),
    PathRule("/"),  # everything else: any valid token (deny by default)
)


def _token(request: Request) -> AccessToken:
    token: AccessToken = request.state.access_token  # put there by BearerAuthMiddleware
    return token


def _bad_request(message: str) -> Response:
    return JSONResponse({"error": "invalid_request", "error_description": message}, 400)


class OrderBook:
    """In memory, for the example; a real API has a database."""

    def __init__(self) -> None:
        self.orders: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    def add(self, owner: str, item: str, quantity: int) -> dict[str, Any]:
        order = {"id": next(self._ids), "owner": owner, "item": item, "quantity": quantity}
        self.orders.append(order)
        return order

    def of(self, owner: str) -> list[dict[str, Any]]:
        return [order for order in self.orders if order["owner"] == owner]


def create_app(validator: TokenValidator, inventory: Inventory | None = None) -> Starlette:
    """``inventory``: the downstream API that GET /stock/{item} asks on the user's behalf."""
    book = OrderBook()

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def list_orders(request: Request) -> Response:
        return JSONResponse({"orders": book.of(_token(request).subject)})

    async def create_order(request: Request) -> Response:
        try:
            body = await request.json()
            item, quantity = body["item"], body.get("quantity", 1)
        except (ValueError, KeyError, TypeError, AttributeError):
            return _bad_request('send JSON like {"item": "tea", "quantity": 2}')
        if not isinstance(item, str) or not item or type(quantity) is not int or quantity < 1:
            return _bad_request("item is a non-empty string, quantity a positive integer")
        return JSONResponse(book.add(_token(request).subject, item, quantity), status_code=201)

    async def all_orders(request: Request) -> Response:
        return JSONResponse({"orders": book.orders})

    async def me(request: Request) -> Response:
        token = _token(request)
        return JSONResponse(
            {
                "sub": token.subject,
                "client_id": token.client_id,
                "scopes": sorted(token.scopes),
                "roles": sorted(token.roles),
                "expires_at": token.expires_at,
            }
        )

    async def stock(request: Request) -> Response:
        assert inventory is not None
        # The token this request came with, as received: it is what gets exchanged.
        user_token = bearer_token(request.headers.getlist("authorization"))
        try:
            answer = await inventory.stock(user_token, request.path_params["item"])
        except ExchangeRefused as refused:
            return JSONResponse({"error": "exchange_refused", "gatehouse": refused.answer}, 502)
        return JSONResponse(answer.json(), status_code=answer.status_code)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await validator.aclose()
        if inventory is not None:
            await inventory.aclose()

    downstream = [Route("/stock/{item}", stock)] if inventory is not None else []
    return Starlette(
        routes=[
            Route("/health", health),
            Route("/orders", list_orders, methods=["GET"]),
            Route("/orders", create_order, methods=["POST"]),
            Route("/admin/orders", all_orders),
            Route("/me", me),
            *downstream,
        ],
        middleware=[
            Middleware(BearerAuthMiddleware, validator=validator, rules=RULES, realm=REALM)
        ],
        lifespan=lifespan,
    )


def from_environment() -> Starlette:
    """``uvicorn --factory examples.orders_api.app:from_environment``, configured by
    ORDERS_API_ISSUER and ORDERS_API_AUDIENCE."""
    issuer, audience = os.environ.get("ORDERS_API_ISSUER"), os.environ.get("ORDERS_API_AUDIENCE")
    if not issuer or not audience:
        raise SystemExit("set ORDERS_API_ISSUER and ORDERS_API_AUDIENCE")
    return create_app(TokenValidator(issuer, audience))
