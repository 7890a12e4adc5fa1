"""The ``common`` and ``organizations`` authorities on the web (protocol/common_authority.py):
``/t/common/...`` and ``/t/organizations/...``.

Each is a small app of its own beside the tenants' apps (web/tenant_dispatch.py sends its
paths here): a discovery document with Entra's issuer template, the JWK Set of the tenants
it spans, and an authorization endpoint that finds the person's tenant and sends the
browser there. Its token endpoint is not a page: ``route_token`` hands the request, body and
all, to the token endpoint of the tenant the code or refresh token names.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote, urlencode

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from gatehouse.errors import OAuthError
from gatehouse.keys.keyring import is_published
from gatehouse.observability.access_log import AccessLog
from gatehouse.protocol.common_authority import AuthorityRequest, CommonAuthority
from gatehouse.protocol.discovery import openid_configuration
from gatehouse.protocol.messages import parse_query_or_form
from gatehouse.protocol.provider import ProviderConfig
from gatehouse.protocol.response_modes import error_response
from gatehouse.protocol.token import DEFAULT_GRANTS
from gatehouse.runtime import TenantRuntimes
from gatehouse.tenancy import DEFAULT_TENANT, tenant_path
from gatehouse.web.client_response import deliver
from gatehouse.web.context import WebContext, context_of, make_templates
from gatehouse.web.cookies import CookieNames
from gatehouse.web.cors import AllowedOrigins
from gatehouse.web.csrf import require_csrf
from gatehouse.web.errors import SIGN_IN_PAGES, oauth_error_json, renders_errors
from gatehouse.web.http import query_parameters, read_body, read_form, redirect
from gatehouse.web.i18n import load_languages
from gatehouse.web.security import CONTENT_SECURITY_POLICY, SecurityHeaders
from gatehouse.web.threads import run_in_threadpool

# The endpoints of a tenant's discovery document the authority does not have: they belong
# to the tenant a person signs in at (UserInfo, logout, PAR, introspection, ...).
_TENANT_ONLY = ("_endpoint", "registration_endpoint")
JWKS_SECONDS = 60.0


def authority_of(request: Request) -> CommonAuthority:
    found: CommonAuthority = request.app.state.authority
    return found


async def discovery(request: Request) -> Response:
    """OIDC Discovery 1.0 §4 for the authority: the issuer is a template (Entra's
    ``{tenantid}``), the endpoints its own; a client validates ``iss`` by the token's ``tid``."""
    authority = authority_of(request)
    config = ProviderConfig(issuer=authority.issuer, tenant_id=authority.name)
    document = openid_configuration(
        config, list(DEFAULT_GRANTS), [], ui_locales=context_of(request).languages.tags
    )
    body: dict[str, Any] = {
        k: v
        for k, v in document.items()
        if not k.endswith(_TENANT_ONLY) or k in ("authorization_endpoint", "token_endpoint")
    }
    body["issuer"] = authority.issuer_template
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=300"})


async def jwks(request: Request) -> Response:
    """Every key the spanned tenants publish (their kids are unique): what a library that
    knows only the authority's jwks_uri needs to verify any of their tokens."""
    published = await run_in_threadpool(request.app.state.spanned_keys)
    return JSONResponse(published, headers={"Cache-Control": "public, max-age=300"})


@renders_errors(SIGN_IN_PAGES)
async def authorize(request: Request) -> Response:
    """The person's tenant from login_hint (or domain_hint), else the page that asks."""
    authority = authority_of(request)
    params = await read_form(request) if request.method == "POST" else query_parameters(request)
    found = await run_in_threadpool(authority.authorization_request, params)
    hint = params.get("login_hint") or (
        f"@{params['domain_hint']}" if params.get("domain_hint") else None
    )
    tenant = await run_in_threadpool(authority.tenant_of_login, hint) if hint else None
    if tenant is not None:
        return redirect(authority.continue_at(found, tenant, params.get("login_hint")))
    refused = authority.cannot_ask(found)
    if refused is not None:
        return deliver(request, error_response(authority.issuer, refused))
    return await _find_page(request, found)


@renders_errors(SIGN_IN_PAGES)
async def find(request: Request) -> Response:
    """The page's answer: a tenant picked from the list, or what the person types to sign in
    (its domain names the tenant)."""
    authority = authority_of(request)
    form = await read_form(request)
    require_csrf(request, form.get("csrf_token"))
    params = parse_query_or_form((form.get("request") or "").encode("utf-8"))
    found = await run_in_threadpool(authority.authorization_request, params)
    login = (form.get("login") or "").strip() or None
    picked = form.get("tenant")
    if picked is not None:
        try:
            tenant = await run_in_threadpool(authority.chosen, found, picked)
        except OAuthError:
            return await _find_page(request, found, problem="unknown_tenant")
        return redirect(authority.continue_at(found, tenant, login))
    found_tenant = await run_in_threadpool(authority.tenant_of_login, login) if login else None
    if found_tenant is None:
        domain = login.rpartition("@")[2] if login and "@" in login else None
        problem = "unknown_domain" if domain else "no_domain"
        return await _find_page(request, found, login=login, problem=problem, domain=domain)
    return redirect(authority.continue_at(found, found_tenant, login))


