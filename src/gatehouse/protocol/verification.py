"""The second factor of a sign-in, and step-up (GET and POST /login/verify).

The person is the one the first factor identified in this interaction (its ``user_id`` and
``amr``), or, for a step-up, the signed-in person, whose session's methods then count. The
page offers every second factor that person has that meets the request
(protocol/mfa_policy.py); a right answer signs them in, or upgrades their session without a
new password, and the authorization resumes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gatehouse.accounts.assurance import combined_amr
from gatehouse.accounts.passkeys import AuditContext
from gatehouse.accounts.second_factor import AnswerProblem, InvalidAnswer, SecondFactorMethod
from gatehouse.accounts.throttle import Factor, Refusal
from gatehouse.errors import InvalidRequest
from gatehouse.protocol.authorization import AuthorizationOutcome, BrowserState
from gatehouse.protocol.interaction import (
    PausedRequest,
    browser_state,
    load_interaction,
    resume_paused,
)
from gatehouse.protocol.mfa_audit import record_event
from gatehouse.protocol.mfa_policy import FactorNeeded, factor_needed
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.sign_in_flow import SignedIn, SignInChoices, signed_in
from gatehouse.protocol.signin import Source, record_failure, second_factor_attempt
from gatehouse.storage.records import Client, User

# Wrong answers one sign-in may give before it must start again (with the password).
MAX_FAILURES_PER_SIGN_IN = 5
# The brute-force protection's factor of each second-factor method (accounts/throttle.py):
# each has its own counters, so guessing codes does not lock out a passkey, nor the reverse.
THROTTLED_AS: dict[str, Factor] = {
    "totp": "totp",
    "recovery_code": "recovery_code",
    "webauthn": "webauthn",
}


@dataclass(frozen=True)
class Person:
    """Who is giving a factor, with the methods already used: this sign-in's, or (for a
    step-up) the live session's."""

    user: User
    amr: tuple[str, ...]
    signing_in: bool


def person_of(provider: Provider, paused: PausedRequest, browser: BrowserState) -> Person | None:
    """The person an interaction waits on for a factor; None when there is none (any more):
    not started, the user was disabled, or the session of a step-up has ended."""
    interaction = paused.interaction
    if interaction.user_id is None:
        return None
    user = provider.users.get(interaction.user_id)
    if user is None or user.disabled:
        return None
    if interaction.amr:
        return Person(user, interaction.amr, signing_in=True)
    if browser.user is None or browser.session is None or browser.user.id != user.id:
        return None
    return Person(user, browser.session.amr, signing_in=False)


@dataclass(frozen=True)
class OfferedMethod:
    name: str
    label: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VerificationForm:
    """What /login/verify shows: the application, who is signing in, the methods offered."""

    client: Client
    user: User
    methods: tuple[OfferedMethod, ...]
    step_up: bool
    # What was wrong with the last answer (the page words it), and the method it was for.
    error: AnswerProblem | None = None
    chosen: str | None = None
    # Brute-force protection's wait (docs/lockout.md): after a wrong answer, the wait the
    # next one will meet; with ``refused``, the answer was refused before it was checked.
    refusal: Refusal | None = None
    refused: bool = False


def _needed(provider: Provider, paused: PausedRequest, person: Person) -> FactorNeeded | None:
    return factor_needed(
        provider,
        paused.client,
        paused.request,
        person.user,
        person.amr,
        signing_in=person.signing_in,
    )


def _form(
    provider: Provider,
    paused: PausedRequest,
    person: Person,
    need: FactorNeeded,
    binding: str,
    error: AnswerProblem | None = None,
    chosen: str | None = None,
    refusal: Refusal | None = None,
    refused: bool = False,
) -> VerificationForm:
    now = provider.clock()
    offered = tuple(
        OfferedMethod(m.name, m.label, m.offer(person.user, binding, now, need.sufficient))
        for m in need.methods
    )
    return VerificationForm(
        paused.client, person.user, offered, not person.signing_in, error, chosen, refusal, refused
    )


