"""/password/forgot and /password/reset (accounts/selfservice/reset.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from gatehouse.accounts.selfservice import reset as core
from gatehouse.accounts.selfservice.mail import in_whole_units
from gatehouse.accounts.selfservice.registration import FieldErrors, FieldProblem, TooManyRequests
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
    reset_on,
    service_of,
    sign_in_languages,
    too_many_requests,
)
from gatehouse.web.selfservice.messages import field_messages
from gatehouse.web.threads import run_in_threadpool


@renders_errors(SELF_SERVICE_PAGES)
async def forgot_page(request: Request) -> Response:
    if await enabled_policy(request, reset_on) is None:
        return not_found(request)
    # From the login page's link: in the sign-in's languages, like its email.
    interaction = interaction_of(query_parameters(request).get("interaction"))
    return context_of(request).render(
        request,
        "forgot_password.html",
        ui_locales=await sign_in_languages(request, interaction),
        interaction=interaction,
        email="",
        errors={},
    )


@renders_errors(SELF_SERVICE_PAGES)
async def forgot_submit(request: Request) -> Response:
    policy = await enabled_policy(request, reset_on)
    if policy is None:
        return not_found(request)
    params = await read_form(request)
    require_csrf(request, params.get("csrf_token"))
    interaction = interaction_of(params.get("interaction"))
    ui_locales = await sign_in_languages(request, interaction)
    email = (params.get("email") or "").strip()
    result = await run_in_threadpool(
        core.request_reset,
        service_of(request),
        email,
        composer_of(request, ui_locales),
        client_address(request),
    )
    ctx = context_of(request)
    if isinstance(result, FieldErrors):
        return ctx.render(
            request,
            "forgot_password.html",
            status=400,
            ui_locales=ui_locales,
            interaction=interaction,
            email=email,
            errors=field_messages(result.errors),
        )
    if isinstance(result, TooManyRequests):
        return too_many_requests(request, ui_locales)
    return ctx.render(
        request,
        "forgot_password_sent.html",
        ui_locales=ui_locales,
        email=email,
        expires_in=in_whole_units(policy.password_reset_lifetime),
    )


def _render_form(
    request: Request, policy: TenantPolicy, token: str, errors: dict[str, FieldProblem]
) -> Response:
    return context_of(request).render(
        request,
        "reset_password.html",
        status=400 if errors else 200,
        token=token,
        errors=field_messages(errors),
        min_length=policy.password_min_length,
    )


@renders_errors(SELF_SERVICE_PAGES)
async def reset_page(request: Request) -> Response:
    policy = await enabled_policy(request, reset_on)
    if policy is None:
        return not_found(request)
    token = query_parameters(request).get("token")
    state = await run_in_threadpool(core.reset_link_state, service_of(request), token)
    if token is None or state is not LinkState.VALID:
        return link_problem(request, state, "reset_password", True)
    return _render_form(request, policy, token, {})


@renders_errors(SELF_SERVICE_PAGES)
async def reset_submit(request: Request) -> Response:
    policy = await enabled_policy(request, reset_on)
    if policy is None:
        return not_found(request)
    params = await read_form(request)
    require_csrf(request, params.get("csrf_token"))
    token = params.get("token") or ""
    result = await run_in_threadpool(
        core.reset_password,
        service_of(request),
        token,
        params.get("password") or "",
        composer_of(request),
        client_address(request),
    )
    if isinstance(result, FieldErrors):
        return _render_form(request, policy, token, result.errors)
    if isinstance(result, LinkState):
        return link_problem(request, result, "reset_password", True)
    response = context_of(request).render(request, "password_changed.html")
    return response
