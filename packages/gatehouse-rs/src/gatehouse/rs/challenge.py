"""What an API answers when it refuses a request: status, ``WWW-Authenticate: Bearer``
challenge (RFC 6750 §3) and a small JSON body. Shared by the ASGI and Starlette integrations."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Final

from gatehouse.rs.errors import BearerError, InsufficientUserAuthentication, RSError

log = logging.getLogger("gatehouse.rs")

# RFC 6750 §3: error_description and realm use %x20-21 / %x23-5B / %x5D-7E (no " or \);
# scope tokens the same without the space. Anything else, e.g. from a claim value an
# attacker chose, is replaced so it cannot break or inject header syntax.
_NOT_DESCRIPTION: Final = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")
_NOT_SCOPE_TOKEN: Final = re.compile(r"[^\x21\x23-\x5b\x5d-\x7e]")
_MAX_DESCRIPTION: Final = 300
RETRY_AFTER_SECONDS: Final = 5


def _description(text: str) -> str:
    text = _NOT_DESCRIPTION.sub("?", text.replace("§", "section "))
    return text if len(text) <= _MAX_DESCRIPTION else text[: _MAX_DESCRIPTION - 3] + "..."


def www_authenticate(error: BearerError, realm: str | None) -> str:
    """RFC 6750 §3: ``Bearer realm="…", error="…", error_description="…", scope="…"``.
    A request without a token gets no error attributes (§3.1); ``scope`` appears when the
    error names the scopes the resource needs. RFC 9449 §7.1: an error about a DPoP
    request (``error.dpop_algs``) is a ``DPoP`` challenge with the accepted ``algs``."""
    params: list[str] = []
    if realm:
        params.append(f'realm="{_description(realm)}"')
    if error.error is not None:
        params.append(f'error="{error.error}"')
        params.append(f'error_description="{_description(error.description)}"')
        scopes = [_NOT_SCOPE_TOKEN.sub("?", scope) for scope in error.scope if scope]
        if scopes:
            params.append(f'scope="{" ".join(scopes)}"')
        for name, value in _step_up(error).items():
            params.append(f'{name}="{value}"')
    if error.dpop_algs:
        return "DPoP " + ", ".join([*params, f'algs="{" ".join(error.dpop_algs)}"'])
    return "Bearer " + ", ".join(params) if params else "Bearer"


def _step_up(error: BearerError) -> dict[str, str]:
    """RFC 9470 §3: what an insufficient_user_authentication challenge asks the client to
    request: ``acr_values`` (space-separated, in order of preference) and ``max_age``."""
    if not isinstance(error, InsufficientUserAuthentication):
        return {}
    found: dict[str, str] = {}
    values = [_NOT_SCOPE_TOKEN.sub("?", value) for value in error.acr_values if value]
    if values:
        found["acr_values"] = " ".join(values)
    if error.max_age is not None:
        found["max_age"] = str(error.max_age)
    return found


@dataclass(frozen=True, slots=True)
class ErrorResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def error_response(exc: RSError, realm: str | None) -> ErrorResponse:
    """The response refusing a request for ``exc``: RFC 6750 §3 for a bearer error, 503 with
    Retry-After when the issuer could not be used (the cause goes to the log, not the caller)."""
    if isinstance(exc, BearerError):
        body: dict[str, str] = {"error_description": exc.description}
        if exc.error is not None:
            body = {"error": exc.error, **body}
        if exc.scope:
            body["scope"] = " ".join(exc.scope)
        body.update(_step_up(exc))
        headers = (("www-authenticate", www_authenticate(exc, realm)),)
        return ErrorResponse(exc.status_code, headers + _JSON, _encode(body))
    log.warning("cannot validate access tokens: %s", exc.description)
    body = {
        "error": "temporarily_unavailable",
        "error_description": "access tokens cannot be checked right now; try again shortly",
    }
    headers = (("retry-after", str(RETRY_AFTER_SECONDS)),)
    return ErrorResponse(503, headers + _JSON, _encode(body))


_JSON: Final = (("content-type", "application/json"), ("cache-control", "no-store"))


def _encode(body: dict[str, str]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()
