"""Signing in: the password (POST /login) or a passkey (POST /login/passkey) as the first
factor, then either a pause for a second factor (protocol/verification.py,
protocol/enrolment.py) or the signed-in session and the authorization resumed. The second
factor's pages finish the sign-in through ``signed_in`` and ``start_signed_in_session``.

The paused request itself (loading, resuming, the login form, consent, cancel, "Not you?")
is protocol/interaction.py's.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from gatehouse.accounts.assurance import combined_amr
from gatehouse.accounts.authentication import verify_password
from gatehouse.accounts.known_browsers import remember_browser
from gatehouse.accounts.passkeys import AuditContext
from gatehouse.accounts.passwords import Passwords
from gatehouse.accounts.sessions import device_of, start_session
from gatehouse.protocol.authorization import AuthorizationOutcome, InteractionNeeded
from gatehouse.protocol.federation.pending import finish_pending
from gatehouse.protocol.interaction import (
    LoginForm,
    PausedRequest,
    browser_state,
    load_interaction,
    resume_paused,
)
from gatehouse.protocol.mfa_policy import factor_needed
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.signin import Source, check_password, record_password
from gatehouse.storage.records import AuditEvent, User

log = logging.getLogger("gatehouse.interaction")


@dataclass(frozen=True)
class SignedIn:
    """Where a sign-in step leads: the SSO session's new cookie value once the person is
    signed in (None while a further factor is needed), where to go next, how long the
    cookie should outlive the browser (None: it ends with the browser), and a new device
    cookie for the browser (accounts/known_browsers.py) when it had none."""

    session_cookie: str | None
    outcome: AuthorizationOutcome
    cookie_max_age: int | None = None
    device_cookie: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class StartedSession:
    """A signed-in person's SSO session: its cookie value, how long the cookie should outlive
    the browser (None: it ends with the browser), and a new device cookie for a browser
    that had none (accounts/known_browsers.py)."""

    cookie: str
    max_age: int | None
    device_cookie: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class SignInChoices:
    """What the person chose on the login page, kept with the interaction until the sign-in
    finishes (a second factor may come between): "Remember me", and the device signing in
    (its User-Agent, accounts/sessions.py device_of), and its address."""

    remember_me: bool = False
    device: str | None = None
    ip: str | None = None  # the device's address, for the audit log
    # The browser's known-browser cookie as it came (None: it has none); never stored with
    # the interaction, only its hash with the person once they are signed in.
    device_cookie: str | None = field(default=None, repr=False)


def record_login(
    provider: Provider,
    passwords: Passwords,
    interaction_id: str | None,
    session_cookie: str | None,
    binding: str,
    login: str,
    password: str,
    source: Source,
    remember_me: bool = False,
    user_agent: str | None = None,
) -> SignedIn | LoginForm:
    """POST /login: check the password (unless brute-force protection refuses the attempt
    first), then ask for a second factor or sign the person in — with the longer lifetimes
    and a persistent cookie when they ticked "Remember me"."""
    paused = load_interaction(provider, interaction_id, binding)
    now = provider.clock()
    checked = check_password(provider, login, source, now)
    if checked.guard.refusal is not None:
        return LoginForm(
            paused.client,
            login,
            remember_me=remember_me,
            refusal=checked.guard.refusal,
            ui_locales=paused.request.ui_locales,
        )
    user = verify_password(provider.users, passwords, checked.user, password)
    with provider.transaction():
        recorded = record_password(provider, checked, user, paused.client.client_id, now)
    if user is None:
        log.info("failed login for client %s", paused.client.client_id)
        return LoginForm(
            paused.client,
            login,
            failed=True,
            remember_me=remember_me,
            refusal=recorded.refusal,
            ui_locales=paused.request.ui_locales,
        )
    choices = SignInChoices(
        remember_me, device_of(user_agent), source.address, source.device_cookie
    )
    return first_factor_done(provider, paused, user, ("pwd",), session_cookie, binding, choices)


def first_factor_done(
    provider: Provider,
    paused: PausedRequest,
    user: User,
    amr: tuple[str, ...],
    session_cookie: str | None,
    binding: str,
    choices: SignInChoices,
) -> SignedIn:
    """After a first factor (a password; a passkey, whose amr may already be multi-factor):
    when a second factor is needed (protocol/mfa_policy.py), remember who this is and what
    they used, and send them to give or set one up; otherwise sign them in."""
    need = factor_needed(provider, paused.client, paused.request, user, amr, signing_in=True)
    if need is None:
        return signed_in(provider, paused, user, amr, session_cookie, binding, choices)
    provider.interactions.record_factors(
        paused.interaction.id_hash, user.id, amr, choices.remember_me, choices.device
    )
    pause = InteractionNeeded(need.kind, paused.interaction_id, paused.client, paused.request, user)
    return SignedIn(None, pause)


def start_signed_in_session(
    provider: Provider,
    paused: PausedRequest,
    user: User,
    amr: tuple[str, ...],
    session_cookie: str | None,
    choices: SignInChoices | None = None,
) -> tuple[StartedSession, PausedRequest]:
    """Start (or renew) the SSO session of ``user``, who authenticated with ``amr`` (``mfa``
    added when the factors are of two kinds), with the login page's ``choices`` (by
    default those the interaction kept), and mark the interaction signed in; the session
    and the paused request as it now stands. The browser becomes one the person signs in
    from, spared account-wide locks from now on (accounts/known_browsers.py): only here,
    once every factor asked for was given."""
    now = provider.clock()
    if choices is None:
        choices = SignInChoices(paused.interaction.remember_me, paused.interaction.device)
    lifetimes = provider.config.lifetimes_for(choices.remember_me)
    methods = combined_amr(amr)
    with provider.transaction():
        cookie = start_session(
            provider.sessions, lifetimes, now, user, methods, session_cookie, choices.device
        )
        provider.interactions.mark_login(paused.interaction.id_hash, now)
        # A federated sign-in's link and upstream session, when one led here.
        finish_pending(provider, paused.interaction.id_hash, user, cookie, paused.client.client_id)
        device_cookie = remember_browser(provider.known_browsers, user, choices.device_cookie, now)
        provider.audit.record(
            AuditEvent(
                type="signin.succeeded",
                occurred_at=now,
                actor="user",
                user_id=user.id,
                client_id=paused.client.client_id,
                ip=choices.ip,
                details={"methods": list(methods), "remember_me": choices.remember_me},
            )
        )
    paused = replace(paused, interaction=replace(paused.interaction, login_completed_at=now))
    max_age = lifetimes.absolute if choices.remember_me else None
    return StartedSession(cookie, max_age, device_cookie), paused


def signed_in(
    provider: Provider,
    paused: PausedRequest,
    user: User,
    amr: tuple[str, ...],
    session_cookie: str | None,
    binding: str,
    choices: SignInChoices | None = None,
) -> SignedIn:
    """The person is signed in: their session, and the authorization resumed."""
    session, paused = start_signed_in_session(provider, paused, user, amr, session_cookie, choices)
    browser = browser_state(provider, session.cookie, binding)
    outcome = resume_paused(provider, paused, browser)
    return SignedIn(session.cookie, outcome, session.max_age, session.device_cookie)


def record_passkey_login(
    provider: Provider,
    interaction_id: str | None,
    session_cookie: str | None,
    binding: str,
    response: Mapping[str, Any],
    source: Source,
    user_agent: str | None = None,
) -> SignedIn:
    """POST /login/passkey: verify a passkey's answer to the challenge issued for this
    paused request (passwordless, WebAuthn §7.2; refused: ``PasskeyRejected``), then go on
    as after a password, with the passkey's amr (multi-factor when the device verified the
    person, so no further factor is asked)."""
    paused = load_interaction(provider, interaction_id, binding)
    context = AuditContext(source.address, paused.client.client_id)
    verified = provider.passkeys.verify_assertion(
        response, binding, provider.clock(), interaction_hash=paused.interaction.id_hash,
        context=context,
    )  # fmt: skip
    choices = SignInChoices(
        device=device_of(user_agent), ip=source.address, device_cookie=source.device_cookie
    )
    amr = verified.passwordless_amr
    return first_factor_done(provider, paused, verified.user, amr, session_cookie, binding, choices)
