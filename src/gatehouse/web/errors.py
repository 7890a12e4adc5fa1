"""One renderer for the error a request ends in.

Each endpoint says how its errors travel (a ``Channel``) and is wrapped by
``renders_errors``. ``error_response`` looks the exception up in ``RESPONSES``, an ordered
table from exception type to response, the first match winning:

- an ``OAuthError`` addressed to the client (``error.redirect``, set by the authorization
  endpoint only once the client and its redirect URI are validated): error,
  error_description, state and iss at that redirect URI (RFC 6749 §4.1.2.1, RFC 9207), in
  the request's response mode (web/client_response.py);
- any other ``OAuthError``: on the pages a person sees, an error page at gatehouse (the
  client or redirect URI cannot be trusted, RFC 6749 §4.1.2.1); on token-style endpoints,
  RFC 6749 §5.2's JSON body; on a protected resource (UserInfo), RFC 6750 §3's
  ``WWW-Authenticate`` challenge with the same JSON body;
- anything unexpected: ``server_error``, its traceback in the log under a correlation id
  that the response shows too.

- the database unreachable (``DatabaseUnavailable``, raised only when a retry on a fresh
  connection was not safe or did not help): 503 with Retry-After, as
  ``temporarily_unavailable``.

A new kind of failure is one more row in ``RESPONSES``.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from gatehouse.errors import (
    InsufficientScope,
    InvalidClient,
    InvalidClientThrottled,
    InvalidDPoPProof,
    InvalidRequest,
    OAuthError,
    UseDPoPNonce,
)
from gatehouse.protocol import response_modes
from gatehouse.protocol.bearer import MissingToken
from gatehouse.protocol.dpop import ALGS as DPOP_ALGS
from gatehouse.protocol.dpop_resource import DPoPBoundTokenAsBearer
from gatehouse.protocol.federation.errors import FederationFailed
from gatehouse.storage.errors import DatabaseUnavailable
from gatehouse.web.client_response import deliver
from gatehouse.web.context import context_of
from gatehouse.web.csrf import FormExpired
from gatehouse.web.http import json_response
from gatehouse.web.i18n import N_, Translatable

log = logging.getLogger("gatehouse")

E = TypeVar("E", bound=BaseException)
Endpoint = Callable[[Request], Awaitable[Response]]


ANY_REQUEST = N_("This request cannot be completed")


@dataclass(frozen=True)
class Channel:
    """How an endpoint's errors travel."""

    kind: Literal["json", "bearer", "page"]
    # Pages: the heading of the error page.
    title: Translatable = ANY_REQUEST
    # A protected resource: the scope its insufficient_scope challenge names (RFC 6750 §3).
    scope: str | None = None


TOKEN_STYLE = Channel("json")  # token, introspection, revocation
USERINFO = Channel("bearer", scope="openid")
SIGN_IN_PAGES = Channel("page", title=N_("This sign-in request cannot be completed"))
SIGN_OUT_PAGES = Channel("page", title=N_("This sign-out request cannot be completed"))

# What a person can do about an error page, in plain words (translated; the description
# and the error code below it are for developers and stay in English).
GO_BACK = N_(
    "If you followed a link from an application, go back to it and try again. If this keeps "
    "happening, tell the application's developers about the details below."
)
RELOAD_FORM = N_("Go back, reload the page and try again.")
TRY_AGAIN_SOON = N_("gatehouse cannot reach its database just now. Wait a moment, then try again.")
OUR_FAULT = N_(
    "Please try again. If this keeps happening, tell the people who run this service the "
    "reference in the details below."
)


