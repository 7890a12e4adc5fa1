"""The end-session endpoint's pages (OIDC RP-Initiated Logout 1.0)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from gatehouse.accounts.sessions import browser_state, end_session, end_session_by_sid
from gatehouse.errors import InvalidRequest, OAuthError
from gatehouse.protocol.logout import LogoutRequest, validate_logout
from gatehouse.protocol.messages import Parameters
from gatehouse.web.context import SESSION_COOKIE, context_of
from gatehouse.web.csrf import csrf_valid
from gatehouse.web.http import query_parameters, read_form, redirect
from gatehouse.web.pages import error_page
from gatehouse.web.threads import run_in_threadpool


async def logout(request: Request) -> Response:
    """GET shows (or skips) the confirmation; POST carries the person's confirmation."""
    ctx = context_of(request)
    try:
        params: Parameters = (
            await read_form(request) if request.method == "POST" else query_parameters(request)
        )
        logout_request = await run_in_threadpool(validate_logout, ctx.provider, params)
    except OAuthError as error:
        return error_page(request, error, title="This sign-out request cannot be completed")
    cookie = request.cookies.get(SESSION_COOKIE)
    browser = await run_in_threadpool(browser_state, ctx.provider, cookie)
    confirmed = request.method == "POST" and params.get("confirm") == "yes"
    if confirmed and not csrf_valid(request, params.get("csrf_token")):
        return error_page(
            request,
            InvalidRequest("the form's security token is missing or does not match; try again"),
            status=403,
            title="This form has expired",
        )
    hint_matches = browser.session is not None and logout_request.hint_sid == browser.session.sid
    if browser.session is not None and not (confirmed or hint_matches):
        return ctx.render(
            request,
            "logout.html",
            client=logout_request.client,
            user=browser.user,
            params={
                k: v
                for k, v in (
                    (
                        "client_id",
                        logout_request.client.client_id if logout_request.client else None,
                    ),
                    ("post_logout_redirect_uri", logout_request.post_logout_redirect_uri),
                    ("state", logout_request.state),
                )
                if v is not None
            },
        )
    if browser.session is not None:
        await run_in_threadpool(end_session, ctx.provider, cookie)
    elif logout_request.hint_sid is not None:
        # No session came with the request (a cross-site POST leaves the SameSite=Lax cookie
        # behind), but the verified ID token names its session: end that one, or the client
        # would believe the person signed out while the session and its refresh tokens live.
        await run_in_threadpool(end_session_by_sid, ctx.provider, logout_request.hint_sid)
    return _finish(request, logout_request)


def _finish(request: Request, logout_request: LogoutRequest) -> Response:
    ctx = context_of(request)
    location = logout_request.redirect_location()
    response = (
        redirect(location)
        if location is not None
        else ctx.render(request, "logged_out.html", client=logout_request.client)
    )
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=ctx.secure_cookies
    )
    return response
