"""Protocol endpoints: HTTP in, typed request, core call, typed response out."""

from __future__ import annotations

import functools

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gatehouse.protocol import authorize as authorize_core
from gatehouse.protocol.authorization import AuthorizationOutcome
from gatehouse.protocol.device import device_authorization as device_authorization_core
from gatehouse.protocol.discovery import openid_configuration
from gatehouse.protocol.dpop import response_nonce
from gatehouse.protocol.dpop_resource import presented_token
from gatehouse.protocol.grants.password import PASSWORD
from gatehouse.protocol.interaction import browser_state
from gatehouse.protocol.introspection import introspect
from gatehouse.protocol.messages import MalformedParameters, Parameters
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.revocation import revoke
from gatehouse.protocol.token import DEFAULT_GRANTS, token_endpoint
from gatehouse.protocol.token_response import TokenResponse
from gatehouse.protocol.userinfo import userinfo as userinfo_core
from gatehouse.web.context import context_of
from gatehouse.web.cors import add_cors_headers, preflight
from gatehouse.web.csrf import browser_binding
from gatehouse.web.errors import (
    SIGN_IN_PAGES,
    TOKEN_STYLE,
    USERINFO,
    Endpoint,
    renders_errors,
)
from gatehouse.web.http import (
    NO_STORE,
    client_address,
    has_form_body,
    json_response,
    query_parameters,
    read_form,
)
from gatehouse.web.pages import follow_outcome
from gatehouse.web.threads import run_in_threadpool, run_inline_or_in_threadpool