def renders_errors(channel: Channel) -> Callable[[Endpoint], Endpoint]:
    """The endpoint, with any exception it raises answered by ``error_response``."""

    def wrap(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            try:
                return await endpoint(request)
            except Exception as exc:
                return error_response(request, exc, channel)

        return guarded

    return wrap


def error_response(request: Request, exc: Exception, channel: Channel) -> Response:
    for answer in RESPONSES:
        response = answer(request, exc, channel)
        if response is not None:
            return response
    raise exc  # pragma: no cover - the last row answers every Exception


# -- The rows ---------------------------------------------------------------------------------

Answer = Callable[[Request, Exception, Channel], Response | None]


def when(kind: type[E], render: Callable[[Request, E, Channel], Response]) -> Answer:
    """A row of the table: ``render`` answers exceptions of type ``kind``."""

    def answer(request: Request, exc: Exception, channel: Channel) -> Response | None:
        return render(request, exc, channel) if isinstance(exc, kind) else None

    return answer


def error_page(
    request: Request,
    status: int,
    title: Translatable,
    advice: Translatable,
    *,
    description: str,
    error_code: str,
    tenant_cookies: bool = True,
) -> Response:
    """An error page at gatehouse: what went wrong and what to do in plain words (in the
    person's language), the description and the error code for developers (in English).
    ``tenant_cookies`` False: a page no tenant serves (an unknown tenant's path), which sets
    no tenant's cookie; the page has no form, so it needs no CSRF token."""
    extra = {} if tenant_cookies else {"csrf_token": ""}
    return context_of(request).render(
        request,
        "error.html",
        status=status,
        title=title,
        advice=advice,
        description=description,
        error_code=error_code,
        **extra,
    )


def _form_expired(request: Request, error: FormExpired, channel: Channel) -> Response:
    return error_page(
        request,
        error.status_code,
        N_("This form has expired"),
        RELOAD_FORM,
        description=error.description,
        error_code=error.error,
    )


def _oauth_error(request: Request, error: OAuthError, channel: Channel) -> Response:
    if error.detail:
        log.info("%s: %s (%s)", error.error, error.description, error.detail)
    if error.redirect is not None:
        return deliver(
            request,
            response_modes.error_response(context_of(request).provider.config.issuer, error),
        )
    if channel.kind == "page":
        return error_page(
            request,
            error.status_code,
            channel.title,
            GO_BACK,
            description=error.description,
            error_code=error.error,
        )
    if channel.kind == "bearer":
        if _dpop_challenge(request, error):
            return dpop_error(error, channel.scope)
        return bearer_error(error, channel.scope)
    return oauth_error_json(error)


# How soon a client may retry after a transient failure.
RETRY_AFTER_SECONDS = 1


def _unavailable(request: Request, exc: DatabaseUnavailable, channel: Channel) -> Response:
    """A transient failure, not a fault of the request: 503 with Retry-After (RFC 9110
    §15.6.4, §10.2.3), as the OAuth error temporarily_unavailable (RFC 6749 §4.1.2.1)."""
    log.warning("temporarily unavailable: %s", exc)
    description = "the server could not reach its database; try again shortly"
    retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if channel.kind == "page":
        response = error_page(
            request,
            503,
            N_("Please try again in a moment"),
            TRY_AGAIN_SOON,
            description=description,
            error_code="temporarily_unavailable",
        )
        response.headers.update(retry)
        return response
    return json_response(
        {"error": "temporarily_unavailable", "error_description": description}, 503, retry
    )


def _unexpected(request: Request, exc: Exception, channel: Channel) -> Response:
    correlation_id = uuid.uuid4().hex[:12]
    log.error("unexpected error %s: %s", correlation_id, type(exc).__name__, exc_info=exc)
    description = f"an unexpected error occurred (reference {correlation_id})"
    if channel.kind == "page":
        return error_page(
            request,
            500,
            N_("Something went wrong on our side"),
            OUR_FAULT,
            description=description,
            error_code="server_error",
        )
    return json_response({"error": "server_error", "error_description": description}, 500)


# A federated sign-in that did not happen (protocol/federation/errors.py): what the person
# can do, by reason; 502 when the upstream could not be reached or answered wrongly.
FEDERATION_ADVICE: dict[str, Translatable] = {
    "unknown_upstream": N_(
        "That way of signing in is not offered here. Go back and choose another one."
    ),
    "state": N_(
        "This sign-in has expired, was already finished, or was started in another browser. "
        "Go back to the application and sign in again."
    ),
    "upstream_error": N_(
        "The other provider did not sign you in. You can try again or sign in another way."
    ),
    "discovery": N_(
        "gatehouse could not reach the other provider just now. Try again in a moment, or "
        "sign in another way."
    ),
    "account": N_(
        "You signed in at the other provider, but no account here can be used with it. The "
        "details below say why."
    ),
}
UNTRUSTED_ANSWER = N_(
    "The other provider's answer could not be trusted, so you were not signed in. Try again; "
    "if this keeps happening, tell the people who run this service the details below."
)
FEDERATION_STATUS = {"discovery": 502, "token_endpoint": 502, "account": 403}


def _federation_failed(request: Request, error: FederationFailed, channel: Channel) -> Response:
    log.info("federated sign-in refused (%s): %s", error.reason, error.description)
    reason = "discovery" if error.reason == "token_endpoint" else error.reason
    return context_of(request).render(
        request,
        "federation_error.html",
        status=FEDERATION_STATUS.get(error.reason, 400),
        advice=FEDERATION_ADVICE.get(reason, UNTRUSTED_ANSWER),
        description=error.description,
        error_code=f"federation_{error.reason}",
        interaction=error.interaction_id,
    )


RESPONSES: tuple[Answer, ...] = (
    when(FormExpired, _form_expired),
    when(FederationFailed, _federation_failed),
    when(OAuthError, _oauth_error),
    when(DatabaseUnavailable, _unavailable),
    when(Exception, _unexpected),
)


# -- Bodies and challenges --------------------------------------------------------------------


def oauth_error_json(error: OAuthError) -> Response:
    """RFC 6749 §5.2 error body. invalid_client is 401 with a Basic challenge (§5.2, and
    RFC 9110 §15.5.2 requires the challenge on every 401)."""
    headers = {}
    if isinstance(error, InvalidClient):
        headers["WWW-Authenticate"] = 'Basic realm="gatehouse"'
    if isinstance(error, InvalidClientThrottled):
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, UseDPoPNonce):
        headers["DPoP-Nonce"] = error.nonce  # RFC 9449 §8
    return json_response(
        {"error": error.error, "error_description": error.description}, error.status_code, headers
    )


