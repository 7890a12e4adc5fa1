"""Passkeys in the browser: the scripted steps of the login page's passkey sign-in, and the
page where a signed-in person adds, lists and removes their passkeys (/passkeys). Each
handler parses, calls the core (protocol/sign_in_flow.py for the sign-in, the accounts
layer's PasskeyService for the rest) and answers; web/static/passkeys.js is the other half.

The script's requests carry JSON both ways (a WebAuthn response does not fit a form field)
and the page's CSRF token; their errors come back as JSON, with a ``problem`` key for the
ones a person can act on: the script shows the page's words for it, in the page's language
(templates/_passkeys_script.html), since error_description is English, for developers.
"""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from gatehouse.accounts.passkeys import (
    MAX_NAME_LENGTH,
    MAX_PASSKEYS,
    AuditContext,
    InvalidPasskeyName,
    TooManyPasskeys,
    passkey_name,
)
from gatehouse.accounts.webauthn import PasskeyRejected
from gatehouse.errors import InvalidRequest, LoginRequired
from gatehouse.protocol import interaction, sign_in_flow
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.signin import Source
from gatehouse.storage.records import Passkey, User
from gatehouse.web.account import reauthentication_needed, send_to_sign_in
from gatehouse.web.context import context_of
from gatehouse.web.csrf import browser_binding, require_csrf
from gatehouse.web.errors import Channel, Endpoint, error_response, renders_errors
from gatehouse.web.http import client_address, json_response, read_form, read_json_object, redirect
from gatehouse.web.i18n import N_, Translatable
from gatehouse.web.pages import follow_outcome
from gatehouse.web.threads import run_in_threadpool

# A WebAuthn response is a few kilobytes at most (a credential id is at most 1023 bytes).
MAX_JSON_BYTES = 16 * 1024
SCRIPT = Channel("json")  # fetch() from passkeys.js
PASSKEY_PAGES = Channel("page", title=N_("Your passkeys could not be changed"))
NOTICES = {"added": N_("Your passkey was added."), "removed": N_("The passkey was removed.")}


def problem_of(error: Exception) -> str | None:
    """The key of what passkeys.js tells the person about ``error``; None for its general
    "could not be used" (the page has the words: templates/_passkeys_script.html)."""
    if isinstance(error, PasskeyRejected):
        return error.problem.name.lower()
    if isinstance(error, InvalidPasskeyName):
        return f"name_{error.reason}"
    if isinstance(error, TooManyPasskeys):
        return "too_many"
    if isinstance(error, LoginRequired):
        return "signed_out"
    return None


def renders_script_errors(endpoint: Endpoint) -> Endpoint:
    """``renders_errors(SCRIPT)``, with the ``problem`` of the error in the JSON body."""

    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        try:
            return await endpoint(request)
        except Exception as exc:
            response = error_response(request, exc, SCRIPT)
            problem = problem_of(exc)
            if problem is not None:
                body = {**json.loads(bytes(response.body)), "problem": problem}
                response.body = response.render(body)
                response.headers["content-length"] = str(len(response.body))
            return response

    return guarded


async def _script_request(request: Request) -> dict[str, Any]:
    body = await read_json_object(request, MAX_JSON_BYTES)
    require_csrf(request, _text(body, "csrf_token"))
    return body


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    return value if isinstance(value, str) else None


def _credential(body: dict[str, Any]) -> dict[str, Any]:
    value = body.get("credential")
    if not isinstance(value, dict):
        raise InvalidRequest("the request has no passkey response; reload the page, try again")
    return value


def _as_script_redirect(request: Request, page_response: Response) -> Response:
    """What a form post would get (a redirect, and the cookies it sets) for the script: the
    redirect's Location as JSON, since fetch() cannot read it from a redirect."""
    location = context_of(request).local(page_response.headers["location"])
    response = json_response({"location": location})
    response.raw_headers.extend(
        (name, value) for name, value in page_response.raw_headers if name == b"set-cookie"
    )
    return response


# -- Sign-in on the login page -------------------------------------------------------------


def _login_options(provider: Provider, interaction_id: str | None, binding: str) -> dict[str, Any]:
    """Request options bound to this browser and its paused sign-in."""
    paused = interaction.load_interaction(provider, interaction_id, binding)
    return provider.passkeys.authentication_options(
        binding, provider.clock(), interaction_hash=paused.interaction.id_hash
    )


