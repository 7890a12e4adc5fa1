"""RequireToken and bearer_error_handler in a Starlette app (FastAPI renders the same
HTTPException with the same headers)."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gatehouse.rs import BearerAuthMiddleware, PathRule, RequireToken, RSError, TokenValidator
from gatehouse.rs.starlette import BearerHTTPException, bearer_error_handler
from tests.rs.conftest import MakeValidator
from tests.rs.issuer import IssuerState, SigningKey, claims_for
from tests.support.ports import free_port


def _app(validator: TokenValidator, *, with_middleware: bool = False) -> Starlette:
    read = RequireToken(validator, scopes=["orders.read"], realm="orders")
    admin = RequireToken(validator, roles=["Orders.ReadAll"], realm="orders")

    async def list_orders(request: Request) -> Response:
        token = await read(request)
        return JSONResponse({"sub": token.subject, "stored": request.state.access_token is token})

    async def all_orders(request: Request) -> Response:
        token = await admin(request)
        return JSONResponse({"client_id": token.client_id})

    async def refund(request: Request) -> Response:
        token = await read(request)
        token.require_scopes("orders.refund")  # rendered by bearer_error_handler
        return JSONResponse({})

    middleware = [Middleware(BearerAuthMiddleware, validator=validator, rules=[PathRule("/")])]
    return Starlette(
        routes=[
            Route("/orders", list_orders),
            Route("/admin/orders", all_orders),
            Route("/refund", refund, methods=["POST"]),
        ],
        middleware=middleware if with_middleware else [],
        exception_handlers={RSError: bearer_error_handler("orders")},
    )


def _call(app: Any, method: str, path: str, authorization: str | None) -> httpx.Response:
    async def go() -> httpx.Response:
        headers = {"authorization": authorization} if authorization else {}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://api"
        ) as client:
            return await client.request(method, path, headers=headers)

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("method", "path", "claims", "status", "challenge"),
    [
        ("GET", "/orders", None, 401, 'Bearer realm="orders"'),
        ("GET", "/orders", {"aud": "x"}, 401,
         'Bearer realm="orders", error="invalid_token", '
         'error_description="the token is for audience x, not https://orders.example.com"'),
        ("GET", "/orders", {"scope": "openid"}, 403,
         'Bearer realm="orders", error="insufficient_scope", '
         'error_description="missing scope orders.read", scope="orders.read"'),
        ("GET", "/admin/orders", {}, 403,
         'Bearer realm="orders", error="insufficient_scope", '
         'error_description="missing app role Orders.ReadAll"'),
        ("POST", "/refund", {}, 403,
         'Bearer realm="orders", error="insufficient_scope", '
         'error_description="missing scope orders.refund", scope="orders.refund"'),
        ("GET", "/orders", {}, 200, None),
        ("GET", "/admin/orders", {"roles": ["Orders.ReadAll"]}, 200, None),
    ],
)  # fmt: skip
def test_require_token(
    issuer: IssuerState,
    validator: TokenValidator,
    es_key: SigningKey,
    method: str,
    path: str,
    claims: dict[str, Any] | None,
    status: int,
    challenge: str | None,
) -> None:
    authorization = (
        None if claims is None else "Bearer " + es_key.sign(claims_for(issuer.url, **claims))
    )
    response = _call(_app(validator), method, path, authorization)
    assert response.status_code == status
    assert response.headers.get("www-authenticate") == challenge
    if status == 200:
        assert response.json().get("stored", True) is True


def test_a_token_the_middleware_validated_is_not_validated_again(
    issuer: IssuerState,
    validator: TokenValidator,
    es_key: SigningKey,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = 0
    original = validator.validate_async

    async def counting(token: str) -> Any:
        nonlocal calls
        calls += 1
        return await original(token)

    monkeypatch.setattr(validator, "validate_async", counting)
    raw = es_key.sign(claims_for(issuer.url))
    response = _call(_app(validator, with_middleware=True), "GET", "/orders", f"Bearer {raw}")
    assert response.json() == {"sub": "user-123", "stored": True}
    assert calls == 1


def test_an_unavailable_issuer_is_a_503(make_validator: MakeValidator, es_key: SigningKey) -> None:
    issuer = f"http://127.0.0.1:{free_port()}"
    validator = make_validator(issuer=issuer)
    response = _call(_app(validator), "GET", "/orders", "Bearer " + es_key.sign(claims_for(issuer)))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "www-authenticate" not in response.headers


def test_the_exception_is_an_http_exception(validator: TokenValidator) -> None:
    from gatehouse.rs import InvalidToken

    exc = BearerHTTPException(InvalidToken("nope"), "orders")
    assert (exc.status_code, exc.detail) == (401, "nope")
    assert exc.headers == {
        "www-authenticate": (
            'Bearer realm="orders", error="invalid_token", error_description="nope"'
        ),
        "cache-control": "no-store",
    }


def test_fastapi_can_see_what_to_inject(validator: TokenValidator) -> None:
    """FastAPI inspects __call__ at runtime; the annotation must be the real Request class."""
    parameters = inspect.signature(RequireToken(validator).__call__).parameters
    assert parameters["request"].annotation is Request


def test_a_token_the_middleware_validated_for_another_audience_is_validated_again(
    issuer: IssuerState, make_validator: MakeValidator, es_key: SigningKey
) -> None:
    """Two APIs in one app: the middleware checks tokens for orders, a route for billing.
    A token for orders, whose scope name the billing route also asks for, must not pass."""
    orders = make_validator()
    billing = make_validator(audience="https://billing.example.com")
    read_invoices = RequireToken(billing, scopes=["orders.read"], realm="billing")

    async def invoices(request: Request) -> Response:
        token = await read_invoices(request)
        return JSONResponse({"sub": token.subject})

    app = Starlette(
        routes=[Route("/invoices", invoices)],
        middleware=[Middleware(BearerAuthMiddleware, validator=orders, rules=[PathRule("/")])],
    )
    raw = es_key.sign(claims_for(issuer.url))  # aud: orders, scope: openid orders.read
    response = _call(app, "GET", "/invoices", f"Bearer {raw}")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == (
        'Bearer realm="billing", error="invalid_token", error_description="the token is for '
        'audience https://orders.example.com, not https://billing.example.com"'
    )
