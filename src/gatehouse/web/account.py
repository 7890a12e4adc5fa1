"""The account page (/account) for the signed-in person, and its sign-in.

A browser without a live SSO session is sent through gatehouse's own /authorize as the
built-in ``gatehouse-account`` client (protocol/account/signin.py); the callback redeems
the code and lands on /account, which reads the SSO session. The forms are in
web/account_forms.py; the Security section's parts in web/account_sections.py.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from gatehouse.accounts.profile import MAX_CLAIM_LENGTH
from gatehouse.errors import AccessDenied
from gatehouse.protocol.account.holder import AccountError, AccountHolder
from gatehouse.protocol.account.overview import account_overview
from gatehouse.protocol.account.signin import (
    Purpose,
    SignInRequest,
    finish_sign_in,
    signed_in_recently,
    start_sign_in,
)
from gatehouse.protocol.device import VERIFICATION_PATH
from gatehouse.protocol.interaction import browser_state
from gatehouse.protocol.messages import Parameters
from gatehouse.web.account_sections import load_security_sections
from gatehouse.web.account_text import (
    NOTICES,
    field_in_error,
    refusal_message,
    sign_in_methods,
)
from gatehouse.web.context import context_of
from gatehouse.web.errors import Channel, renders_errors
from gatehouse.web.http import client_address, query_parameters, redirect
from gatehouse.web.i18n import N_
from gatehouse.web.threads import run_in_threadpool

# Where the callback sends the browser once signed in, by what the sign-in was for.
AFTER_SIGN_IN: dict[Purpose, str] = {
    "view": "/account",
    "reauthenticate": "/account?done=reauthenticated",
    "device": VERIFICATION_PATH,
}
ACCOUNT_PAGES = Channel("page", title=N_("Your account page cannot do this"))


async def account_holder(request: Request) -> AccountHolder | None:
    """The person signed in in this browser, or None."""
    ctx = context_of(request)
    cookie = ctx.session_cookie(request)
    browser = await run_in_threadpool(browser_state, ctx.provider, cookie)
    if browser.session is None or browser.user is None or cookie is None:
        return None
    return AccountHolder(browser.user, browser.session, cookie, client_address(request))


async def send_to_sign_in(
    request: Request,
    purpose: Purpose,
    login_hint: str | None = None,
    acr_values: tuple[str, ...] = (),
) -> Response:
    """To /authorize as the account page's client; the browser keeps state and verifier."""
    ctx = context_of(request)
    location, pending = await run_in_threadpool(
        start_sign_in, ctx.provider, purpose, login_hint, acr_values
    )
    response = redirect(location)
    response.set_cookie(
        ctx.cookies.account_sign_in,
        pending.cookie_value(),
        max_age=ctx.provider.config.interaction_lifetime,
        httponly=True,
        samesite="lax",
        secure=ctx.secure_cookies,
        path=ctx.cookies.below("/account"),
    )
    return response


async def reauthentication_needed(request: Request) -> Response | None:
    """For a sensitive action outside the account page (removing a passkey or the
    authenticator app): where to send a browser whose sign-in is older than the tenant's
    ``reauthentication_window`` (to sign in again, as the account page's own sensitive
    actions do); None when the sign-in is recent, or there is none (the page says so)."""
    holder = await account_holder(request)
    if holder is None:
        return None
    provider = context_of(request).provider
    if await run_in_threadpool(signed_in_recently, provider, holder.session):
        return None
    return await send_to_sign_in(request, "reauthenticate", holder.user.username)


async def render_account(
    request: Request,
    holder: AccountHolder,
    error: AccountError | None = None,
    submitted: Parameters | None = None,
) -> Response:
    """The page; after a refused form, with why (beside that form) and what was typed in it
    (``submitted``, passwords aside: the templates show no password)."""
    ctx = context_of(request)
    overview = await run_in_threadpool(account_overview, ctx.provider, holder.user, holder.session)
    sections = await run_in_threadpool(load_security_sections, ctx.provider, holder)
    return ctx.render(
        request,
        "account.html",
        status=error.status if error else 200,
        overview=overview,
        user=holder.user,
        security_sections=sections,
        error=error,
        submitted=submitted,
        error_message=refusal_message(error) if error else None,
        error_field=field_in_error(error),
        notice=None if error else NOTICES.get(request.query_params.get("done") or ""),
        sign_in_methods=sign_in_methods,
        max_claim_length=MAX_CLAIM_LENGTH,
    )


@renders_errors(ACCOUNT_PAGES)
async def account_page(request: Request) -> Response:
    holder = await account_holder(request)
    if holder is None:
        return await send_to_sign_in(request, "view")
    return await render_account(request, holder)


@renders_errors(ACCOUNT_PAGES)
async def account_callback(request: Request) -> Response:
    """Where /authorize sends the browser back: redeem the code, then show the page."""
    ctx = context_of(request)
    pending = SignInRequest.from_cookie(request.cookies.get(ctx.cookies.account_sign_in))
    try:
        purpose = await run_in_threadpool(
            finish_sign_in, ctx.provider, pending, query_parameters(request)
        )
    except AccessDenied:
        if pending is not None and pending.purpose == "device":
            # The device page starts again from its form (web/device.py).
            response: Response = redirect(VERIFICATION_PATH)
            ctx.forget_user_code(response)
        else:
            response = ctx.render(request, "account_signin.html", status=403)
    else:
        response = redirect(AFTER_SIGN_IN[purpose])
    response.delete_cookie(
        ctx.cookies.account_sign_in,
        path=ctx.cookies.below("/account"),
        httponly=True,
        samesite="lax",
    )
    return response