def bearer_error(error: OAuthError, scope: str | None = None) -> Response:
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
    # RFC 6750 §3 limits error_description to the characters OAuthError already reduced it
    # to (errors.safe_description), so it goes between the quotes as it is.
    challenge = (
        f'Bearer realm="gatehouse", error="{error.error}", error_description="{error.description}"'
    )
    if isinstance(error, InsufficientScope) and scope:
        challenge += f', scope="{scope}"'
    status = 400 if isinstance(error, InvalidRequest) else error.status_code
    return json_response(
        {"error": error.error, "error_description": error.description},
        status,
        {"WWW-Authenticate": challenge},
    )


_DPOP_ERRORS = (InvalidDPoPProof, UseDPoPNonce, DPoPBoundTokenAsBearer)


def _dpop_challenge(request: Request, error: OAuthError) -> bool:
    """RFC 9449 §7.1: a request that used the DPoP scheme, or whose error is about DPoP,
    is answered with a DPoP challenge."""
    scheme = request.headers.get("authorization", "").partition(" ")[0]
    return scheme.lower() == "dpop" or isinstance(error, _DPOP_ERRORS)


def dpop_error(error: OAuthError, scope: str | None = None) -> Response:
    """RFC 9449 §7.1: ``WWW-Authenticate: DPoP`` with the error and the accepted
    algorithms (and §9: the DPoP-Nonce header with use_dpop_nonce)."""
    challenge = (
        f'DPoP realm="gatehouse", error="{error.error}", '
        f'error_description="{error.description}", algs="{" ".join(DPOP_ALGS)}"'
    )
    if isinstance(error, InsufficientScope) and scope:
        challenge += f', scope="{scope}"'
    headers = {"WWW-Authenticate": challenge}
    if isinstance(error, UseDPoPNonce):
        headers["DPoP-Nonce"] = error.nonce
    # §7.1: at a protected resource a bad proof is 401, like a bad token.
    status = 401 if isinstance(error, _DPOP_ERRORS) else error.status_code
    status = 400 if isinstance(error, InvalidRequest) else status
    return json_response(
        {"error": error.error, "error_description": error.description}, status, headers
    )
