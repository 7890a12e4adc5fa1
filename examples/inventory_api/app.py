"""The inventory API: a Starlette app that the orders API calls on behalf of the user whose
request it is serving (RFC 8693 token exchange at gatehouse; docs/token-exchange.md).

=====================  ========================================================
GET  /stock/{item}     delegated scope ``inventory.read``: how many are in stock,
                       and who asked: the user (``sub``) and the chain of APIs
                       acting for them (``act``)
GET  /health           public
=====================  ========================================================

It validates tokens exactly as the orders API does (gatehouse.rs); that a token came from
an exchange shows only in its ``act`` claim.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gatehouse.rs import AccessToken, BearerAuthMiddleware, PathRule, TokenValidator

REALM = "inventory"
RULES = (
    PathRule("/health", public=True),
    PathRule("/stock", methods=["GET"], scopes=["inventory.read"]),
    PathRule("/"),  # everything else: any valid token (deny by default)
)
STOCK = {"tea": 12, "coffee": 0, "biscuits": 40}


def actors(token: AccessToken) -> list[str]:
    """The ``act`` chain, the latest actor first (RFC 8693 §4.1): who is acting for the
    user, and for whom they were acting in turn."""
    chain: list[str] = []
    act: Any = token.claims.get("act")
    while isinstance(act, dict) and isinstance(act.get("sub"), str):
        chain.append(act["sub"])
        act = act.get("act")
    return chain


def create_app(validator: TokenValidator) -> Starlette:
    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def stock(request: Request) -> Response:
        token: AccessToken = request.state.access_token  # put there by BearerAuthMiddleware
        item = request.path_params["item"]
        if item not in STOCK:
            return JSONResponse({"error": "not_found", "item": item}, status_code=404)
        return JSONResponse(
            {
                "item": item,
                "in_stock": STOCK[item],
                "asked_by": token.subject,
                "through": actors(token),
            }
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await validator.aclose()

    return Starlette(
        routes=[Route("/health", health), Route("/stock/{item}", stock)],
        middleware=[
            Middleware(BearerAuthMiddleware, validator=validator, rules=RULES, realm=REALM)
        ],
        lifespan=lifespan,
    )
