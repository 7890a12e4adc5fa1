"""A real HTTP issuer on 127.0.0.1 for the gatehouse.rs tests: discovery, JWK Set and
introspection served by uvicorn from state each test controls, with request counts.

Tokens are signed with keys the tests generate with joserfc, so every check the library
makes runs against real signatures fetched over a real socket.
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import parse_qs, unquote_plus

import uvicorn
from joserfc import jws, jwt
from joserfc.jwk import ECKey, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

NOW = 1_750_000_000.0
AUDIENCE = "https://orders.example.com"
API_CLIENT_ID = "orders-api"
API_CLIENT_SECRET = "s3cret:with%odd&chars"


class FakeClock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class SigningKey:
    alg: str
    kid: str
    private: RSAKey | ECKey

    @classmethod
    def generate(cls, alg: str = "ES256", kid: str | None = None, bits: int = 2048) -> SigningKey:
        if alg.startswith(("RS", "PS")):
            private: RSAKey | ECKey = RSAKey.generate_key(bits, private=True)
        else:
            curve = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}[alg]
            private = ECKey.generate_key(curve, private=True)
        return cls(alg, kid or f"{alg.lower()}-{uuid.uuid4().hex[:8]}", private)

    def public_jwk(self, **extra: Any) -> dict[str, Any]:
        jwk = dict(self.private.as_dict(private=False))
        jwk.update({"kid": self.kid, "alg": self.alg, "use": "sig"})
        jwk.update(extra)
        return {k: v for k, v in jwk.items() if v is not None}

    def sign(
        self, claims: dict[str, Any], header: dict[str, Any] | None = None, alg: str | None = None
    ) -> str:
        alg = alg or self.alg
        full_header = {"alg": alg, "kid": self.kid, "typ": "at+jwt", **(header or {})}
        full_header = {k: v for k, v in full_header.items() if v is not None}
        return jwt.encode(full_header, claims, self.private, algorithms=[alg], default_type=None)

    def sign_bytes(self, payload: bytes, header: dict[str, Any] | None = None) -> str:
        full_header = {"alg": self.alg, "kid": self.kid, "typ": "at+jwt", **(header or {})}
        return jws.serialize_compact(full_header, payload, self.private, algorithms=[self.alg])


@dataclass
class IssuerState:
    """What the issuer serves; tests change it freely, reset() restores the defaults."""

    url: str
    keys: list[SigningKey] = field(default_factory=list)
    hits: Counter[str] = field(default_factory=Counter)
    discovery_extra: dict[str, Any] = field(default_factory=dict)
    discovery_delay: float = 0.0
    jwks_body: bytes | None = None  # served instead of the keys
    jwks_headers: dict[str, str] = field(default_factory=dict)
    jwks_delay: float = 0.0
    jwks_drip: tuple[int, float] | None = None  # (chunks, seconds between them)
    jwks_chunked: bool = False
    introspection_enabled: bool = True
    active: dict[str, dict[str, Any]] = field(default_factory=dict)  # token -> extra members
    introspection_status: int = 200
    introspection_auth: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.__init__(self.url)  # type: ignore[misc]

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.public_jwk() for key in self.keys]}


def _app(state: IssuerState) -> Starlette:
    async def discovery(request: Request) -> Response:
        state.hits["discovery"] += 1
        if state.discovery_delay:
            await asyncio.sleep(state.discovery_delay)
        document: dict[str, Any] = {
            "issuer": state.url,
            "jwks_uri": f"{state.url}/jwks",
            "token_endpoint": f"{state.url}/token",
        }
        if state.introspection_enabled:
            document["introspection_endpoint"] = f"{state.url}/introspect"
        document.update(state.discovery_extra)
        return JSONResponse({k: v for k, v in document.items() if v is not None})

    async def jwks(request: Request) -> Response:
        state.hits["jwks"] += 1
        if state.jwks_delay:
            await asyncio.sleep(state.jwks_delay)
        body = state.jwks_body if state.jwks_body is not None else json.dumps(state.jwks()).encode()
        if state.jwks_drip is not None:
            chunks, pause = state.jwks_drip

            async def drip() -> Any:
                for _ in range(chunks):
                    yield b" "
                    await asyncio.sleep(pause)
                yield body

            return StreamingResponse(drip(), media_type="application/json")
        if state.jwks_chunked:

            async def stream() -> Any:
                for start in range(0, len(body), 4096):
                    yield body[start : start + 4096]

            return StreamingResponse(
                stream(), media_type="application/json", headers=state.jwks_headers
            )
        return Response(body, media_type="application/json", headers=state.jwks_headers)

    async def introspect(request: Request) -> Response:
        state.hits["introspect"] += 1
        authorization = request.headers.get("authorization", "")
        state.introspection_auth.append(authorization)
        scheme, _, value = authorization.partition(" ")
        decoded = base64.b64decode(value).decode() if scheme == "Basic" else ":"
        client_id, _, secret = decoded.partition(":")
        if (unquote_plus(client_id), unquote_plus(secret)) != (API_CLIENT_ID, API_CLIENT_SECRET):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        if state.introspection_status != 200:
            return Response(b"oops", status_code=state.introspection_status)
        form = parse_qs((await request.body()).decode())
        token = form.get("token", [""])[0]
        if token not in state.active:
            return JSONResponse({"active": False})
        claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
        answer = {"active": True, "token_type": "Bearer", **claims, **state.active[token]}
        return JSONResponse({k: v for k, v in answer.items() if v is not None})

    return Starlette(
        routes=[
            Route("/.well-known/openid-configuration", discovery),
            Route("/jwks", jwks),
            Route("/introspect", introspect, methods=["POST"]),
        ]
    )


class LoopbackServer:
    """uvicorn in a background thread on a socket bound to a free loopback port."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    def serve(self, app: Any, **config: Any) -> Self:
        """Start serving ``app``; ``config`` goes to uvicorn (``root_path=...``, ...)."""
        self.server = uvicorn.Server(
            uvicorn.Config(
                app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1, **config
            )
        )
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(timeout=10)
        self.socket.close()


class IssuerServer(LoopbackServer):
    """The test issuer, serving what its ``state`` says."""

    def __init__(self) -> None:
        super().__init__()
        self.state = IssuerState(self.url)

    def start(self) -> IssuerServer:
        return self.serve(_app(self.state))


def claims_for(issuer: str, **overrides: Any) -> dict[str, Any]:
    """RFC 9068 §2.2 claims of a delegated (user) token; None removes a claim."""
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": "user-123",
        "aud": AUDIENCE,
        "client_id": "web-app",
        "scope": "openid orders.read",
        "jti": uuid.uuid4().hex,
        "iat": int(NOW),
        "exp": int(NOW) + 300,
        "auth_time": int(NOW) - 60,
        "sid": "session-1",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
