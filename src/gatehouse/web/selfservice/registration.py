"""/register and /verify-email (accounts/selfservice/registration.py)."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from gatehouse.accounts.selfservice import registration as core
from gatehouse.accounts.selfservice.mail import in_whole_units
from gatehouse.accounts.selfservice.service import LinkState
from gatehouse.policy import TenantPolicy
from gatehouse.web.context import context_of
from gatehouse.web.csrf import require_csrf
from gatehouse.web.errors import renders_errors
from gatehouse.web.http import client_address, not_found, query_parameters, read_form
from gatehouse.web.selfservice.common import (
    SELF_SERVICE_PAGES,
    composer_of,
    enabled_policy,
    interaction_of,
    link_problem,
    registration_on,
    service_of,
    sign_in_languages,
    too_many_requests,
)
from gatehouse.web.selfservice.messages import field_messages
from gatehouse.web.threads import run_in_threadpool

EMPTY_FORM = core.RegistrationForm(username="", email="", password="", name="")


def _sign_in_link(request: Request, interaction: str | None) -> str | None:
    """Back to the sign-in page the person came from, if they came from one."""
    if not interaction:
        return None
    return context_of(request).local(f"/login?{urlencode({'interaction': interaction})}")


def _render_form(
    request: Request,
    policy: TenantPolicy,
    form: core.RegistrationForm,
    interaction: str | None,
    ui_locales: tuple[str, ...],
    errors: dict[str, core.FieldProblem],
) -> Response:
    return context_of(request).render(
        request,
        "register.html",
        status=400 if errors else 200,
        ui_locales=ui_locales,
        form=form,
        errors=field_messages(errors),
        interaction=interaction,
        min_length=policy.password_min_length,
        sign_in_link=_sign_in_link(request, interaction) or context_of(request).local("/"),
    )


@renders_errors(SELF_SERVICE_PAGES)
async def register_page(request: Request) -> Response:
    policy = await enabled_policy(request, registration_on)
    if policy is None:
        return not_found(request)
    interaction = interaction_of(query_parameters(request).get("interaction"))
    ui_locales = await sign_in_languages(request, interaction)
    return _render_form(request, policy, EMPTY_FORM, interaction, ui_locales, {})


@renders_errors(SELF_SERVICE_PAGES)
async def register_submit(request: Request) -> Response:
    policy = await enabled_policy(request, registration_on)
    if policy is None:
        return not_found(request)
    params = await read_form(request)
    require_csrf(request, params.get("csrf_token"))
    interaction = interaction_of(params.get("interaction"))
    ui_locales = await sign_in_languages(request, interaction)
    form = core.RegistrationForm(
        username=(params.get("username") or "").strip(),
        email=(params.get("email") or "").strip(),
        password=params.get("password") or "",
        name=(params.get("name") or "").strip(),
    )
    result = await run_in_threadpool(
        core.register,
        service_of(request),
        form,
        composer_of(request, ui_locales),
        client_address(request),
    )
    if isinstance(result, core.FieldErrors):
        return _render_form(request, policy, form, interaction, ui_locales, result.errors)
    if isinstance(result, core.TooManyRequests):
        return too_many_requests(request, ui_locales)
    return context_of(request).render(
        request,
        "register_sent.html",
        ui_locales=ui_locales,
        email=form.email,
        expires_in=in_whole_units(policy.email_verification_lifetime),
        sign_in_link=_sign_in_link(request, interaction),
    )


@renders_errors(SELF_SERVICE_PAGES)
async def verify_page(request: Request) -> Response:
    """The link from the email shows a button: the link is used by the person's POST, not
    by a mail scanner that fetches every link it sees."""
    policy = await enabled_policy(request, registration_on)
    if policy is None:
        return not_found(request)
    token = query_parameters(request).get("token")
    state = await run_in_threadpool(service_of(request).link_state, "verify_email", token)
    if state is not LinkState.VALID:
        return link_problem(request, state, "verify_email", policy.password_reset)
    return context_of(request).render(request, "verify_email.html", token=token)


@renders_errors(SELF_SERVICE_PAGES)
async def verify_submit(request: Request) -> Response:
    policy = await enabled_policy(request, registration_on)
    if policy is None:
        return not_found(request)
    params = await read_form(request)
    require_csrf(request, params.get("csrf_token"))
    state = await run_in_threadpool(
        core.verify_email, service_of(request), params.get("token") or "", client_address(request)
    )
    if state is not LinkState.VALID:
        return link_problem(request, state, "verify_email", policy.password_reset)
    return context_of(request).render(request, "email_verified.html")