async def _origin_allowed(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin:
        return False
    # The allowed origins are cached; recomputing them lists the clients from the database.
    allowed = context_of(request).allowed_origins
    return await run_inline_or_in_threadpool(functools.partial(allowed.__contains__, origin))


async def _cors(request: Request, response: Response) -> Response:
    max_age = context_of(request).runtime.settings.cors_max_age
    return add_cors_headers(request, response, await _origin_allowed(request), max_age)


def with_cors(endpoint: Endpoint) -> Endpoint:
    """The endpoint's responses, errors included, with the CORS headers of its origin."""

    @functools.wraps(endpoint)
    async def answered(request: Request) -> Response:
        return await _cors(request, await endpoint(request))

    return answered


async def cors_preflight(request: Request) -> Response:
    max_age = context_of(request).runtime.settings.cors_max_age
    return preflight(request, await _origin_allowed(request), max_age)


async def discovery(request: Request) -> Response:
    """OIDC Discovery 1.0 §4, and RFC 8414 §3 at /.well-known/oauth-authorization-server: one
    document, whose every member is an RFC 8414 §2 member or an OpenID Provider's."""
    ctx = context_of(request)
    custom = [s.name for s in await run_in_threadpool(ctx.runtime.store.scopes.list)]
    body = openid_configuration(
        ctx.provider.config, list(DEFAULT_GRANTS), custom, ui_locales=ctx.languages.tags
    )
    response = JSONResponse(body, headers={"Cache-Control": "public, max-age=300"})
    return await _cors(request, response)


async def jwks(request: Request) -> Response:
    """RFC 7517 §5: every published key, including pre-published and retiring ones."""
    ctx = context_of(request)
    published = await run_in_threadpool(ctx.provider.keys.published_jwks)
    response = JSONResponse(published, headers={"Cache-Control": "public, max-age=300"})
    return await _cors(request, response)


@renders_errors(SIGN_IN_PAGES)
async def authorize(request: Request) -> Response:
    """RFC 6749 §3.1: GET, and POST with a form body (OIDC Core §3.1.2.1)."""
    ctx = context_of(request)
    try:
        params: Parameters = (
            await read_form(request) if request.method == "POST" else query_parameters(request)
        )
    except MalformedParameters as malformed:
        raise await run_in_threadpool(
            authorize_core.address_malformed, ctx.provider, malformed
        ) from None

    def run() -> AuthorizationOutcome:
        # One pooled connection for the request's hot lookups (one checkout, one ping).
        with ctx.runtime.database.pinned():
            browser = browser_state(
                ctx.provider, ctx.session_cookie(request), browser_binding(request)
            )
            return authorize_core.authorize(ctx.provider, params, browser)

    if ctx.runtime.database.is_sqlite:
        # As at the token endpoint: on the embedded database the statements cost less than
        # the hop to a request thread and back (web/threads.py).
        outcome = await run_inline_or_in_threadpool(run, embedded_database=True)
    else:
        outcome = await run_in_threadpool(run)
    return follow_outcome(request, outcome)


def _may_run_on_the_event_loop(
    params: Parameters, embedded_database: bool, dpop: tuple[str, ...] = ()
) -> bool:
    """Which token requests are tried on the event loop (web/threads.py).

    client_credentials with a client secret reads only what the per-process caches hold
    (client, secret, API, app-role grants, signing key), so it needs no I/O once warm. On
    the embedded SQLite database every grant does: its statements are cheaper than the hop
    to a request thread (docs/architecture.md). A client assertion goes to a thread at
    once: it may need the client's JWKS downloaded, and trying it inline first would only
    repeat its parsing there; so does the password grant, whose password hash would hold
    up every other request of the process. So does a DPoP proof away from the embedded
    database: its jti is written to the database (protocol/dpop.py), and trying first would
    only repeat the check of its signature."""
    if "client_assertion" in params or params.get("grant_type") == PASSWORD:
        return False
    if dpop and not embedded_database:
        return False
    return embedded_database or params.get("grant_type") == "client_credentials"


@with_cors
@renders_errors(TOKEN_STYLE)
async def token(request: Request) -> Response:
    """RFC 6749 §3.2."""
    ctx = context_of(request)
    embedded_database = ctx.runtime.database.is_sqlite

    dpop = tuple(request.headers.getlist("dpop"))

    def run(params: Parameters, authorization: str | None) -> TokenResponse:
        # One pooled connection for the request's hot statements (one checkout, one ping).
        with ctx.runtime.database.pinned():
            return token_endpoint(
                ctx.provider, params, authorization, address=client_address(request), dpop=dpop
            )

    params = await read_form(request)
    authorization = request.headers.get("authorization")
    if _may_run_on_the_event_loop(params, embedded_database, dpop):
        result = await run_inline_or_in_threadpool(
            functools.partial(run, params, authorization),
            embedded_database=embedded_database,
        )
    else:
        result = await run_in_threadpool(run, params, authorization)
    return json_response(result.to_json(), headers=_nonce_header(ctx.provider, dpop))


def _nonce_header(provider: Provider, dpop: tuple[str, ...]) -> dict[str, str]:
    """RFC 9449 §8.2: with nonces required, a DPoP response carries the current one."""
    nonce = response_nonce(provider) if dpop else None
    return {"DPoP-Nonce": nonce} if nonce else {}


@renders_errors(TOKEN_STYLE)
async def device_authorization(request: Request) -> Response:
    """RFC 8628 §3.1: POST, the client authenticated as at the token endpoint; a device is
    no browser, so no CORS."""
    ctx = context_of(request)
    params = await read_form(request)
    result = await run_in_threadpool(
        functools.partial(
            device_authorization_core,
            ctx.provider,
            params,
            request.headers.get("authorization"),
            address=client_address(request),
        )
    )
    return json_response(result.to_json())


@renders_errors(TOKEN_STYLE)
async def introspection(request: Request) -> Response:
    """RFC 7662 §2: POST, authenticated; server to server, so no CORS."""
    ctx = context_of(request)
    params = await read_form(request)
    body = await run_in_threadpool(
        introspect,
        ctx.provider,
        params,
        request.headers.get("authorization"),
        client_address(request),
    )
    return json_response(body)


@with_cors
@renders_errors(TOKEN_STYLE)
async def revocation(request: Request) -> Response:
    """RFC 7009 §2: POST; browser-based public clients call it, so it answers CORS."""
    ctx = context_of(request)
    params = await read_form(request)
    await run_in_threadpool(
        revoke, ctx.provider, params, request.headers.get("authorization"), client_address(request)
    )
    return Response(status_code=200, headers=NO_STORE)


@with_cors
@renders_errors(USERINFO)
async def userinfo(request: Request) -> Response:
    """OIDC Core §5.3: GET or POST with a bearer token, or a DPoP-bound one (RFC 9449 §7)."""
    ctx = context_of(request)
    # RFC 6750 §2.2: a form-encoded POST body may carry the token.
    form = None
    if request.method == "POST" and has_form_body(request):
        form = await read_form(request)
    dpop = tuple(request.headers.getlist("dpop"))
    presented = presented_token(request.headers.get("authorization"), form, dpop, request.method)
    claims = await run_in_threadpool(userinfo_core, ctx.provider, presented)
    return json_response(claims, headers=_nonce_header(ctx.provider, dpop))
