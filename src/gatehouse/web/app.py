"""The Starlette application: routes named after the endpoints they serve."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from gatehouse.errors import safe_description
from gatehouse.observability.access_log import AccessLog
from gatehouse.runtime import Runtime
from gatehouse.tenancy import DEFAULT_TENANT
from gatehouse.web import (
    account,
    account_forms,
    branding,
    demo,
    device,
    endpoints,
    federation,
    logout,
    mfa_pages,
    pages,
    par,
    passkeys,
    threads,
)
from gatehouse.web.context import WebContext, make_templates
from gatehouse.web.cookies import CookieNames
from gatehouse.web.cors import AllowedOrigins
from gatehouse.web.errors import TOKEN_STYLE, error_response
from gatehouse.web.http import NO_STORE, not_found
from gatehouse.web.i18n import load_languages
from gatehouse.web.security import SecurityHeaders
from gatehouse.web.selfservice import password_reset, registration

STATIC = Path(__file__).resolve().parent / "static"
FAVICON = STATIC / "favicon.ico"


async def health(_request: Request) -> Response:
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


async def favicon(_request: Request) -> Response:
    """Browsers ask for /favicon.ico on every page they show."""
    return FileResponse(
        FAVICON, media_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"}
    )


def create_app(runtime: Runtime, access_log: AccessLog | None = None) -> Starlette:
    """The ASGI app of ``runtime``'s tenant (web/tenant_dispatch.py serves every tenant's
    behind one). ``access_log`` defaults to lines through `logging` (``gatehouse.access``)."""
    issuer = runtime.provider.config.issuer
    tenant = runtime.store.tenant_id
    routes = [
        # Starlette tries routes in order: the busiest endpoint first.
        Route("/token", endpoints.token, methods=["POST"]),
        Route("/token", endpoints.cors_preflight, methods=["OPTIONS"]),
        Route("/", pages.home),
        Route("/healthz", health),
        Route("/.well-known/openid-configuration", endpoints.discovery, methods=["GET"]),
        Route("/.well-known/openid-configuration", endpoints.cors_preflight, methods=["OPTIONS"]),
        # RFC 8414 §3: the same metadata where OAuth-only clients and libraries look for it.
        Route("/.well-known/oauth-authorization-server", endpoints.discovery, methods=["GET"]),
        Route(
            "/.well-known/oauth-authorization-server", endpoints.cors_preflight, methods=["OPTIONS"]
        ),
        Route("/jwks", endpoints.jwks, methods=["GET"]),
        Route("/jwks", endpoints.cors_preflight, methods=["OPTIONS"]),
        Route("/authorize", endpoints.authorize, methods=["GET", "POST"]),
        Route("/par", par.pushed_authorization_request, methods=["POST"]),
        Route("/introspect", endpoints.introspection, methods=["POST"]),
        Route("/device_authorization", endpoints.device_authorization, methods=["POST"]),
        Route("/device", device.device_page, methods=["GET"]),
        Route("/device", device.device_submit, methods=["POST"]),
        Route("/revoke", endpoints.revocation, methods=["POST"]),
        Route("/revoke", endpoints.cors_preflight, methods=["OPTIONS"]),
        Route("/userinfo", endpoints.userinfo, methods=["GET", "POST"]),
        Route("/userinfo", endpoints.cors_preflight, methods=["OPTIONS"]),
        Route("/login", pages.login_page, methods=["GET"]),
        Route("/login", pages.login_submit, methods=["POST"]),
        Route("/login/verify", mfa_pages.verify_page, methods=["GET"]),
        Route("/login/verify", mfa_pages.verify_submit, methods=["POST"]),
        Route("/mfa", mfa_pages.manage_page, methods=["GET"]),
        Route("/mfa/totp/enroll", mfa_pages.enrol_page, methods=["GET"]),
        Route("/mfa/totp/enroll", mfa_pages.enrol_submit, methods=["POST"]),
        Route("/mfa/totp/remove", mfa_pages.remove_submit, methods=["POST"]),
        Route("/mfa/recovery-codes", mfa_pages.recovery_codes_submit, methods=["POST"]),
        Route("/consent", pages.consent_page, methods=["GET"]),
        Route("/consent", pages.consent_submit, methods=["POST"]),
        Route("/interaction/cancel", pages.cancel, methods=["POST"]),
        Route("/interaction/not-you", pages.not_you, methods=["POST"]),
        Route("/login/federated", federation.start, methods=["POST"]),
        Route("/login/federated/callback", federation.callback, methods=["GET"]),
        Route("/logout/federated/done", federation.signed_out, methods=["GET"]),
        Route("/login/passkey/options", passkeys.login_options, methods=["POST"]),
        Route("/login/passkey", passkeys.login, methods=["POST"]),
        Route("/passkeys", passkeys.passkeys_page, methods=["GET"]),
        Route("/passkeys", passkeys.register, methods=["POST"]),
        Route("/passkeys/options", passkeys.registration_options, methods=["POST"]),
        Route("/passkeys/remove", passkeys.remove, methods=["POST"]),
        Route("/logout", logout.logout, methods=["GET", "POST"]),
        Route("/account", account.account_page, methods=["GET"]),
        Route("/account/callback", account.account_callback, methods=["GET"]),
        Route("/account/profile", account_forms.update_profile, methods=["POST"]),
        Route("/account/password", account_forms.change_password, methods=["POST"]),
        Route("/account/sessions/end", account_forms.end_session, methods=["POST"]),
        Route("/account/sessions/end-others", account_forms.end_other_sessions, methods=["POST"]),
        Route("/account/applications/revoke", account_forms.revoke_application, methods=["POST"]),
        Route("/account/offline/revoke", account_forms.revoke_offline, methods=["POST"]),
        # Self-service accounts: 404 unless the tenant's policy turns them on.
        Route("/register", registration.register_page, methods=["GET"]),
        Route("/register", registration.register_submit, methods=["POST"]),
        Route("/verify-email", registration.verify_page, methods=["GET"]),
        Route("/verify-email", registration.verify_submit, methods=["POST"]),
        Route("/password/forgot", password_reset.forgot_page, methods=["GET"]),
        Route("/password/forgot", password_reset.forgot_submit, methods=["POST"]),
        Route("/password/reset", password_reset.reset_page, methods=["GET"]),
        Route("/password/reset", password_reset.reset_submit, methods=["POST"]),
        Route("/favicon.ico", favicon, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    if runtime.profile is not None:
        routes.append(Route("/branding.css", branding.branding_css, methods=["GET"]))
    if runtime.settings.demo and tenant == DEFAULT_TENANT:
        routes += [
            Route("/demo/", demo.demo_home),
            Route("/demo/start", demo.demo_start),
            Route("/demo/callback", demo.demo_callback),
        ]
    csp = branding.content_security_policy(runtime.profile)
    middleware = [
        Middleware(
            SecurityHeaders,
            https=issuer.startswith("https://"),
            access_log=access_log or AccessLog(),
            content_security_policy=csp,
        )
    ]
    if runtime.settings.trusted_proxies:
        # From a named proxy only, the client address is the one X-Forwarded-For gives (the
        # nearest hop the trusted proxies did not add): what lockouts and audit events
        # record. uvicorn's middleware walks the header; settings.py checked the addresses.
        middleware.insert(
            0, Middleware(ProxyHeadersMiddleware, trusted_hosts=runtime.settings.trusted_proxies)
        )
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={Exception: _unexpected, 404: _not_found, 405: _not_allowed},
    )
    threads.configure(runtime.request_threads)
    app.state.gatehouse = WebContext(
        runtime=runtime,
        templates=make_templates(),
        languages=load_languages(),
        allowed_origins=AllowedOrigins(runtime.store.clients.list),
        secure_cookies=issuer.startswith("https://"),
        cookies=CookieNames.of_tenant(tenant),
        brand=runtime.profile,
        content_security_policy=csp,
    )
    # What web/csrf.py reads without the context (it is below it).
    app.state.cookies = app.state.gatehouse.cookies
    return app


async def _unexpected(request: Request, exc: Exception) -> Response:
    """What escapes an endpoint that does not render its own errors (web/errors.py)."""
    return error_response(request, exc, TOKEN_STYLE)


async def _not_found(request: Request, exc: Exception) -> Response:
    return not_found(request)


async def _not_allowed(request: Request, exc: Exception) -> Response:
    # RFC 9110 §15.5.6: a 405 names the methods the resource does allow.
    allow = exc.headers.get("Allow") if isinstance(exc, HTTPException) and exc.headers else None
    return JSONResponse(
        {
            "error": "invalid_request",
            "error_description": safe_description(f"{request.method} is not allowed here"),
        },
        status_code=405,
        headers={**NO_STORE, **({"Allow": allow} if allow else {})},
    )
