"""The pages of second factors: the verification step of a sign-in or step-up
(/login/verify), setting up an authenticator app (/mfa/totp/enroll) and looking after it
(/mfa). Each parses the form, calls protocol/verification.py or protocol/enrolment.py, and
renders what comes back, its problems in the person's words (web/mfa_messages.py)."""

from __future__ import annotations

import segno
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from gatehouse.protocol import enrolment, verification
from gatehouse.protocol.signin import Source
from gatehouse.web.account import reauthentication_needed
from gatehouse.web.context import context_of
from gatehouse.web.csrf import browser_binding, require_csrf
from gatehouse.web.errors import SIGN_IN_PAGES, renders_errors
from gatehouse.web.http import client_address, read_form
from gatehouse.web.mfa_messages import problem_message
from gatehouse.web.pages import follow_outcome
from gatehouse.web.threads import run_in_threadpool

MFA_PAGES = SIGN_IN_PAGES


def qr_code(uri: str) -> Markup:
    """The otpauth:// URI as an inline SVG QR code (segno draws modules, never text, so
    the markup holds nothing from the request)."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#1c2430", omitsize=True)
    return Markup(svg)  # noqa: S704 - segno's own SVG, see above


# -- /login/verify ---------------------------------------------------------------------------


def _render_verify(
    request: Request, form: verification.VerificationForm, interaction: str
) -> Response:
    # Refused before the answer was checked (docs/lockout.md): 429, RFC 6585 §4.
    refused = form.refused and form.refusal is not None
    response = context_of(request).render(
        request,
        "verify.html",
        status=429 if refused else 200 if form.error is None else 400,
        form=form,
        problem=problem_message(form.error),
        client=form.client,
        interaction=interaction,
    )
    if refused and form.refusal is not None:
        response.headers["Retry-After"] = str(form.refusal.retry_after)
    return response


@renders_errors(SIGN_IN_PAGES)
async def verify_page(request: Request) -> Response:
    ctx = context_of(request)
    interaction_id = request.query_params.get("interaction")
    shown = await run_in_threadpool(
        verification.verification_form,
        ctx.provider,
        interaction_id,
        ctx.session_cookie(request),
        browser_binding(request),
    )
    if not isinstance(shown, verification.VerificationForm):
        return follow_outcome(request, shown)
    return _render_verify(request, shown, interaction_id or "")


@renders_errors(SIGN_IN_PAGES)
async def verify_submit(request: Request) -> Response:
    ctx = context_of(request)
    form = await read_form(request)
    require_csrf(request, form.get("csrf_token"))
    interaction_id = form.get("interaction")
    result = await run_in_threadpool(
        verification.record_verification,
        ctx.provider,
        interaction_id,
        ctx.session_cookie(request),
        browser_binding(request),
        form.get("method") or "",
        form,
        Source(client_address(request), ctx.device_cookie(request)),
    )
    if isinstance(result, verification.VerificationForm):
        return _render_verify(request, result, interaction_id or "")
    return follow_outcome(request, result.outcome, signed_in=result)


# -- /mfa/totp/enroll ------------------------------------------------------------------------


def _render_enrol(request: Request, form: enrolment.EnrolmentForm) -> Response:
    return context_of(request).render(
        request,
        "totp_enroll.html",
        status=200 if form.error is None else 400,
        form=form,
        problem=problem_message(form.error),
        qr=qr_code(form.enrolment.uri),
        secret_groups=[form.enrolment.secret[i : i + 4] for i in range(0, 32, 4)],
    )


@renders_errors(MFA_PAGES)
async def enrol_page(request: Request) -> Response:
    ctx = context_of(request)
    shown = await run_in_threadpool(
        enrolment.enrolment_form,
        ctx.provider,
        request.query_params.get("interaction"),
        ctx.session_cookie(request),
        browser_binding(request),
    )
    if not isinstance(shown, enrolment.EnrolmentForm):
        return follow_outcome(request, shown)
    return _render_enrol(request, shown)


@renders_errors(MFA_PAGES)
async def enrol_submit(request: Request) -> Response:
    ctx = context_of(request)
    form = await read_form(request)
    require_csrf(request, form.get("csrf_token"))
    result = await run_in_threadpool(
        enrolment.record_enrolment,
        ctx.provider,
        form.get("interaction") or None,
        ctx.session_cookie(request),
        browser_binding(request),
        form.get("code"),
        Source(client_address(request), ctx.device_cookie(request)),
    )
    if isinstance(result, enrolment.EnrolmentForm):
        return _render_enrol(request, result)
    if not isinstance(result, enrolment.Enrolled):
        return follow_outcome(request, result)
    response = _render_codes(request, result.recovery_codes, result.continue_to, result.client)
    if result.session_cookie is not None:
        context_of(request).set_session_cookie(
            response, result.session_cookie, result.cookie_max_age
        )
    if result.device_cookie is not None:
        context_of(request).set_device_cookie(response, result.device_cookie)
    return response


def _render_codes(
    request: Request, codes: list[str], continue_to: str, client: object | None = None
) -> Response:
    ctx = context_of(request)
    return ctx.render(
        request,
        "recovery_codes.html",
        codes=codes,
        continue_to=ctx.local(continue_to),
        client=client,
    )


# -- /mfa: looking after the second factor ---------------------------------------------------


def _render_status(request: Request, shown: enrolment.SecondFactorStatus) -> Response:
    rejected = shown.rejected
    # An answer refused before it was checked (docs/lockout.md) is 429 with Retry-After, as
    # at /login/verify (RFC 6585 §4); a wrong one is 400.
    refusal = rejected.refusal if rejected is not None and rejected.problem is None else None
    response = context_of(request).render(
        request,
        "mfa.html",
        status=200 if rejected is None else 429 if refusal is not None else 400,
        shown=shown,
        problem=None if rejected is None else problem_message(rejected.problem),
    )
    if refusal is not None:
        response.headers["Retry-After"] = str(refusal.retry_after)
    return response


@renders_errors(MFA_PAGES)
async def manage_page(request: Request) -> Response:
    ctx = context_of(request)
    shown = await run_in_threadpool(
        enrolment.status,
        ctx.provider,
        ctx.session_cookie(request),
        browser_binding(request),
    )
    return _render_status(request, shown)


@renders_errors(MFA_PAGES)
async def recovery_codes_submit(request: Request) -> Response:
    ctx = context_of(request)
    form = await read_form(request)
    require_csrf(request, form.get("csrf_token"))
    result = await run_in_threadpool(
        enrolment.renew_recovery_codes,
        ctx.provider,
        ctx.session_cookie(request),
        browser_binding(request),
        form.get("code"),
        Source(client_address(request), ctx.device_cookie(request)),
    )
    if isinstance(result, enrolment.SecondFactorStatus):
        return _render_status(request, result)
    return _render_codes(request, result, enrolment.MANAGE_PAGE)


@renders_errors(MFA_PAGES)
async def remove_submit(request: Request) -> Response:
    ctx = context_of(request)
    form = await read_form(request)
    require_csrf(request, form.get("csrf_token"))
    if (sign_in_again := await reauthentication_needed(request)) is not None:
        return sign_in_again
    result = await run_in_threadpool(
        enrolment.remove_totp,
        ctx.provider,
        ctx.session_cookie(request),
        browser_binding(request),
        form.get("code"),
        Source(client_address(request), ctx.device_cookie(request)),
    )
    return _render_status(request, result)
