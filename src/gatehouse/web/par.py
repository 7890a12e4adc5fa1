"""POST /par, the pushed authorization request endpoint (RFC 9126 §2): HTTP in, the core
(protocol/par.py), 201 Created with JSON out. Its errors are JSON, as the token endpoint's
(RFC 9126 §2.3)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from gatehouse.protocol.par import push_authorization_request
from gatehouse.web.context import context_of
from gatehouse.web.errors import TOKEN_STYLE, renders_errors
from gatehouse.web.http import client_address, json_response, read_form
from gatehouse.web.threads import run_in_threadpool


@renders_errors(TOKEN_STYLE)
async def pushed_authorization_request(request: Request) -> Response:
    """RFC 9126 §2.1: POST, form-encoded, authenticated as at the token endpoint; server to
    server, so no CORS."""
    ctx = context_of(request)
    params = await read_form(request)
    pushed = await run_in_threadpool(
        push_authorization_request,
        ctx.provider,
        params,
        request.headers.get("authorization"),
        client_address(request),
    )
    return json_response(pushed.to_json(), status=201)
