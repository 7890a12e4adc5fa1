"""The pages a person sees while signing in: login and consent. Each parses the request,
calls protocol/interaction.py, which records the answer and resumes the authorization, and
renders what comes back; web/errors.py renders the errors."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from gatehouse.errors import InvalidRequest
from gatehouse.protocol import interaction
from gatehouse.protocol.authorization import (
    AuthorizationOutcome,
    InteractionNeeded,
    RedirectToClient,
)
from gatehouse.protocol.decision import proves_client_identity
from gatehouse.web.context import SESSION_COOKIE, context_of
from gatehouse.web.csrf import browser_binding, require_csrf, set_csrf_cookie
from gatehouse.web.errors import SIGN_IN_PAGES, renders_errors
from gatehouse.web.http import read_form, redirect
from gatehouse.web.i18n import N_
from gatehouse.web.threads import run_in_threadpool

WRONG_CREDENTIALS = N_("The username or password is not correct.")
# The consent form's two buttons: name="decision", value="allow" or "deny".
DECISIONS = {"allow": True, "deny": False}


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
            max_age=ctx.provider.config.session_absolute_lifetime,
            httponly=True,
            samesite="lax",
            secure=ctx.secure_cookies,
            path="/",
        )
    return response


def _render_login(request: Request, form: interaction.LoginForm, interaction_id: str) -> Response:
    return context_of(request).render(
        request,
        "login.html",
        ui_locales=form.ui_locales,
        client=form.client,
        interaction=interaction_id,
        login=form.login,
        error=WRONG_CREDENTIALS if form.failed else None,
    )


@renders_errors(SIGN_IN_PAGES)
async def login_page(request: Request) -> Response:
    ctx = context_of(request)
    interaction_id = request.query_params.get("interaction")
    shown = await run_in_threadpool(
        interaction.login_form,
        ctx.provider,
        interaction_id,
        request.cookies.get(SESSION_COOKIE),
        browser_binding(request),
    )
    if not isinstance(shown, interaction.LoginForm):
        return follow_outcome(request, shown)
    return _render_login(request, shown, interaction_id or "")


@renders_errors(SIGN_IN_PAGES)
async def login_submit(request: Request) -> Response:
    ctx = context_of(request)
    form = await read_form(request)
    require_csrf(request, form.get("csrf_token"))
    interaction_id = form.get("interaction")
    result = await run_in_threadpool(
        interaction.record_login,
        ctx.provider,
        ctx.runtime.passwords,
        interaction_id,
        request.cookies.get(SESSION_COOKIE),
        browser_binding(request),
        (form.get("login") or "").strip(),
        form.get("password") or "",
    )
    if isinstance(result, interaction.LoginForm):
        return _render_login(request, result, interaction_id or "")
    return follow_outcome(request, result.outcome, set_session=result.session_cookie)


@renders_errors(SIGN_IN_PAGES)
async def consent_page(request: Request) -> Response:
    ctx = context_of(request)
    interaction_id = request.query_params.get("interaction")
    outcome = await run_in_threadpool(
        interaction.resume,
        ctx.provider,
        interaction_id,
        request.cookies.get(SESSION_COOKIE),
        browser_binding(request),
    )
    if not (isinstance(outcome, InteractionNeeded) and outcome.kind == "consent"):
        return follow_outcome(request, outcome)
    scopes = await run_in_threadpool(
        interaction.describe_scopes, ctx.provider, outcome.scopes_to_consent
    )
    return ctx.render(
        request,
        "consent.html",
        ui_locales=outcome.request.ui_locales,
        client=outcome.client,
        user=outcome.user,
        scopes=scopes,
        interaction=outcome.interaction_id,
        remembered=proves_client_identity(outcome.client, outcome.request.redirect_uri),
    )


@renders_errors(SIGN_IN_PAGES)
async def consent_submit(request: Request) -> Response:
    ctx = context_of(request)
    form = await read_form(request)
    require_csrf(request, form.get("csrf_token"))
    allow = DECISIONS.get(form.get("decision") or "")
    if allow is None:
        raise InvalidRequest(
            "the consent form must answer with decision=allow or decision=deny; go back, "
            "reload the page and choose Allow or Deny"
        )
    outcome = await run_in_threadpool(
        interaction.record_consent,
        ctx.provider,
        form.get("interaction"),
        request.cookies.get(SESSION_COOKIE),
        browser_binding(request),
        form.get("subject"),
        allow,
    )
    return follow_outcome(request, outcome)


async def home(request: Request) -> Response:
    ctx = context_of(request)
    return ctx.render(request, "home.html", demo=ctx.runtime.settings.demo)
