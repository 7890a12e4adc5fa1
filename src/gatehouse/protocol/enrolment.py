"""Setting up a second factor (GET and POST /mfa/totp/enroll) and looking after it
(GET /mfa, POST /mfa/recovery-codes, POST /mfa/totp/remove).

Enrolment happens in one of two places: during a sign-in that needs a second factor the
person does not have yet (the interaction is in the ``enroll`` state:
protocol/mfa_policy.py), where the confirmed authenticator counts as the second factor of
that sign-in; or from a live session (the account page links here), which it does not
upgrade: a factor made a moment ago under that session proves nothing more about it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from gatehouse.accounts.passkeys import AuditContext
from gatehouse.accounts.second_factor import ANY, AnswerProblem, InvalidAnswer
from gatehouse.accounts.throttle import Factor, Refusal
from gatehouse.accounts.totp import TotpEnrolment
from gatehouse.errors import InvalidRequest
from gatehouse.protocol.authorization import AuthorizationOutcome
from gatehouse.protocol.interaction import (
    PausedRequest,
    browser_state,
    load_interaction,
    resume_paused,
)
from gatehouse.protocol.mfa_audit import record_event
from gatehouse.protocol.mfa_policy import factor_needed
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.sign_in_flow import SignInChoices, start_signed_in_session
from gatehouse.protocol.signin import Source, record_failure, second_factor_attempt
from gatehouse.protocol.verification import Person, person_of
from gatehouse.storage.records import Client, User

NOT_SIGNED_IN = "you are not signed in; sign in to an application with gatehouse first"
MANAGE_PAGE = "/mfa"


@dataclass(frozen=True)
class Enroller:
    """Who is setting up a factor: during a sign-in (``paused``, ``person``) or from a live
    session (``user`` only)."""

    user: User
    paused: PausedRequest | None = None
    person: Person | None = None

    @property
    def client(self) -> Client | None:
        return None if self.paused is None else self.paused.client


@dataclass(frozen=True)
class EnrolmentForm:
    user: User
    client: Client | None
    enrolment: TotpEnrolment
    interaction_id: str | None
    error: AnswerProblem | None = None


@dataclass(frozen=True)
class Enrolled:
    """Done: the recovery codes to show once, the session cookie (and its Max-Age, None for
    a browser-session cookie) when the sign-in is now complete, and where the person
    continues."""

    recovery_codes: list[str]
    continue_to: str
    client: Client | None
    session_cookie: str | None = field(default=None, repr=False)
    cookie_max_age: int | None = None
    # For a browser that had none (known_browsers.py).
    device_cookie: str | None = field(default=None, repr=False)


def _enroller(
    provider: Provider,
    interaction_id: str | None,
    session_cookie: str | None,
    binding: str,
) -> Enroller | AuthorizationOutcome:
    browser = browser_state(provider, session_cookie, binding)
    if interaction_id is None:
        if browser.user is None:
            raise InvalidRequest(NOT_SIGNED_IN)
        return Enroller(browser.user)
    paused = load_interaction(provider, interaction_id, binding, completed=True)
    person = None if paused.completed else person_of(provider, paused, browser)
    if person is None:
        return resume_paused(provider, paused, browser)
    need = factor_needed(
        provider, paused.client, paused.request, person.user, person.amr,
        signing_in=person.signing_in,
    )  # fmt: skip
    if need is None or need.kind != "enroll":
        return resume_paused(provider, paused, browser)
    return Enroller(person.user, paused, person)


def _issuer_name(provider: Provider) -> str:
    """The account's issuer in the authenticator app: the server's host name."""
    return urlsplit(provider.config.issuer).netloc or "gatehouse"


def enrolment_form(
    provider: Provider,
    interaction_id: str | None,
    session_cookie: str | None,
    binding: str,
    error: AnswerProblem | None = None,
) -> EnrolmentForm | AuthorizationOutcome:
    """GET /mfa/totp/enroll: a new secret (the same until confirmed) as QR code and text."""
    enroller = _enroller(provider, interaction_id, session_cookie, binding)
    if not isinstance(enroller, Enroller):
        return enroller
    enrolment = provider.totp.start_enrolment(
        enroller.user, _issuer_name(provider), provider.clock()
    )
    if enrolment is None:
        raise InvalidRequest(
            "an authenticator app is already set up for this account; remove it first at /mfa"
        )
    return EnrolmentForm(enroller.user, enroller.client, enrolment, interaction_id, error)


def record_enrolment(
    provider: Provider,
    interaction_id: str | None,
    session_cookie: str | None,
    binding: str,
    code: str | None,
    source: Source,
) -> Enrolled | EnrolmentForm | AuthorizationOutcome:
    """POST /mfa/totp/enroll: a first valid code confirms the authenticator; new recovery
    codes go with it. During a sign-in, the person is then signed in with both factors."""
    enroller = _enroller(provider, interaction_id, session_cookie, binding)
    if not isinstance(enroller, Enroller):
        return enroller
    user, now = enroller.user, provider.clock()
    client_id = enroller.client.client_id if enroller.client else None
    try:
        with provider.transaction():
            confirmed = provider.totp.confirm_enrolment(user.id, code, now)
            if confirmed:
                codes = provider.recovery_codes.issue(user.id, now)
                details = {"method": provider.totp.name}
                record_event(
                    provider, "mfa.enrolled", user, client_id, source.address, now, details
                )
    except InvalidAnswer as exc:
        return enrolment_form(provider, interaction_id, session_cookie, binding, exc.problem)
    if not confirmed:
        return enrolment_form(
            provider, interaction_id, session_cookie, binding, AnswerProblem.FIRST_CODE_WRONG
        )
    if enroller.paused is None or enroller.person is None:
        return Enrolled(codes, MANAGE_PAGE, None)
    amr = (*enroller.person.amr, *provider.totp.amr)
    interaction = enroller.paused.interaction
    choices = SignInChoices(
        interaction.remember_me, interaction.device, source.address, source.device_cookie
    )
    session, _ = start_signed_in_session(
        provider, enroller.paused, user, amr, session_cookie, choices
    )
    # The application is reached through the consent page, which resumes the request once
    # the person has saved their codes (a code issued now could expire meanwhile).
    continue_to = f"/consent?interaction={enroller.paused.interaction_id}"
    return Enrolled(
        codes, continue_to, enroller.client, session.cookie, session.max_age, session.device_cookie
    )


# -- Looking after the second factor: the live session's person -------------------------------


class NoAuthenticator(enum.Enum):
    """A change of the authenticator app asked for when there is none (the page words it)."""

    RENEW = "renew"  # new recovery codes: set up an authenticator app first
    REMOVE = "remove"  # nothing to remove


@dataclass(frozen=True)
class Rejected:
    """An answer on /mfa that did not prove the person: what was wrong with it (None when
    it was refused before it was checked), and brute-force protection's wait."""

    problem: AnswerProblem | NoAuthenticator | None
    refusal: Refusal | None = None


