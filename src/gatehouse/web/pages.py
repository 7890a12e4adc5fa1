"""The pages a person sees while signing in: login and consent. Each parses the request,
calls protocol/interaction.py (protocol/sign_in_flow.py for POST /login), which records the
answer and resumes the authorization, and renders what comes back; web/errors.py renders
the errors."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from gatehouse.errors import InvalidRequest
from gatehouse.protocol import interaction, sign_in_flow
from gatehouse.protocol.authorization import AuthorizationOutcome, InteractionNeeded
from gatehouse.protocol.decision import proves_client_identity
from gatehouse.protocol.messages import Parameters
from gatehouse.protocol.response_modes import RedirectToClient
from gatehouse.protocol.signin import Source
from gatehouse.web.client_response import deliver
from gatehouse.web.context import context_of
from gatehouse.web.csrf import browser_binding, require_csrf, set_csrf_cookie
from gatehouse.web.errors import SIGN_IN_PAGES, renders_errors
from gatehouse.web.http import client_address, read_form, redirect
from gatehouse.web.i18n import N_, Translatable
from gatehouse.web.threads import run_in_threadpool

# Where each kind of pause is answered (protocol/authorization.py InteractionNeeded.kind).
PAGE_OF_KIND = {
    "login": "/login",
    "verify": "/login/verify",
    "enroll": "/mfa/totp/enroll",
    "consent": "/consent",
    # The consent page says so when an administrator must approve the application.
    "admin_approval": "/consent",
    # ... and when another tenant's application is not available in this one.
    "not_available": "/consent",
}
# The consent form's two buttons: name="decision", value="allow" or "deny".
DECISIONS = {"allow": True, "deny": False}


def follow_outcome(
    request: Request, outcome: AuthorizationOutcome, signed_in: sign_in_flow.SignedIn | None = None
) -> Response:
    if isinstance(outcome, RedirectToClient):
        response = deliver(request, outcome)
    elif isinstance(outcome, InteractionNeeded):
        response = redirect(f"{PAGE_OF_KIND[outcome.kind]}?interaction={outcome.interaction_id}")
    else:  # pragma: no cover - exhaustive
        raise TypeError(outcome)
    ctx = context_of(request)
    # The per-browser cookie that binds the interaction (and protects the forms) is set on
    # the first response, even when that response is a redirect.
    set_csrf_cookie(request, response, secure=ctx.secure_cookies)
    if signed_in is not None and signed_in.session_cookie is not None:
        ctx.set_session_cookie(response, signed_in.session_cookie, signed_in.cookie_max_age)
    if signed_in is not None and signed_in.device_cookie is not None:
        ctx.set_device_cookie(response, signed_in.device_cookie)
    return response


async def _render_login(
    request: Request, form: interaction.LoginForm, interaction_id: str, link: str | None = None
) -> Response:
    ctx = context_of(request)
    policy = await run_in_threadpool(ctx.provider.policy.get)
    # "Sign in with ..." buttons, and the notice of a link waiting for this sign-in
    # (protocol/federation/accounts.py): only words, the link itself is decided elsewhere.
    upstreams = await run_in_threadpool(ctx.provider.upstreams.list)
    linking = next((u.display_name for u in upstreams if link and u.alias == link), None)
    # Refused before the password was checked (docs/lockout.md): 429, RFC 6585 §4.
    refused = form.refusal is not None and not form.failed
    response = ctx.render(
        request,
        "login.html",
        status=429 if refused else 200,
        ui_locales=form.ui_locales,
        client=form.client,
        interaction=interaction_id,
        login=form.login,
        failed=form.failed,
        refusal=form.refusal,  # worded by _too_many_attempts.html
        remember_me=form.remember_me,
        signed_in=form.signed_in,
        # The self-service links (docs/self-service.md), when the tenant turned them on.
        registration=policy.self_service_registration,
        password_reset=policy.password_reset,
        upstreams=upstreams,
        linking=linking,
    )
    if refused and form.refusal is not None:
        response.headers["Retry-After"] = str(form.refusal.retry_after)
    return response


@renders_errors(SIGN_IN_PAGES)
async def login_page(request: Request) -> Response:
    ctx = context_of(request)
    interaction_id = request.query_params.get("interaction")
    shown = await run_in_threadpool(
        interaction.login_form,
        ctx.provider,
        interaction_id,
        ctx.session_cookie(request),
        browser_binding(request),
    )
    if not isinstance(shown, interaction.LoginForm):
        return follow_outcome(request, shown)
    link = request.query_params.get("link")
    return await _render_login(request, shown, interaction_id or "", link)


@renders_errors(SIGN_IN_PAGES)
async def login_submit(request: Request) -> Response:
    ctx = context_of(request)
    form = await read_form(request)
    require_csrf(request, form.get("csrf_token"))
    interaction_id = form.get("interaction")
    result = await run_in_threadpool(
        sign_in_flow.record_login,
        ctx.provider,
        ctx.runtime.passwords,
        interaction_id,
        ctx.session_cookie(request),
        browser_binding(request),
        (form.get("login") or "").strip(),
        form.get("password") or "",
        Source(client_address(request), ctx.device_cookie(request)),
        form.get("remember_me") == "yes",
        request.headers.get("user-agent"),
    )
    if isinstance(result, interaction.LoginForm):
        return await _render_login(request, result, interaction_id or "")
    return follow_outcome(request, result.outcome, signed_in=result)


# gatehouse's own words for the standard scopes on the consent page, translated there. The
# English is protocol/scopes.py STANDARD_SCOPES's (which the CLI lists); a test keeps them
# the same. Scopes an operator defined are described as the operator typed.
STANDARD_SCOPE_TEXTS: dict[str, Translatable] = {
    "openid": N_("Sign you in and know who you are"),
    "profile": N_("See your name and basic profile"),
    "email": N_("See your email address"),
    "address": N_("See your postal address"),
    "phone": N_("See your phone number"),
    "offline_access": N_("Keep access while you are not using the app"),
}


@dataclass(frozen=True)
class ConsentScope:
    """One scope on the consent page: its name (the checkbox's value), its label and
    description (protocol/interaction.py describe_scopes), gatehouse's translatable words
    for it when it is a standard scope (``text``), and whether it cannot be unticked."""

    name: str
    label: str
    description: str
    text: Translatable | None
    required: bool


# The pauses the consent page shows: the question, or that an administrator must approve.
CONSENT_KINDS = ("consent", "admin_approval", "not_available")


@renders_errors(SIGN_IN_PAGES)
async def consent_page(request: Request) -> Response:
    ctx = context_of(request)
    interaction_id = request.query_params.get("interaction")
    outcome = await run_in_threadpool(
        interaction.resume,
        ctx.provider,
        interaction_id,
        ctx.session_cookie(request),
        browser_binding(request),
    )
    if not (isinstance(outcome, InteractionNeeded) and outcome.kind in CONSENT_KINDS):
        return follow_outcome(request, outcome)
    if outcome.kind == "not_available":
        profile = ctx.runtime.profile
        return ctx.render(
            request,
            "not_available.html",
            status=403,
            ui_locales=outcome.request.ui_locales,
            client=outcome.client,
            user=outcome.user,
            organisation=(profile and profile.display_name) or ctx.provider.config.tenant_id,
            interaction=outcome.interaction_id,
        )
    names = outcome.scopes_to_consent
    described = await run_in_threadpool(interaction.describe_scopes, ctx.provider, names)
    if outcome.kind == "admin_approval":
        return ctx.render(
            request,
            "admin_approval.html",
            status=403,
            ui_locales=outcome.request.ui_locales,
            client=outcome.client,
            user=outcome.user,
            scopes=[
                ConsentScope(n, *d, None, False) for n, d in zip(names, described, strict=True)
            ],
            interaction=outcome.interaction_id,
        )
    return ctx.render(
        request,
        "consent.html",
        ui_locales=outcome.request.ui_locales,
        client=outcome.client,
        user=outcome.user,
        scopes=[
            ConsentScope(
                name,
                label,
                description,
                STANDARD_SCOPE_TEXTS.get(name),
                name in interaction.REQUIRED_SCOPES,
            )
            for name, (label, description) in zip(names, described, strict=True)
        ],
        interaction=outcome.interaction_id,
        remembered=proves_client_identity(outcome.client, outcome.request.redirect_uri),
    )


# The consent page's checkboxes: name="grant.<n>", value=the scope. A form without
# CHOOSES_SCOPES (a page from before partial consent, a script) grants every scope asked.
GRANT_PREFIX = "grant."
CHOOSES_SCOPES = "choose_scopes"


def _chosen_scopes(form: Parameters) -> frozenset[str] | None:
    if form.get(CHOOSES_SCOPES) != "yes":
        return None
    return frozenset(value for name, value in form.items() if name.startswith(GRANT_PREFIX))


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
        ctx.session_cookie(request),
        browser_binding(request),
        form.get("subject"),
        allow,
        _chosen_scopes(form),
    )
    return follow_outcome(request, outcome)


@renders_errors(SIGN_IN_PAGES)
async def cancel(request: Request) -> Response:
    """The login and consent pages' "Cancel": back to the application with access_denied."""
    form = await read_form(request)
    require_csrf(request, form.get("csrf_token"))
    refusal = await run_in_threadpool(
        interaction.cancel,
        context_of(request).provider,
        form.get("interaction"),
        browser_binding(request),
    )
    raise refusal  # web/errors.py sends it to the application's redirect URI


@renders_errors(SIGN_IN_PAGES)
async def not_you(request: Request) -> Response:
    """The pages' "Not you?": sign this browser's session out, show the login form again."""
    ctx = context_of(request)
    form = await read_form(request)
    require_csrf(request, form.get("csrf_token"))
    outcome = await run_in_threadpool(
        interaction.not_you,
        ctx.provider,
        form.get("interaction"),
        ctx.session_cookie(request),
        browser_binding(request),
    )
    response = follow_outcome(request, outcome)
    ctx.clear_session_cookie(response)
    return response


async def home(request: Request) -> Response:
    ctx = context_of(request)
    return ctx.render(request, "home.html", demo=ctx.runtime.settings.demo)
