"""HTTP helpers shared by every adapter: bounded form reading, error responses, headers."""

from __future__ import annotations

import logging
import uuid
from typing import Any
from urllib.parse import quote

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from gatehouse.errors import InsufficientScope, InvalidClient, InvalidRequest, OAuthError
from gatehouse.protocol.bearer import MissingToken
from gatehouse.protocol.messages import MAX_BODY_BYTES, Parameters, parse_query_or_form
from gatehouse.storage.errors import DatabaseUnavailable

log = logging.getLogger("gatehouse")

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FORM_TYPE = "application/x-www-form-urlencoded"


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
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise InvalidRequest("the request body is too large")
            chunks.append(chunk)
    except ClientDisconnect:
        # The client went away (or sent a broken chunked body) before the body ended: an
        # ordinary bad request, answered to no one, not a server error with a traceback.
        raise InvalidRequest("the connection closed before the request body ended") from None
    return b"".join(chunks)


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


def query_parameters(request: Request) -> Parameters:
    return parse_query_or_form(request.scope.get("query_string", b""))


def json_response(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={**NO_STORE, **(headers or {})})


def oauth_error_json(error: OAuthError) -> JSONResponse:
    """RFC 6749 §5.2 error body. invalid_client is 401 with a Basic challenge (§5.2, and
    RFC 9110 §15.5.2 requires the challenge on every 401)."""
    headers = {}
    if isinstance(error, InvalidClient):
        headers["WWW-Authenticate"] = 'Basic realm="gatehouse"'
    if error.detail:
        log.info("%s: %s (%s)", error.error, error.description, error.detail)
    return json_response(
        {"error": error.error, "error_description": error.description}, error.status_code, headers
    )


def _quoted(value: str) -> str:
    """RFC 6750 §3: error_description is limited to %x20-21 / %x23-5B / %x5D-7E. Descriptions
    can echo request input (a parameter name), and a header must stay latin-1 anyway."""
    return "".join(
        "'" if ch == '"' else ch if " " <= ch <= "~" and ch != "\\" else "?" for ch in value
    )


def bearer_error(error: OAuthError, scope: str | None = None) -> JSONResponse:
    """RFC 6750 §3: the WWW-Authenticate challenge of a protected resource, and the same
    error in the JSON body."""
    if isinstance(error, MissingToken):
        # RFC 6750 §3.1: a request without credentials gets no error code, neither in the
        # challenge nor in the body; the description still says what to send.
        return json_response(
            {"error_description": error.description},
            error.status_code,
            {"WWW-Authenticate": 'Bearer realm="gatehouse"'},
        )
    challenge = (
        f'Bearer realm="gatehouse", error="{error.error}", '
        f'error_description="{_quoted(error.description)}"'
    )
    if isinstance(error, InsufficientScope) and scope:
        challenge += f', scope="{scope}"'
    status = 400 if isinstance(error, InvalidRequest) else error.status_code
    return json_response(
        {"error": error.error, "error_description": error.description},
        status,
        {"WWW-Authenticate": challenge},
    )


def server_error_json(exc: BaseException) -> JSONResponse:
    if isinstance(exc, DatabaseUnavailable):
        return unavailable_json(exc)
    correlation_id = uuid.uuid4().hex[:12]
    log.error("unexpected error %s: %s", correlation_id, type(exc).__name__, exc_info=exc)
    return json_response(
        {
            "error": "server_error",
            "error_description": f"an unexpected error occurred (reference {correlation_id})",
        },
        500,
    )


# How soon a client may retry after a transient failure.
RETRY_AFTER_SECONDS = 1


def unavailable_json(exc: DatabaseUnavailable) -> JSONResponse:
    """A transient failure, not a fault of the request: 503 with Retry-After (RFC 9110
    §15.6.4, §10.2.3), as the OAuth error temporarily_unavailable (RFC 6749 §4.1.2.1)."""
    log.warning("temporarily unavailable: %s", exc)
    return json_response(
        {
            "error": "temporarily_unavailable",
            "error_description": "the server could not reach its database; try again shortly",
        },
        503,
        {"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def redirect(location: str) -> Response:
    # 303 makes the browser follow with GET after a POST (login, consent). A registered
    # redirect URI may hold non-ASCII characters: percent-encode them as UTF-8 (RFC 3987 §3.1),
    # since a header cannot carry them.
    ascii_location = "".join(ch if ord(ch) < 128 else quote(ch) for ch in location)
    return Response(status_code=303, headers={"Location": ascii_location, **NO_STORE})
