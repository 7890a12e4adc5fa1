"""What every self-service page shares: the switch, the language, the mail composer, the
link pages."""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response

from gatehouse.accounts.selfservice.service import LinkState, SelfService
from gatehouse.errors import InvalidRequest
from gatehouse.policy import TenantPolicy
from gatehouse.protocol.interaction import load_interaction
from gatehouse.storage.records import EmailTokenPurpose
from gatehouse.web.context import context_of
from gatehouse.web.csrf import browser_binding
from gatehouse.web.errors import Channel
from gatehouse.web.i18n import N_
from gatehouse.web.mail import TemplateMailComposer
from gatehouse.web.selfservice.messages import (
    ASK_FOR_A_NEW_RESET_LINK,
    FORGOT_PASSWORD,
    LINK_PROBLEMS,
    RESET_CONFIRMS_TOO,
    YOU_CAN_SIGN_IN,
)
from gatehouse.web.threads import run_in_threadpool

SELF_SERVICE_PAGES = Channel("page", title=N_("This page cannot be shown"))
# An interaction id carried from the login page to /register and back: random_token()'s
# alphabet only, else it is dropped rather than put into a link.
_INTERACTION = re.compile(r"[A-Za-z0-9_-]{20,128}")


def service_of(request: Request) -> SelfService:
    return context_of(request).runtime.selfservice


async def sign_in_languages(request: Request, interaction: str | None) -> tuple[str, ...]:
    """The ui_locales of the sign-in the person came from (the paused authorization request
    behind the login page's link, OIDC Core §3.1.2.1), if they came from one this browser
    started; the pages and the email of the form are in its language before the browser's."""
    if interaction is None:
        return ()
    ctx = context_of(request)
    try:
        paused = await run_in_threadpool(
            load_interaction, ctx.provider, interaction, browser_binding(request), completed=True
        )
    except InvalidRequest:
        return ()  # expired, finished long ago, or another browser's: the browser's languages
    return paused.request.ui_locales


def composer_of(request: Request, ui_locales: tuple[str, ...] = ()) -> TemplateMailComposer:
    """The emails a form makes are in the language its page is shown in."""
    ctx = context_of(request)
    lang = ctx.languages.choose(ui_locales, request.headers.get("accept-language"))
    organisation = ctx.brand.display_name if ctx.brand is not None else None
    return TemplateMailComposer(ctx.templates, lang, ctx.languages.translations(lang), organisation)


async def enabled_policy(
    request: Request, switch: Callable[[TenantPolicy], bool]
) -> TenantPolicy | None:
    """The tenant's policy if ``switch`` is on in it, else None (the page answers 404)."""
    policy = await run_in_threadpool(service_of(request).policy.get)
    return policy if switch(policy) else None


def interaction_of(value: str | None) -> str | None:
    return value if value is not None and _INTERACTION.fullmatch(value) else None


def registration_on(policy: TenantPolicy) -> bool:
    return policy.self_service_registration


def reset_on(policy: TenantPolicy) -> bool:
    return policy.password_reset


def link_problem(
    request: Request, state: LinkState, purpose: EmailTokenPurpose, reset: bool
) -> Response:
    problem = LINK_PROBLEMS[state]
    next_link = None
    if purpose == "reset_password":
        next_step, next_link = ASK_FOR_A_NEW_RESET_LINK, "/password/forgot"
    elif reset:
        next_step, next_link = RESET_CONFIRMS_TOO, "/password/forgot"
    else:
        next_step = YOU_CAN_SIGN_IN
    return context_of(request).render(
        request,
        "email_link.html",
        status=problem.status,
        title=problem.title,
        message=problem.message,
        next_step=next_step,
        next_link=context_of(request).local(next_link) if next_link else None,
        next_link_text=FORGOT_PASSWORD,
    )


def too_many_requests(request: Request, ui_locales: tuple[str, ...] = ()) -> Response:
    return context_of(request).render(
        request, "too_many_requests.html", status=429, ui_locales=ui_locales
    )