def verification_form(
    provider: Provider, interaction_id: str | None, session_cookie: str | None, binding: str
) -> VerificationForm | AuthorizationOutcome:
    """GET /login/verify: the form, or (nothing to verify) the authorization resumed."""
    paused = load_interaction(provider, interaction_id, binding, completed=True)
    browser = browser_state(provider, session_cookie, binding)
    person = None if paused.completed else person_of(provider, paused, browser)
    need = None if person is None else _needed(provider, paused, person)
    if person is None or need is None or need.kind != "verify":
        return resume_paused(provider, paused, browser)
    return _form(provider, paused, person, need, paused.interaction.id_hash)


def record_verification(
    provider: Provider,
    interaction_id: str | None,
    session_cookie: str | None,
    binding: str,
    method_name: str,
    answer: Mapping[str, str],
    source: Source,
) -> SignedIn | VerificationForm:
    """POST /login/verify: check the answer with the method chosen; a right one signs the
    person in (or upgrades their session) and resumes the authorization. Each answer is
    guarded by brute-force protection (protocol/signin.py): refused before it is checked
    while its counters wait or are locked, its failure counted with the answer."""
    paused = load_interaction(provider, interaction_id, binding)
    if paused.interaction.factor_failures >= MAX_FAILURES_PER_SIGN_IN:
        raise InvalidRequest(
            "too many wrong codes in this sign-in; go back to the application and start again"
        )
    browser = browser_state(provider, session_cookie, binding)
    person = person_of(provider, paused, browser)
    need = None if person is None else _needed(provider, paused, person)
    if person is None or need is None or need.kind != "verify":
        return SignedIn(None, resume_paused(provider, paused, browser))
    binding_key = paused.interaction.id_hash
    method = next((m for m in need.methods if m.name == method_name), None)
    if method is None:
        return _form(provider, paused, person, need, binding_key, AnswerProblem.NO_SUCH_METHOD)
    now = provider.clock()
    user = person.user
    ip = source.address

    def again(error: AnswerProblem, refusal: Refusal | None = None) -> VerificationForm:
        # After a failure, the wait the next answer will meet, as the login page says it.
        return _form(provider, paused, person, need, binding_key, error, method.name, refusal)

    attempt = second_factor_attempt(provider, THROTTLED_AS[method.name], user, source, now)
    guard = provider.throttle.guard(attempt, now)
    if guard.refusal is not None:
        return _form(
            provider,
            paused,
            person,
            need,
            binding_key,
            None,
            method.name,
            guard.refusal,
            refused=True,
        )
    try:
        with provider.transaction():
            context = AuditContext(ip, paused.client.client_id)
            proved = method.verify(user, answer, binding_key, now, need.sufficient, context)
            right = proved is not None
            if right:
                guard.succeeded()
            else:
                provider.interactions.count_factor_failure(binding_key)
                refusal = record_failure(
                    provider,
                    guard,
                    now,
                    reason="wrong_answer",
                    user_id=user.id,
                    username=user.username,
                    client_id=paused.client.client_id,
                    address=ip,
                ).refusal
            _record_answer(provider, paused, person, method, right, ip, now)
    except InvalidAnswer as exc:
        return again(exc.problem)
    if proved is None:
        return again(method.wrong_answer, refusal)
    interaction = paused.interaction
    choices = SignInChoices(interaction.remember_me, interaction.device, ip, source.device_cookie)
    amr = combined_amr(person.amr, proved)
    return signed_in(provider, paused, user, amr, session_cookie, binding, choices)


def _record_answer(
    provider: Provider,
    paused: PausedRequest,
    person: Person,
    method: SecondFactorMethod,
    right: bool,
    ip: str | None,
    now: int,
) -> None:
    details: dict[str, Any] = {"method": method.name}
    if not right:
        kind = "mfa.failed"
    elif person.signing_in:
        kind = "mfa.succeeded"
    else:
        kind = "mfa.step_up"
    record_event(provider, kind, person.user, paused.client.client_id, ip, now, details)
    if right and method.name == provider.recovery_codes.name:
        left = {"codes_left": provider.recovery_codes.left(person.user.id)}
        record_event(
            provider, "mfa.recovery_code_used", person.user, paused.client.client_id, ip, now, left
        )