@renders_script_errors
async def login_options(request: Request) -> Response:
    body = await _script_request(request)
    options = await run_in_threadpool(
        _login_options,
        context_of(request).provider,
        _text(body, "interaction"),
        browser_binding(request),
    )
    return json_response(options)


@renders_script_errors
async def login(request: Request) -> Response:
    ctx = context_of(request)
    body = await _script_request(request)
    signed_in = await run_in_threadpool(
        sign_in_flow.record_passkey_login,
        ctx.provider,
        _text(body, "interaction"),
        ctx.session_cookie(request),
        browser_binding(request),
        _credential(body),
        Source(client_address(request), ctx.device_cookie(request)),
        request.headers.get("user-agent"),
    )
    return _as_script_redirect(
        request, follow_outcome(request, signed_in.outcome, signed_in=signed_in)
    )


# -- The person's passkeys (/passkeys) ------------------------------------------------------


def _signed_in(provider: Provider, session_cookie: str | None) -> User | None:
    return interaction.browser_state(provider, session_cookie).user


async def _require_user(request: Request) -> User:
    ctx = context_of(request)
    user = await run_in_threadpool(_signed_in, ctx.provider, ctx.session_cookie(request))
    if user is None:
        raise LoginRequired("you are no longer signed in; sign in again, then manage your passkeys")
    return user


@dataclass(frozen=True)
class PasskeyRow:
    """One passkey as the page lists it."""

    id: str
    name: str
    kind: Translatable
    created: str
    last_used: str | None

    @classmethod
    def of(cls, passkey: Passkey) -> PasskeyRow:
        return cls(
            id=passkey.id,
            name=passkey.name,
            kind=N_("Synced across devices") if passkey.backup_eligible else N_("On one device"),
            created=_date(passkey.created_at),
            last_used=None if passkey.last_used_at is None else _date(passkey.last_used_at),
        )


def _date(seconds: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(seconds))


def _page_data(provider: Provider, session_cookie: str | None) -> tuple[User | None, list[Passkey]]:
    user = _signed_in(provider, session_cookie)
    return user, [] if user is None else provider.passkeys.list(user.id)


async def passkeys_page(request: Request) -> Response:
    ctx = context_of(request)
    user, passkeys = await run_in_threadpool(_page_data, ctx.provider, ctx.session_cookie(request))
    if user is None:  # signed out: the account page's sign-in, then its link back here
        return await send_to_sign_in(request, "view")
    return ctx.render(
        request,
        "passkeys.html",
        user=user,
        passkeys=[PasskeyRow.of(p) for p in passkeys],
        notice=NOTICES.get(request.query_params.get("done") or ""),
        max_name_length=MAX_NAME_LENGTH,
        max_passkeys=MAX_PASSKEYS,
    )


@renders_script_errors
async def registration_options(request: Request) -> Response:
    ctx = context_of(request)
    body = await _script_request(request)
    passkey_name(_text(body, "name"))  # a bad name is refused before the authenticator asks
    user = await _require_user(request)
    options = await run_in_threadpool(
        ctx.provider.passkeys.registration_options,
        user,
        browser_binding(request),
        ctx.provider.clock(),
    )
    return json_response(options)


@renders_script_errors
async def register(request: Request) -> Response:
    ctx = context_of(request)
    body = await _script_request(request)
    name = passkey_name(_text(body, "name"))
    user = await _require_user(request)
    await run_in_threadpool(
        ctx.provider.passkeys.register,
        user,
        browser_binding(request),
        name,
        _credential(body),
        ctx.provider.clock(),
        AuditContext(client_address(request)),
    )
    return json_response({"location": ctx.local("/passkeys?done=added")})


@renders_errors(PASSKEY_PAGES)
async def remove(request: Request) -> Response:
    ctx = context_of(request)
    form = await read_form(request)
    require_csrf(request, form.get("csrf_token"))
    user = await _require_user(request)
    if (sign_in_again := await reauthentication_needed(request)) is not None:
        return sign_in_again
    removed = await run_in_threadpool(
        ctx.provider.passkeys.remove,
        user,
        form.get("passkey") or "",
        ctx.provider.clock(),
        AuditContext(client_address(request)),
    )
    if removed is None:
        raise InvalidRequest("you have no such passkey (it may have been removed already)")
    return redirect("/passkeys?done=removed")
