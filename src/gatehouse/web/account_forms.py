"""The account page's forms: each a POST with the CSRF token, carried out by
protocol/account/ for the person signed in in this browser, then back to the page with what
happened (or the page again with why not)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from gatehouse.protocol.account import access, profile, security
from gatehouse.protocol.account.holder import AccountError, AccountHolder
from gatehouse.protocol.account.signin import ReauthenticationRequired
from gatehouse.protocol.messages import Parameters
from gatehouse.web.account import (
    ACCOUNT_PAGES,
    account_holder,
    render_account,
    send_to_sign_in,
)
from gatehouse.web.context import context_of
from gatehouse.web.csrf import require_csrf
from gatehouse.web.errors import renders_errors
from gatehouse.web.http import read_form, redirect
from gatehouse.web.threads import run_in_threadpool

Action = Callable[[Request, AccountHolder, Parameters], Awaitable[Response]]


def account_form(action: Action) -> Callable[[Request], Awaitable[Response]]:
    """``action`` for the signed-in person, behind the CSRF check. Without a session the
    browser goes to /account (which signs it in); a sensitive action on an old sign-in asks
    for a new one first; a refused request shows the page with the reason."""

    @renders_errors(ACCOUNT_PAGES)
    @functools.wraps(action)
    async def handle(request: Request) -> Response:
        form = await read_form(request)
        require_csrf(request, form.get("csrf_token"))
        holder = await account_holder(request)
        if holder is None:
            return redirect("/account")
        try:
            return await action(request, holder, form)
        except AccountError as error:
            return await render_account(request, holder, error, form)
        except ReauthenticationRequired:
            return await send_to_sign_in(request, "reauthenticate", holder.user.username)

    return handle


def done(notice: str, section: str) -> Response:
    return redirect(f"/account?done={notice}#{section}")


@account_form
async def update_profile(request: Request, holder: AccountHolder, form: Parameters) -> Response:
    provider = context_of(request).provider
    changed = await run_in_threadpool(profile.update_profile, provider, holder, form)
    return done("profile" if changed else "profile-unchanged", "profile")


@account_form
async def change_password(request: Request, holder: AccountHolder, form: Parameters) -> Response:
    ctx = context_of(request)
    cookie, max_age = await run_in_threadpool(
        profile.change_password,
        ctx.provider,
        ctx.runtime.passwords,
        holder,
        form.get("current_password") or "",
        form.get("new_password") or "",
        form.get("confirm_password") or "",
    )
    response = done("password", "password")
    ctx.set_session_cookie(response, cookie, max_age)
    return response


@account_form
async def end_session(request: Request, holder: AccountHolder, form: Parameters) -> Response:
    ctx = context_of(request)
    signed_out_here = await run_in_threadpool(
        security.end_session, ctx.provider, holder, form.get("sid")
    )
    if not signed_out_here:
        return done("session", "sessions")
    response = ctx.render(request, "logged_out.html", client=None)
    ctx.clear_session_cookie(response)
    return response


@account_form
async def end_other_sessions(request: Request, holder: AccountHolder, form: Parameters) -> Response:
    await run_in_threadpool(security.end_others, context_of(request).provider, holder)
    return done("others", "sessions")


@account_form
async def revoke_application(request: Request, holder: AccountHolder, form: Parameters) -> Response:
    provider = context_of(request).provider
    await run_in_threadpool(access.revoke_application, provider, holder, form.get("client_id"))
    return done("application", "applications")


@account_form
async def revoke_offline(request: Request, holder: AccountHolder, form: Parameters) -> Response:
    provider = context_of(request).provider
    await run_in_threadpool(access.revoke_offline, provider, holder, form.get("client_id"))
    return done("offline", "offline")
