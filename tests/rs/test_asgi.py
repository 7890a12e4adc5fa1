"""BearerAuthMiddleware: the exact RFC 6750 answers, path rules, and the token handed to the
endpoint. The app runs in process; its validator fetches keys from the real test issuer."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest
from starlette._utils import get_route_path
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from gatehouse.rs import BearerAuthMiddleware, PathRule, TokenValidator, asgi
from gatehouse.rs.asgi import Message
from tests.rs.conftest import MakeValidator
from tests.rs.issuer import (
    NOW,
    IssuerState,
    LoopbackServer,
    SigningKey,
    claims_for,
)
from tests.support.ports import free_port

RULES = [
    PathRule("/health", public=True),
    PathRule("/orders", methods=["GET"], scopes=["orders.read"]),
    PathRule("/orders", methods=["POST"], scopes=["orders.write"]),
    PathRule("/admin", roles=["Orders.ReadAll"]),
    PathRule("/"),
]


def _app(validator: TokenValidator) -> Starlette:
    async def whoami(request: Request) -> Response:
        token = request.state.access_token
        return JSONResponse({"sub": token.subject, "scopes": sorted(token.scopes)})

    async def refund(request: Request) -> Response:
        request.state.access_token.require_scopes("orders.refund")
        return JSONResponse({"refunded": True})

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True, "state": hasattr(request.state, "access_token")})

    return Starlette(
        routes=[
            Route("/health", health),
            Route("/orders", whoami, methods=["GET", "POST"]),
            Route("/orders/{id}/refund", refund, methods=["POST"]),
            Route("/admin/orders", whoami),
            Route("/elsewhere", whoami),
        ],
        middleware=[
            Middleware(BearerAuthMiddleware, validator=validator, rules=RULES, realm="orders")
        ],
    )


def _call(app: Any, method: str, path: str, authorization: str | None = None) -> httpx.Response:
    async def go() -> httpx.Response:
        headers = {"authorization": authorization} if authorization is not None else {}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            return await client.request(method, path, headers=headers)

    return asyncio.run(go())


EXPIRED = "the token expired at 2025-06-15T15:06:09Z"

CASES: list[tuple[str, str, str, dict[str, Any] | str | None, int, str | None]] = [
    # name, method, path, token claims (or a raw Authorization value), status, WWW-Authenticate
    ("no token", "GET", "/orders", None, 401, 'Bearer realm="orders"'),
    ("another scheme", "GET", "/orders", "Basic dXNlcjpwYXNz", 401, 'Bearer realm="orders"'),
    ("malformed header", "GET", "/orders", "Bearer a b", 400,
     'Bearer realm="orders", error="invalid_request", '
     'error_description="the bearer token has characters RFC 6750 section 2.1 does not allow'
     ' (or spaces)"'),
    ("garbage token", "GET", "/orders", "Bearer abc", 401,
     'Bearer realm="orders", error="invalid_token", '
     'error_description="the token is not a JWT: a JWS has three dot-separated parts'
     ' (RFC 7515 section 7.1)"'),
    ("expired", "GET", "/orders", {"exp": int(NOW) - 31}, 401,
     f'Bearer realm="orders", error="invalid_token", error_description="{EXPIRED}"'),
    ("wrong audience", "GET", "/orders", {"aud": "https://billing.example.com"}, 401,
     'Bearer realm="orders", error="invalid_token", error_description="the token is for '
     'audience https://billing.example.com, not https://orders.example.com"'),
    ("missing scope", "POST", "/orders", {}, 403,
     'Bearer realm="orders", error="insufficient_scope", '
     'error_description="missing scope orders.write", scope="orders.write"'),
    ("missing role", "GET", "/admin/orders", {}, 403,
     'Bearer realm="orders", error="insufficient_scope", '
     'error_description="missing app role Orders.ReadAll"'),
    ("scope checked by the endpoint", "POST", "/orders/7/refund", {"scope": "orders.write"}, 403,
     'Bearer realm="orders", error="insufficient_scope", '
     'error_description="missing scope orders.refund", scope="orders.refund"'),
    ("catch-all rule", "GET", "/elsewhere", None, 401, 'Bearer realm="orders"'),
    ("HEAD follows GET", "HEAD", "/orders", {"scope": "orders.write"}, 403,
     'Bearer realm="orders", error="insufficient_scope", '
     'error_description="missing scope orders.read", scope="orders.read"'),
    ("valid for GET", "GET", "/orders", {}, 200, None),
    ("valid for POST", "POST", "/orders", {"scope": "orders.write"}, 200, None),
    ("valid app token", "GET", "/admin/orders", {"scope": None, "roles": ["Orders.ReadAll"]},
     200, None),
    ("public path", "GET", "/health", None, 200, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "token", "status", "challenge"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_answers(
    issuer: IssuerState,
    validator: TokenValidator,
    es_key: SigningKey,
    method: str,
    path: str,
    token: dict[str, Any] | str | None,
    status: int,
    challenge: str | None,
) -> None:
    authorization = (
        token
        if isinstance(token, str) or token is None
        else ("Bearer " + es_key.sign(claims_for(issuer.url, **token)))
    )
    response = _call(_app(validator), method, path, authorization)
    assert response.status_code == status
    assert response.headers.get("www-authenticate") == challenge
    if challenge is not None and method != "HEAD":  # the JSON body repeats the error code
        code = re.search(r'error="([a-z_]+)"', challenge)
        assert response.json().get("error") == (code.group(1) if code else None)


def test_the_endpoint_gets_the_validated_token(
    issuer: IssuerState, validator: TokenValidator, es_key: SigningKey
) -> None:
    raw = es_key.sign(claims_for(issuer.url))
    response = _call(_app(validator), "GET", "/orders", f"Bearer {raw}")
    assert response.json() == {"sub": "user-123", "scopes": ["openid", "orders.read"]}
    public = _call(_app(validator), "GET", "/health", f"Bearer {raw}")
    assert public.json() == {"ok": True, "state": False}  # public paths are not validated


def test_an_unavailable_issuer_is_a_503(make_validator: MakeValidator, es_key: SigningKey) -> None:
    issuer = f"http://127.0.0.1:{free_port()}"
    validator = make_validator(issuer=issuer)
    response = _call(_app(validator), "GET", "/orders", "Bearer " + es_key.sign(claims_for(issuer)))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["error"] == "temporarily_unavailable"


def test_a_websocket_without_a_token_is_closed(validator: TokenValidator) -> None:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(message)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the app must not be reached")

    middleware = BearerAuthMiddleware(app, validator)
    scope = {"type": "websocket", "path": "/ws", "headers": []}
    asyncio.run(middleware(scope, receive, send))
    assert sent == [{"type": "websocket.close", "code": 1008}]


def test_lifespan_passes_through(validator: TokenValidator) -> None:
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    asyncio.run(BearerAuthMiddleware(app, validator)({"type": "lifespan"}, None, None))  # type: ignore[arg-type]
    assert seen == ["lifespan"]


@pytest.mark.parametrize(
    ("rule", "method", "path", "matches"),
    [
        (PathRule("/orders"), "GET", "/orders", True),
        (PathRule("/orders"), "GET", "/orders/7", True),
        (PathRule("/orders/"), "GET", "/orders", True),
        (PathRule("/orders"), "GET", "/ordersx", False),
        (PathRule("/orders"), "GET", "/", False),
        (PathRule("/"), "GET", "/anything", True),
        (PathRule("/orders", methods=["post"]), "POST", "/orders", True),
        (PathRule("/orders", methods=["POST"]), "GET", "/orders", False),
        (PathRule("/orders", methods=["GET"]), "HEAD", "/orders", True),
    ],
)
def test_path_rules(rule: PathRule, method: str, path: str, matches: bool) -> None:
    assert rule.matches(path, method) is matches


def test_a_rule_prefix_must_be_a_path() -> None:
    with pytest.raises(ValueError, match="starts with /"):
        PathRule("orders")


# -- rules are relative to where the app is mounted ------------------------------------------
# No catch-all rule here on purpose: a path the middleware reads differently from the router
# matches no rule and is served without a token, so these cases show a fail-open at once.
MOUNTED_RULES = [
    PathRule("/health", public=True),
    PathRule("/orders", methods=["GET"], scopes=["orders.read"]),
    PathRule("/orders", methods=["POST"], scopes=["orders.write"]),
    PathRule("/apiary", roles=["Orders.ReadAll"]),
]


def _orders_app(validator: TokenValidator) -> Starlette:
    async def orders(request: Request) -> Response:
        return JSONResponse({"token": hasattr(request.state, "access_token")})

    return Starlette(
        routes=[
            Route("/health", orders),
            Route("/orders", orders, methods=["GET", "POST"]),
            Route("/apiary/orders", orders),
        ],
        middleware=[
            Middleware(
                BearerAuthMiddleware, validator=validator, rules=MOUNTED_RULES, realm="orders"
            )
        ],
    )


def _call_mounted(
    app: Any, method: str, path: str, authorization: str | None, root_path: str = ""
) -> httpx.Response:
    async def go() -> httpx.Response:
        headers = {"authorization": authorization} if authorization is not None else {}
        # httpx's ASGITransport puts the full path in scope["path"] and root_path beside
        # it, as uvicorn 0.54 does with --root-path.
        transport = httpx.ASGITransport(app=app, root_path=root_path)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            return await client.request(method, path, headers=headers)

    return asyncio.run(go())


MOUNTED_CASES: list[tuple[str, str, str, dict[str, Any] | None, int]] = [
    # name, method, path below the mount point, token claims (None: no token), status
    ("no token", "GET", "/orders", None, 401),
    ("scope lacking", "POST", "/orders", {}, 403),
    ("role lacking", "GET", "/apiary/orders", {}, 403),
    ("valid", "GET", "/orders", {}, 200),
    ("public", "GET", "/health", None, 200),
]


def _authorization(
    issuer: IssuerState, key: SigningKey, claims: dict[str, Any] | None
) -> str | None:
    return None if claims is None else "Bearer " + key.sign(claims_for(issuer.url, **claims))


@pytest.mark.parametrize("mounting", ["starlette-mount", "root-path"])
@pytest.mark.parametrize(
    ("method", "path", "claims", "status"),
    [pytest.param(*case[1:], id=case[0]) for case in MOUNTED_CASES],
)
def test_rules_apply_below_the_mount_point(
    issuer: IssuerState,
    validator: TokenValidator,
    es_key: SigningKey,
    mounting: str,
    method: str,
    path: str,
    claims: dict[str, Any] | None,
    status: int,
) -> None:
    """Under Starlette's Mount("/v1", …) or a server's root_path "/api", the rules name the
    paths the app routes on, below the mount point."""
    authorization = _authorization(issuer, es_key, claims)
    if mounting == "starlette-mount":
        app = Starlette(routes=[Mount("/v1", app=_orders_app(validator))])
        response = _call_mounted(app, method, "/v1" + path, authorization)
    else:
        response = _call_mounted(
            _orders_app(validator), method, "/api" + path, authorization, "/api"
        )
    assert response.status_code == status
    if status == 200:  # the endpoint got the validated token, except on the public path
        assert response.json() == {"token": claims is not None}


def test_a_path_that_only_shares_text_with_the_root_path_is_not_stripped(
    issuer: IssuerState, validator: TokenValidator, es_key: SigningKey
) -> None:
    """root_path /api does not make /apiary/orders the app's "ry/orders": the router routes
    it as /apiary/orders, so the /apiary rule (a role) must apply."""
    authorization = _authorization(issuer, es_key, {})
    app = _orders_app(validator)
    response = _call_mounted(app, "GET", "/apiary/orders", authorization, root_path="/api")
    assert response.status_code == 403
    assert response.json()["error_description"] == "missing app role Orders.ReadAll"


def test_rules_apply_behind_uvicorn_root_path(
    issuer: IssuerState, validator: TokenValidator, es_key: SigningKey
) -> None:
    """uvicorn --root-path /api behind a proxy that strips /api: the app gets /api/orders."""
    server = LoopbackServer().serve(_orders_app(validator), root_path="/api")
    try:
        with httpx.Client(base_url=server.url, trust_env=False) as client:
            assert client.get("/orders").status_code == 401
            token = _authorization(issuer, es_key, {})
            assert token is not None
            refused = client.post("/orders", headers={"authorization": token})
            assert refused.status_code == 403
            assert client.get("/orders", headers={"authorization": token}).status_code == 200
    finally:
        server.stop()


def test_a_websocket_below_a_root_path_without_a_token_is_closed(
    validator: TokenValidator,
) -> None:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(message)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the app must not be reached")

    middleware = BearerAuthMiddleware(app, validator, rules=[PathRule("/ws")])
    scope = {"type": "websocket", "path": "/api/ws", "root_path": "/api", "headers": []}
    asyncio.run(middleware(scope, receive, send))
    assert sent == [{"type": "websocket.close", "code": 1008}]


@pytest.mark.parametrize(
    ("path", "root_path", "route"),
    [
        ("/orders", "", "/orders"),
        ("/api/orders", "/api", "/orders"),
        ("/api", "/api", ""),
        ("/api/", "/api", "/"),
        ("/apiary/orders", "/api", "/apiary/orders"),
        ("/orders", "/api", "/orders"),  # a server that already took root_path off the path
        ("/v1/v2/orders", "/v1/v2", "/orders"),
    ],
)
def test_route_path(path: str, root_path: str, route: str) -> None:
    scope = {"type": "http", "path": path, "root_path": root_path}
    assert asgi.route_path(scope) == route
    # The rule must stay the one Starlette's router dispatches on (a private helper, so this
    # says so if a Starlette release changes it).
    assert get_route_path(scope) == route
