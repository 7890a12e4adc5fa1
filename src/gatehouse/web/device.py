"""The device page (/device, RFC 8628 §3.3): the person enters the code a device shows,
signs in, and allows or denies. Each handler parses, calls protocol/device_verification.py,
and renders what it returns.

A browser that must sign in first is sent through gatehouse's own sign-in, as the account
page is (web/account.py ``send_to_sign_in``, purpose ``device``); the code entered waits
in a cookie (``WebContext.keep_user_code``) and the callback brings the browser back here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from gatehouse.errors import InvalidRequest
from gatehouse.protocol import device_verification as verification
from gatehouse.protocol.authorization import BrowserState
from gatehouse.protocol.interaction import browser_state, describe_scopes
from gatehouse.protocol.messages import Parameters
from gatehouse.web.account import send_to_sign_in
from gatehouse.web.context import context_of
from gatehouse.web.csrf import require_csrf
from gatehouse.web.errors import Channel, renders_errors
from gatehouse.web.http import client_address, read_form
from gatehouse.web.i18n import N_, Translatable
from gatehouse.web.pages import STANDARD_SCOPE_TEXTS
from gatehouse.web.threads import run_in_threadpool

DEVICE_PAGES = Channel("page", title=N_("This device cannot be connected"))
# The confirmation's two buttons: name="action", value="approve" or "deny".
DECISIONS = {"approve": True, "deny": False}
# What the code field keeps of what was typed, when the page shows it again.
MAX_SHOWN_CODE = 32


@dataclass(frozen=True)
class ShownScope:
    """One scope on the confirmation: its label, the operator's description, and
    gatehouse's translatable words for a standard scope."""

    label: str
    description: str
    text: Translatable | None


def _browser(request: Request) -> BrowserState:
    ctx = context_of(request)
    return browser_state(ctx.provider, ctx.session_cookie(request))


@renders_errors(DEVICE_PAGES)
async def device_page(request: Request) -> Response:
    """GET: the form, prefilled from verification_uri_complete (§3.3.1); back from signing
    in, the question for the code entered before."""
    ctx = context_of(request)
    kept = request.cookies.get(ctx.cookies.user_code)
    if kept is None:
        typed = (request.query_params.get("user_code") or "")[:MAX_SHOWN_CODE]
        return _form(request, typed)

    def run() -> verification.Shown:
        return verification.resume(ctx.provider, kept, _browser(request), client_address(request))

    shown = await run_in_threadpool(run)
    response = await _show(request, shown, kept)
    if not isinstance(shown, verification.SignInNeeded):
        ctx.forget_user_code(response)
    return response


@renders_errors(DEVICE_PAGES)
async def device_submit(request: Request) -> Response:
    """POST: the code entered (action=continue), or the answer (approve, deny)."""
    ctx = context_of(request)
    form = await read_form(request)
    require_csrf(request, form.get("csrf_token"))
    typed = form.get("user_code")
    run = _action(request, form, typed)
    shown = await run_in_threadpool(run)
    if isinstance(shown, verification.Answered):
        return ctx.render(request, "device_done.html", approved=shown.approved, client=shown.client)
    return await _show(request, shown, typed or "")


def _action(
    request: Request, form: Parameters, typed: str | None
) -> Callable[[], verification.Shown | verification.Answered]:
    ctx, address = context_of(request), client_address(request)
    action = form.get("action") or "continue"
    if action == "continue":
        return lambda: verification.resume(ctx.provider, typed, _browser(request), address)
    approve = DECISIONS.get(action)
    if approve is None:
        raise InvalidRequest(
            "the device form must answer with action=continue, approve or deny; go back, "
            "reload the page and try again"
        )
    subject = form.get("subject")
    return lambda: verification.answer(
        ctx.provider, typed, _browser(request), subject, approve, address
    )


async def _show(request: Request, shown: verification.Shown, typed: str) -> Response:
    ctx = context_of(request)
    if isinstance(shown, verification.CodeRefused):
        return _form(request, typed[:MAX_SHOWN_CODE], shown)
    if isinstance(shown, verification.SignInNeeded):
        response = await send_to_sign_in(request, "device", acr_values=shown.acr_values)
        ctx.keep_user_code(response, shown.request.code)
        return response
    names = shown.request.authorization.scopes
    described = await run_in_threadpool(describe_scopes, ctx.provider, names)
    return ctx.render(
        request,
        "device_confirm.html",
        client=shown.request.client,
        user=shown.user,
        code=shown.request.shown_code,
        scopes=[
            ShownScope(label, description, STANDARD_SCOPE_TEXTS.get(name))
            for name, (label, description) in zip(names, described, strict=True)
        ],
        # Admin-only scopes no admin consent covers: the person can only deny.
        admin_approval=[
            label
            for name, (label, _description) in zip(names, described, strict=True)
            if name in shown.admin_approval
        ],
    )


def _form(
    request: Request, typed: str, refused: verification.CodeRefused | None = None
) -> Response:
    """The code form; after a refused code, why, with 400, or 429 and Retry-After when
    brute-force protection refused it before it was looked up (RFC 6585 §4)."""
    waited = refused is not None and refused.refusal is not None and not refused.checked
    status = 429 if waited else 400 if refused is not None else 200
    response = context_of(request).render(
        request, "device.html", status=status, user_code=typed, refused=refused
    )
    if waited and refused is not None and refused.refusal is not None:
        response.headers["Retry-After"] = str(refused.refusal.retry_after)
    return response
