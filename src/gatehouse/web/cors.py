"""CORS for browser-based clients (SPAs) on discovery, JWKS, token, userinfo and revocation.

Allowed origins are those of registered redirect URIs plus explicit web origins; never a
wildcard, never with credentials, always with ``Vary: Origin``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response

from gatehouse.protocol.redirect_uris import origin_of
from gatehouse.storage.records import Client

_TTL_SECONDS = 5.0


class AllowedOrigins:
    """The set of allowed origins, recomputed at most every few seconds per process."""

    def __init__(self, list_clients: Callable[[], list[Client]]) -> None:
        self._list_clients = list_clients
        self._origins: frozenset[str] = frozenset()
        self._valid_until = 0.0

    def invalidate(self) -> None:
        self._valid_until = 0.0

    def __contains__(self, origin: str) -> bool:
        now = time.monotonic()
        if now >= self._valid_until:
            origins: set[str] = set()
            for client in self._list_clients():
                for uri in (*client.redirect_uris, *client.web_origins):
                    found = origin_of(uri)
                    if found:
                        origins.add(found)
            self._origins = frozenset(origins)
            self._valid_until = now + _TTL_SECONDS
        return origin.lower() in self._origins


def add_cors_headers(
    request: Request, response: Response, origin_allowed: bool, max_age: int
) -> Response:
    """``origin_allowed``: the request's Origin is in ``AllowedOrigins`` (which may read the
    database, so the caller asks it from request work)."""
    origin = request.headers.get("origin")
    response.headers.append("Vary", "Origin")
    if origin and origin_allowed:
        response.headers["Access-Control-Allow-Origin"] = origin
        # RFC 9449 §8: a browser client must read the server's DPoP nonce.
        response.headers["Access-Control-Expose-Headers"] = "WWW-Authenticate, DPoP-Nonce"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, POST"
            response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type, DPoP"
            response.headers["Access-Control-Max-Age"] = str(max_age)
    return response


def preflight(request: Request, origin_allowed: bool, max_age: int) -> Response:
    return add_cors_headers(request, Response(status_code=204), origin_allowed, max_age)
