"""What every self-service page shares: the switch, the mail composer, the link pages."""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response

from gatehouse.accounts.selfservice.service import LinkState, SelfService
from gatehouse.policy import TenantPolicy
from gatehouse.storage.records import EmailTokenPurpose
from gatehouse.web.context import context_of
from gatehouse.web.errors import Channel
from gatehouse.web.i18n import N_
from gatehouse.web.mail import TemplateMailComposer
from gatehouse.web.threads import run_in_threadpool

SELF_SERVICE_PAGES = Channel("page", title=N_("This page cannot be shown"))
# An interaction id carried from the login page to /register and back: random_token()'s
# alphabet only, else it is dropped rather than put into a link.
_INTERACTION = re.compile(r"[A-Za-z0-9_-]{20,128}")


def service_of(request: Request) -> SelfService:
    return context_of(request).runtime.selfservice


def composer_of(request: Request) -> TemplateMailComposer:
    return TemplateMailComposer(context_of(request).templates)


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


# What a person is told about a link that cannot be used: (status, title, message).
_LINK_PROBLEMS: dict[LinkState, tuple[int, str, str]] = {
    LinkState.USED: (
        410,
        "This link was already used",
        "Each link in our emails works once, and this one has been used.",
    ),
    LinkState.EXPIRED: (
        410,
        "This link has expired",
        "The links in our emails work for a limited time, and this one's is over.",
    ),
    LinkState.INVALID: (
        400,
        "This link is not valid",
        "The link is incomplete or is not one of ours. Copy the whole link from the email, "
        "or ask for a new one.",
    ),
}


def link_problem(
    request: Request, state: LinkState, purpose: EmailTokenPurpose, reset: bool
) -> Response:
    status, title, message = _LINK_PROBLEMS[state]
    next_link = None
    if purpose == "reset_password":
        next_step = "If you still need a new password, ask for a new link:"
        next_link, next_link_text = "/password/forgot", "Forgot your password?"
    elif reset:
        next_step = "If your address is not confirmed yet, a password-reset link confirms it too:"
        next_link, next_link_text = "/password/forgot", "Forgot your password?"
    else:
        next_step, next_link_text = "You can still sign in to your account.", ""
    return context_of(request).render(
        request,
        "email_link.html",
        status=status,
        title=title,
        message=message,
        next_step=next_step,
        next_link=next_link,
        next_link_text=next_link_text,
    )


def too_many_requests(request: Request) -> Response:
    return context_of(request).render(request, "too_many_requests.html", status=429)
