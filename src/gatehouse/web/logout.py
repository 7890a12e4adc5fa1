"""The end-session endpoint's pages (OIDC RP-Initiated Logout 1.0)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from gatehouse.protocol.federation.logout import upstream_logout
from gatehouse.protocol.interaction import browser_state
from gatehouse.protocol.logout import (
    LogoutFrame,
    LogoutRequest,
    end_session,
    frontchannel_frames,
    validate_logout,
)
from gatehouse.protocol.messages import Parameters, split_ui_locales
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.redirect_uris import origin_of
from gatehouse.web.context import context_of
from gatehouse.web.csrf import require_csrf
from gatehouse.web.errors import SIGN_OUT_PAGES, renders_errors
from gatehouse.web.http import query_parameters, read_form, redirect
from gatehouse.web.security import policy_with_frames
from gatehouse.web.threads import run_in_threadpool


@renders_errors(SIGN_OUT_PAGES)
async def logout(request: Request) -> Response:
    """GET shows (or skips) the confirmation; POST carries the person's confirmation."""
    ctx = context_of(request)
    params: Parameters = (
        await read_form(request) if request.method == "POST" else query_parameters(request)
    )
    logout_request = await run_in_threadpool(validate_logout, ctx.provider, params)
    cookie = ctx.session_cookie(request)
    browser = await run_in_threadpool(browser_state, ctx.provider, cookie)
    confirmed = request.method == "POST" and params.get("confirm") == "yes"
    if confirmed:
        require_csrf(request, params.get("csrf_token"))
    hint_matches = browser.session is not None and logout_request.hint_sid == browser.session.sid
    # RP-Initiated Logout 1.0 §2: ui_locales, the person's languages for these pages.
    ui_locales = split_ui_locales(params.get("ui_locales"))
    if browser.session is not None and not (confirmed or hint_matches):
        return ctx.render(
            request,
            "logout.html",
            ui_locales=ui_locales,
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
                    ("ui_locales", " ".join(ui_locales) or None),
                )
                if v is not None
            },
        )
    frames, upstream = await run_in_threadpool(
        _end_and_frames,
        ctx.provider,
        cookie if browser.session is not None else None,
        logout_request,
    )
    return _finish(request, logout_request, frames, ui_locales, upstream)


def _end_and_frames(
    provider: Provider, cookie: str | None, logout_request: LogoutRequest
) -> tuple[list[LogoutFrame], str | None]:
    """The front-channel frames of the ended sessions, and the upstream's logout when an
    upstream identity provider signed the session in (protocol/federation/logout.py)."""
    ended = end_session(provider, cookie, logout_request)
    upstream = upstream_logout(provider, ended, logout_request.redirect_location())
    return frontchannel_frames(provider, ended), upstream


def _finish(
    request: Request,
    logout_request: LogoutRequest,
    frames: list[LogoutFrame],
    ui_locales: tuple[str, ...],
    upstream: str | None = None,
) -> Response:
    """Straight back to the client (or first to the upstream's logout, which comes back to
    /logout/federated/done and on to the client) when no front-channel frame is to load;
    else the signed-out page loads them, then (script) goes on, with a link to go on
    without script (Front-Channel Logout 1.0 §4)."""
    ctx = context_of(request)
    location = upstream or logout_request.redirect_location()
    if location is not None and not frames:
        response: Response = redirect(location)
    else:
        response = ctx.render(
            request,
            "logged_out.html",
            ui_locales=ui_locales,
            client=logout_request.client,
            frames=frames,
            continue_to=location,
        )
        origins = [origin for frame in frames if (origin := origin_of(frame.uri))]
        response.headers["Content-Security-Policy"] = policy_with_frames(
            origins, ctx.content_security_policy
        )
    ctx.clear_session_cookie(response)
    return response