async def _find_page(
    request: Request,
    found: AuthorityRequest,
    *,
    login: str | None = None,
    problem: str | None = None,
    domain: str | None = None,
) -> Response:
    """The page that asks for the person's organisation; ``problem`` (400) says what was
    wrong with the last answer: unknown_domain, no_domain or unknown_tenant."""
    ctx = context_of(request)
    choices = await run_in_threadpool(authority_of(request).choices, found)
    return ctx.render(
        request,
        "find_organisation.html",
        status=400 if problem else 200,
        ui_locales=tuple((found.params.get("ui_locales") or "").split()),
        client=found.client,
        choices=choices,
        login=login or "",
        problem=problem,
        domain=domain,
        request_params=_encoded(found),
    )


def _encoded(found: AuthorityRequest) -> str:
    return urlencode(list(found.params.items()))


def create_authority_app(tenants: TenantRuntimes, name: str) -> Starlette:
    """The app of the authority ``name`` (common or organizations), over the default
    tenant's runtime for its templates and settings; it reads every tenant's rows only
    through the tenants' list and the multi-tenant directory."""
    runtime = tenants.default
    authority = CommonAuthority(
        name, runtime.provider.config.issuer, runtime.store.tenants, runtime.store.multi_tenant
    )
    issuer = runtime.provider.config.issuer
    app = Starlette(
        routes=[
            Route("/.well-known/openid-configuration", discovery, methods=["GET"]),
            Route("/.well-known/oauth-authorization-server", discovery, methods=["GET"]),
            Route("/jwks", jwks, methods=["GET"]),
            Route("/authorize", authorize, methods=["GET", "POST"]),
            Route("/authorize/find", find, methods=["POST"]),
        ],
        middleware=[
            Middleware(
                SecurityHeaders,
                https=issuer.startswith("https://"),
                access_log=AccessLog(),
                content_security_policy=CONTENT_SECURITY_POLICY,
            )
        ],
    )
    app.state.authority = authority
    app.state.spanned_keys = _SpannedKeys(tenants, authority)
    app.state.gatehouse = WebContext(
        runtime=runtime,
        templates=make_templates(),
        languages=load_languages(),
        allowed_origins=AllowedOrigins(list),
        secure_cookies=issuer.startswith("https://"),
        cookies=CookieNames.of_tenant(name),
    )
    app.state.cookies = app.state.gatehouse.cookies
    return app


class _SpannedKeys:
    """The union of the spanned tenants' JWK Sets (the default tenant's first, then by name),
    read again at most every JWKS_SECONDS: one read of every tenant's public keys, with no
    tenant's runtime built for it (at 100 tenants, 5 s of CPU the first time and a read per
    tenant every time)."""

    def __init__(self, tenants: TenantRuntimes, authority: CommonAuthority) -> None:
        self._default = tenants.default
        self._authority = authority
        self._until = float("-inf")
        self._keys: dict[str, Any] = {"keys": []}

    def __call__(self) -> dict[str, Any]:
        if time.monotonic() >= self._until:
            now = self._default.provider.clock()
            by_tenant = self._default.store.tenants.signing_keys()
            keys = [
                key.public_jwk
                for tenant in sorted(by_tenant, key=lambda name: (name != DEFAULT_TENANT, name))
                if self._authority.spanned(tenant)
                for key in by_tenant[tenant]
                if is_published(key, now)
            ]
            self._keys = {"keys": keys}
            self._until = time.monotonic() + JWKS_SECONDS
        return self._keys


# -- The token endpoint: handed to the tenant -----------------------------------------------

Forward = Callable[[Scope, Receive, Send], Awaitable[None]]


async def route_token(
    authority: CommonAuthority, scope: Scope, receive: Receive, send: Send, forward: Forward
) -> None:
    """POST {authority}/token: the tenant from the code or refresh token, then that tenant's
    token endpoint answers the very same request (client authentication included)."""
    request = Request(scope, receive)
    try:
        body = await read_body(request)
        params = parse_query_or_form(body)
        client_id = params.get("client_id") or _basic_client_id(request)
        tenant = await run_in_threadpool(authority.token_tenant, params, client_id)
    except OAuthError as exc:
        await oauth_error_json(exc)(scope, receive, send)
        return
    path = f"{tenant_path(tenant)}/token"
    inner = {**scope, "path": path, "raw_path": path.encode("ascii")}
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    await forward(inner, replay, send)


def _basic_client_id(request: Request) -> str | None:
    """The client id of HTTP Basic credentials (RFC 6749 §2.3.1: form-urlencoded first)."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, _ = decoded.partition(":")
    return unquote(user.replace("+", " ")) if sep else None
