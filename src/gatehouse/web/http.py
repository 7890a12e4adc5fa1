"""HTTP helpers shared by every adapter: bounded form reading, responses, headers (error
responses: web/errors.py)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gatehouse.errors import InvalidRequest, safe_description
from gatehouse.protocol.messages import MAX_BODY_BYTES, Parameters, parse_query_or_form

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FORM_TYPE = "application/x-www-form-urlencoded"
# The longest request target (path and query) served. gatehouse's own server refuses a
# longer one with 414 before the app sees it (web/http_connection.py); query_parameters says
# the same to an app served otherwise.
MAX_TARGET_BYTES = 32 * 1024
# Starlette's JSON (compact, UTF-8, no NaN) from one encoder: json.dumps with options builds
# a new one for every response.
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


async def read_body(request: Request) -> bytes:
    """The request body, refusing more than MAX_BODY_BYTES without reading it all."""
    declared = request.headers.get("content-length")
    # ASCII digits only: str.isdigit() also takes "²", which int() then refuses.
    if declared is not None and (
        not (declared.isascii() and declared.isdigit()) or int(declared) > MAX_BODY_BYTES
    ):
        raise InvalidRequest("the request body is too large")
    chunks: list[bytes] = []
    size = 0
    # The ASGI messages themselves: Starlette's request.stream() is an async generator
    # around the same loop, which costs more than the loop.
    while True:
        message = await request.receive()
        if message["type"] != "http.request":
            # The client went away (or sent a broken chunked body) before the body ended: an
            # ordinary bad request, answered to no one, not a server error with a traceback.
            raise InvalidRequest("the connection closed before the request body ended")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise InvalidRequest("the request body is too large")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def has_form_body(request: Request) -> bool:
    """Whether the Content-Type is application/x-www-form-urlencoded, parameters such as
    charset aside; media types are case-insensitive (RFC 9110 §8.3.1)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip()
    return media_type.lower() == FORM_TYPE


async def read_form(request: Request) -> Parameters:
    """RFC 6749 §3.2: POST bodies are application/x-www-form-urlencoded."""
    if not has_form_body(request):
        raise InvalidRequest(f"the request body must be {FORM_TYPE}")
    return parse_query_or_form(await read_body(request))


async def read_json_object(request: Request, max_bytes: int) -> dict[str, Any]:
    """A JSON object body (RFC 8259) of at most ``max_bytes``, from gatehouse's own scripts."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise InvalidRequest("the request body must be application/json")
    body = await read_body(request)
    if len(body) > max_bytes:
        raise InvalidRequest(f"the request body is too large (at most {max_bytes} bytes here)")
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        raise InvalidRequest("the request body is not valid JSON") from None
    if not isinstance(value, dict):
        raise InvalidRequest("the request body must be a JSON object")
    return value


def query_parameters(request: Request) -> Parameters:
    query: bytes = request.scope.get("query_string", b"")
    if len(query) > MAX_TARGET_BYTES:
        raise InvalidRequest(f"the request URI is longer than {MAX_TARGET_BYTES} bytes")
    return parse_query_or_form(query)


class _JSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return _ENCODER.encode(content).encode("utf-8")


def json_response(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> JSONResponse:
    return _JSONResponse(body, status_code=status, headers={**NO_STORE, **(headers or {})})


def redirect(location: str) -> Response:
    # 303 makes the browser follow with GET after a POST (login, consent). A registered
    # redirect URI may hold non-ASCII characters: percent-encode them as UTF-8 (RFC 3987 §3.1),
    # since a header cannot carry them.
    ascii_location = (
        location
        if location.isascii()  # nearly always: skip the walk over every character
        else "".join(ch if ord(ch) < 128 else quote(ch) for ch in location)
    )
    return Response(status_code=303, headers={"Location": ascii_location, **NO_STORE})


def not_found(request: Request) -> Response:
    """404 for a path gatehouse does not serve (or serves only when turned on). The path is
    the requester's: reduced like every OAuthError description."""
    description = safe_description(f"no endpoint at {request.url.path}")
    return json_response({"error": "not_found", "error_description": description}, 404)


def client_address(request: Request) -> str | None:
    """The address of the person's device: the peer's, or, behind a proxy named in
    ``trusted_proxies``, the one the proxy forwarded (web/app.py). Never a header a client
    could set itself."""
    return request.client.host if request.client else None