@dataclass(frozen=True)
class SecondFactorStatus:
    user: User
    totp: bool
    recovery_codes_left: int
    rejected: Rejected | None = None
    removed: bool = False  # the authenticator app was removed just now


def _signed_in_user(provider: Provider, session_cookie: str | None, binding: str) -> User:
    user = browser_state(provider, session_cookie, binding).user
    if user is None:
        raise InvalidRequest(NOT_SIGNED_IN)
    return user


def status(
    provider: Provider,
    session_cookie: str | None,
    binding: str,
    rejected: Rejected | None = None,
    removed: bool = False,
) -> SecondFactorStatus:
    """GET /mfa: whether the signed-in person has an authenticator app, and codes left."""
    user = _signed_in_user(provider, session_cookie, binding)
    return SecondFactorStatus(
        user,
        provider.totp.is_confirmed(user.id),
        provider.recovery_codes.left(user.id),
        rejected,
        removed,
    )


def _proved(provider: Provider, user: User, answer: str | None, source: Source) -> Rejected | None:
    """Check a current authenticator code or an unused recovery code (spending it), under
    brute-force protection as at sign-in (protocol/signin.py); None when right, else why
    not. Inside the caller's transaction."""
    now = provider.clock()
    text = answer or ""
    digits = "".join(text.split())
    method = provider.totp if digits.isascii() and digits.isdigit() else provider.recovery_codes
    field = "code" if method is provider.totp else "recovery_code"
    factor: Factor = "totp" if method is provider.totp else "recovery_code"
    guard = provider.throttle.guard(second_factor_attempt(provider, factor, user, source, now), now)
    if guard.refusal is not None:
        return Rejected(None, guard.refusal)
    context = AuditContext(source.address)
    right = method.verify(user, {field: text}, "", now, ANY, context) is not None
    kind = "mfa.succeeded" if right else "mfa.failed"
    record_event(provider, kind, user, None, source.address, now, {"method": method.name})
    if right:
        guard.succeeded()
        return None
    failure = record_failure(
        provider,
        guard,
        now,
        reason="wrong_answer",
        user_id=user.id,
        username=user.username,
        client_id=None,
        address=source.address,
    )
    return Rejected(AnswerProblem.WRONG_CODE, failure.refusal)


def renew_recovery_codes(
    provider: Provider, session_cookie: str | None, binding: str, answer: str | None, source: Source
) -> list[str] | SecondFactorStatus:
    """POST /mfa/recovery-codes: new codes replace the old ones, given a current code."""
    user = _signed_in_user(provider, session_cookie, binding)
    if not provider.totp.is_confirmed(user.id):
        return status(provider, session_cookie, binding, Rejected(NoAuthenticator.RENEW))
    try:
        with provider.transaction():
            rejected = _proved(provider, user, answer, source)
            if rejected is None:
                now = provider.clock()
                codes = provider.recovery_codes.issue(user.id, now)
                record_event(
                    provider, "mfa.recovery_codes_renewed", user, None, source.address, now, {}
                )
    except InvalidAnswer as exc:
        rejected = Rejected(exc.problem)
    if rejected is not None:
        return status(provider, session_cookie, binding, rejected)
    return codes


def remove_totp(
    provider: Provider, session_cookie: str | None, binding: str, answer: str | None, source: Source
) -> SecondFactorStatus:
    """POST /mfa/totp/remove: given a current code, the authenticator app and the recovery
    codes go. Under a policy that requires a second factor, the next sign-in sets one up."""
    user = _signed_in_user(provider, session_cookie, binding)
    if not provider.totp.is_confirmed(user.id):
        return status(provider, session_cookie, binding, Rejected(NoAuthenticator.REMOVE))
    try:
        with provider.transaction():
            rejected = _proved(provider, user, answer, source)
            if rejected is None:
                provider.second_factors.remove_totp(user.id)
                details = {"method": provider.totp.name}
                record_event(
                    provider, "mfa.removed", user, None, source.address, provider.clock(), details
                )
    except InvalidAnswer as exc:
        rejected = Rejected(exc.problem)
    if rejected is not None:
        return status(provider, session_cookie, binding, rejected)
    return status(provider, session_cookie, binding, removed=True)
