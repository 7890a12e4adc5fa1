"""The pages a person sees: login, consent, errors. They render an interaction that the
authorization endpoint paused, record the person's answer, and resume it."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response

from gatehouse.accounts.authentication import authenticate
from gatehouse.accounts.sessions import browser_state, start_session
from gatehouse.errors import InvalidRequest, OAuthError, UntrustedRedirect
from gatehouse.protocol import authorize as authorize_core
from gatehouse.protocol.audiences import split_canonical
from gatehouse.protocol.authorize import AuthorizationOutcome, InteractionNeeded, RedirectToClient
from gatehouse.protocol.scopes import STANDARD_SCOPES
from gatehouse.web.context import SESSION_COOKIE, WebContext, context_of
from gatehouse.web.csrf import browser_binding, csrf_valid, set_csrf_cookie
from gatehouse.web.http import read_form, redirect
from gatehouse.web.threads import run_in_threadpool

log = logging.getLogger("gatehouse.pages")

_ERROR_TITLES = {
    "invalid_request": "This sign-in request cannot be completed",
    "server_error": "Something went wrong on our side",
}


def error_page(
    request: Request, error: OAuthError, status: int = 400, title: str | None = None
) -> Response:
    ctx = context_of(request)
    return ctx.render(
        request,
        "error.html",
        status=status,
        title=title or _ERROR_TITLES.get(error.error, "This request cannot be completed"),
        message=error.description,
        error_code=error.error,
    )


def untrusted_error_page(request: Request, error: OAuthError) -> Response:
    """The client or redirect URI cannot be trusted, so the error stays at gatehouse
    (RFC 6749 §4.1.2.1)."""
    return error_page(request, error)


def follow_outcome(
    request: Request, outcome: AuthorizationOutcome, set_session: str | None = None
) -> Response:
    if isinstance(outcome, RedirectToClient):
        response = redirect(outcome.location)
    elif isinstance(outcome, InteractionNeeded):
        response = redirect(f"/{outcome.kind}?interaction={outcome.interaction_id}")
    else:  # pragma: no cover - exhaustive
        raise TypeError(outcome)
    ctx = context_of(request)
    # The per-browser cookie that binds the interaction (and protects the forms) is set on
    # the first response, even when that response is a redirect.
    set_csrf_cookie(request, response, secure=ctx.secure_cookies)
    if set_session is not None:
        response.set_cookie(
            SESSION_COOKIE,
            set_session,
            max_age=ctx.runtime.provider.config.session_absolute_lifetime,
            httponly=True,
            samesite="lax",
            secure=ctx.secure_cookies,
            path="/",
        )
    return response


def _missing_interaction() -> UntrustedRedirect:
    return UntrustedRedirect(
        InvalidRequest(
            "this page needs a sign-in request; go back to the application and start again"
        )
    )


def _scope_descriptions(ctx: WebContext, names: tuple[str, ...]) -> list[tuple[str, str]]:
    """(label, description) per scope: standard, custom, or an API's delegated permission
    (shown as "<API name>: <scope>")."""
    custom = ctx.runtime.store.scopes.get_many(list(names))
    apis = ctx.runtime.store.apis.list() if any("/" in n for n in names) else []
    described = []
    for name in names:
        split = split_canonical(name, apis)
        if name in STANDARD_SCOPES:
            described.append((name, STANDARD_SCOPES[name]))
        elif name in custom:
            described.append((name, custom[name].description))
        elif split is not None:
            api, bare = split
            permission = next((p for p in api.scopes if p.name == bare), None)
            described.append(
                (f"{api.name}: {bare}", permission.description if permission else bare)
            )
        else:
            described.append((name, name))
    return described


async def login_page(request: Request) -> Response:
    ctx = context_of(request)
    interaction_id = request.query_params.get("interaction")
    try:
        if not interaction_id or len(interaction_id) > 128:
            raise _missing_interaction()
        _interaction, client, auth_request = await run_in_threadpool(
            authorize_core.load_interaction, ctx.provider, interaction_id, browser_binding(request)
        )
    except UntrustedRedirect as untrusted:
        return untrusted_error_page(request, untrusted.oauth_error)
    return ctx.render(
        request,
        "login.html",
        client=client,
        interaction=interaction_id,
        login=auth_request.login_hint or "",
        error=None,
    )


async def login_submit(request: Request) -> Response:
    ctx = context_of(request)
    try:
        form = await read_form(request)
    except OAuthError as error:
        return error_page(request, error)
    interaction_id = form.get("interaction")
    if not csrf_valid(request, form.get("csrf_token")):
        return error_page(
            request,
            _csrf_error(),
            status=403,
            title="This form has expired",
        )
    try:
        if not interaction_id or len(interaction_id) > 128:
            raise _missing_interaction()
        interaction, client, _req = await run_in_threadpool(
            authorize_core.load_interaction, ctx.provider, interaction_id, browser_binding(request)
        )
    except UntrustedRedirect as untrusted:
        return untrusted_error_page(request, untrusted.oauth_error)

    login = (form.get("login") or "").strip()
    password = form.get("password") or ""
    user = await run_in_threadpool(
        authenticate, ctx.provider, ctx.runtime.passwords, login, password
    )
    if user is None:
        log.info("failed login for client %s", client.client_id)
        return ctx.render(
            request,
            "login.html",
            status=200,
            client=client,
            interaction=interaction_id,
            login=login,
            error="The username or password is not correct.",
        )

    def finish() -> tuple[str, AuthorizationOutcome]:
        cookie = start_session(ctx.provider, user, ("pwd",), request.cookies.get(SESSION_COOKIE))
        ctx.provider.interactions.mark_login(interaction.id_hash, ctx.provider.clock())
        browser = browser_state(ctx.provider, cookie, browser_binding(request))
        return cookie, authorize_core.resume(ctx.provider, interaction_id, browser)

    try:
        cookie, outcome = await run_in_threadpool(finish)
    except UntrustedRedirect as untrusted:
        return untrusted_error_page(request, untrusted.oauth_error)
    return follow_outcome(request, outcome, set_session=cookie)


def _csrf_error() -> OAuthError:
    return InvalidRequest(
        "the form's security token is missing or does not match; reload the page and try again"
    )


async def consent_page(request: Request) -> Response:
    ctx = context_of(request)
    interaction_id = request.query_params.get("interaction")

    def decide() -> AuthorizationOutcome:
        if not interaction_id or len(interaction_id) > 128:
            raise _missing_interaction()
        browser = browser_state(
            ctx.provider, request.cookies.get(SESSION_COOKIE), browser_binding(request)
        )
        return authorize_core.resume(ctx.provider, interaction_id, browser)

    try:
        outcome = await run_in_threadpool(decide)
    except UntrustedRedirect as untrusted:
        return untrusted_error_page(request, untrusted.oauth_error)
    if not (isinstance(outcome, InteractionNeeded) and outcome.kind == "consent"):
        return follow_outcome(request, outcome)
    scopes = await run_in_threadpool(_scope_descriptions, ctx, outcome.scopes_to_consent)
    return ctx.render(
        request,
        "consent.html",
        client=outcome.client,
        user=outcome.user,
        scopes=scopes,
        interaction=interaction_id,
        remembered=authorize_core.proves_client_identity(
            outcome.client, outcome.request.redirect_uri
        ),
    )


async def consent_submit(request: Request) -> Response:
    ctx = context_of(request)
    try:
        form = await read_form(request)
    except OAuthError as error:
        return error_page(request, error)
    if not csrf_valid(request, form.get("csrf_token")):
        return error_page(request, _csrf_error(), status=403, title="This form has expired")
    interaction_id = form.get("interaction")
    decision = form.get("decision")

    def answer() -> AuthorizationOutcome:
        if not interaction_id or len(interaction_id) > 128:
            raise _missing_interaction()
        if decision == "deny":
            return authorize_core.deny(ctx.provider, interaction_id, browser_binding(request))
        browser = browser_state(
            ctx.provider, request.cookies.get(SESSION_COOKIE), browser_binding(request)
        )
        interaction, client, auth_request = authorize_core.load_interaction(
            ctx.provider, interaction_id, browser.binding
        )
        if decision != "allow":
            raise _missing_interaction()
        if browser.user is None or form.get("subject") != browser.user.id:
            # The session ended while the page was open, or another person has signed in
            # in this browser since (another tab): the answer was given for someone else,
            # so ask again, as whoever is signed in now.
            return authorize_core.resume(ctx.provider, interaction_id, browser)
        ctx.provider.consents.grant(
            browser.user.id, client.client_id, frozenset(auth_request.scopes), ctx.provider.clock()
        )
        ctx.provider.interactions.mark_consent(interaction.id_hash)
        return authorize_core.resume(ctx.provider, interaction_id, browser)

    try:
        outcome = await run_in_threadpool(answer)
    except UntrustedRedirect as untrusted:
        return untrusted_error_page(request, untrusted.oauth_error)
    return follow_outcome(request, outcome)


async def home(request: Request) -> Response:
    ctx = context_of(request)
    return ctx.render(request, "home.html", demo=ctx.runtime.settings.demo)
