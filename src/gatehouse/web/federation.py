"""The pages of signing in through an upstream identity provider (docs/federation.md):
the login page's "Sign in with ..." buttons post to /login/federated, the upstream sends
the browser back to /login/federated/callback, and after an upstream's logout to
/logout/federated/done. Each parses, calls protocol/federated_sign_in.py or protocol/
federation/logout.py, and renders; a ``FederationFailed`` is rendered by web/errors.py."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from gatehouse.protocol import federated_sign_in
from gatehouse.protocol.federation.logout import back_from_upstream
from gatehouse.protocol.signin import Source
from gatehouse.web.context import context_of
from gatehouse.web.csrf import browser_binding, require_csrf
from gatehouse.web.errors import SIGN_IN_PAGES, SIGN_OUT_PAGES, renders_errors
from gatehouse.web.http import client_address, query_parameters, read_form, redirect
from gatehouse.web.pages import follow_outcome
from gatehouse.web.threads import run_in_threadpool


@renders_errors(SIGN_IN_PAGES)
async def start(request: Request) -> Response:
    """POST /login/federated: a button of the login page (a form, so the CSRF token keeps
    other sites from starting sign-ins in the person's name)."""
    form = await read_form(request)
    require_csrf(request, form.get("csrf_token"))
    location = await run_in_threadpool(
        federated_sign_in.start,
        context_of(request).provider,
        form.get("interaction"),
        browser_binding(request),
        form.get("upstream"),
        client_address(request),
    )
    return redirect(location)


@renders_errors(SIGN_IN_PAGES)
async def callback(request: Request) -> Response:
    """GET /login/federated/callback: the upstream's answer (a top-level navigation, which
    brings the SameSite=Lax binding cookie along)."""
    ctx = context_of(request)
    params = query_parameters(request)
    result = await run_in_threadpool(
        federated_sign_in.federated_callback,
        ctx.provider,
        params,
        browser_binding(request),
        ctx.session_cookie(request),
        Source(client_address(request), ctx.device_cookie(request)),
        request.headers.get("user-agent"),
    )
    if isinstance(result, federated_sign_in.LinkNeeded):
        # The login page, asking for the existing account's own sign-in first.
        return redirect(
            f"/login?interaction={quote(result.interaction_id)}&link={quote(result.alias)}"
        )
    return follow_outcome(request, result.outcome, signed_in=result)


@renders_errors(SIGN_OUT_PAGES)
async def signed_out(request: Request) -> Response:
    """GET /logout/federated/done: back from the upstream's logout; on to where the sign-out
    was to lead (the application's validated post-logout redirect URI), else the
    signed-out page."""
    ctx = context_of(request)
    state = query_parameters(request).get("state")
    continue_to = await run_in_threadpool(back_from_upstream, ctx.provider, state)
    if continue_to is not None:
        return redirect(continue_to)
    return ctx.render(request, "logged_out.html", client=None, frames=[], continue_to=None)
