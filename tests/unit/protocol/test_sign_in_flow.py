"""protocol/sign_in_flow.py: what a sign-in records and where it leads. A password
(``record_login``) or a passkey (``record_passkey_login``) as the first factor; then a pause
for a second factor (``first_factor_done``) or the signed-in session
(``start_signed_in_session``): its fields, the "Remember me" lifetimes and cookie, the
device cookie of a known browser, and the audit events signin.succeeded and
signin.failed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from gatehouse.accounts.assurance import ACR_MFA, ACR_PASSWORD
from gatehouse.accounts.passkeys import AuditContext
from gatehouse.accounts.passwords import Passwords
from gatehouse.accounts.throttle import Refusal
from gatehouse.accounts.webauthn import PasskeyRejected
from gatehouse.admin.policy import set_policy
from gatehouse.crypto import sha256_digest
from gatehouse.errors import InvalidRequest
from gatehouse.protocol import authorize
from gatehouse.protocol.authorization import BrowserState, InteractionNeeded
from gatehouse.protocol.interaction import LoginForm, load_interaction
from gatehouse.protocol.messages import Parameters
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.sign_in_flow import (
    SignedIn,
    SignInChoices,
    first_factor_done,
    record_login,
    record_passkey_login,
    start_signed_in_session,
)
from gatehouse.protocol.signin import Source
from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditEvent, AuditQuery, Interaction, SsoSession, User
from tests.support.authenticator import SoftAuthenticator
from tests.support.factories import PASSWORD, REDIRECT_URI, make_user
from tests.support.flow import FakeClock
from tests.support.mfa import enrol_totp
from tests.unit.protocol.conftest import Registered, register
from tests.unit.protocol.sessions import BINDING, sign_in_cookie

ADDRESS = "203.0.113.7"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


class CountingPasswords(Passwords):
    """The test settings' password hashing, counting the passwords it verifies."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_kib=8192)
        self.verified = 0

    def verify(self, password_hash: str | None, password: str) -> bool:
        self.verified += 1
        return super().verify(password_hash, password)


@pytest.fixture
def passwords() -> CountingPasswords:
    return CountingPasswords()


def start(provider: Provider, client_id: str = "web", **params: str) -> str:
    """An authorization request from a signed-out browser; the login interaction's id."""
    values = {
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": "openid",
        "state": "st",
        **params,
    }
    browser = BrowserState(session=None, user=None, binding=BINDING)
    outcome = authorize.authorize(provider, Parameters(values), browser)
    assert isinstance(outcome, InteractionNeeded) and outcome.kind == "login"
    return outcome.interaction_id


@dataclass
class Login:
    """POST /login's form and the browser it comes from."""

    login: str = "alice"
    password: str = PASSWORD
    remember_me: bool = False
    user_agent: str | None = FIREFOX
    session_cookie: str | None = None
    device_cookie: str | None = None


def log_in(
    provider: Provider, passwords: Passwords, interaction_id: str, form: Login | None = None
) -> SignedIn | LoginForm:
    form = form or Login()
    return record_login(
        provider,
        passwords,
        interaction_id,
        form.session_cookie,
        BINDING,
        form.login,
        form.password,
        Source(ADDRESS, form.device_cookie),
        remember_me=form.remember_me,
        user_agent=form.user_agent,
    )


def signed_in(result: SignedIn | LoginForm) -> SignedIn:
    assert isinstance(result, SignedIn), result
    return result


def session_of(provider: Provider, cookie: str | None) -> SsoSession:
    assert cookie is not None
    session = provider.sessions.get_active(
        sha256_digest(cookie), provider.clock(), provider.config.session_idle_lifetime
    )
    assert session is not None
    return session


def interaction_of(provider: Provider, interaction_id: str) -> Interaction:
    interaction = provider.interactions.get(sha256_digest(interaction_id), provider.clock())
    assert interaction is not None
    return interaction


def events(provider: Provider, event_type: str) -> list[AuditEvent]:
    return provider.audit.list(AuditQuery(types=(event_type,)))[::-1]


# -- A password sign-in -----------------------------------------------------------------------


@pytest.mark.parametrize("remember_me", [False, True])
def test_a_password_sign_in_starts_the_session_and_records_it(
    provider: Provider,
    clock: FakeClock,
    passwords: CountingPasswords,
    web: Registered,
    alice: User,
    remember_me: bool,
) -> None:
    interaction_id = start(provider)
    result = signed_in(log_in(provider, passwords, interaction_id, Login(remember_me=remember_me)))

    config = provider.config
    lifetimes = config.lifetimes_for(remember_me)
    absolute = (
        config.remember_me_absolute_lifetime if remember_me else config.session_absolute_lifetime
    )
    session = session_of(provider, result.session_cookie)
    assert session == SsoSession(
        sid=session.sid,
        user_id=alice.id,
        auth_time=clock.now,
        amr=("pwd",),
        acr=ACR_PASSWORD,
        created_at=clock.now,
        last_seen_at=clock.now,
        expires_at=clock.now + absolute,
        remember_me=remember_me,
        idle_lifetime=lifetimes.idle,
        device=FIREFOX,
    )
    # "Remember me": a cookie that outlives the browser as long as the session lives.
    assert result.cookie_max_age == (config.remember_me_absolute_lifetime if remember_me else None)
    assert remember_me == (lifetimes.idle == config.remember_me_idle_lifetime)
    # Not a first-party client, never consented: on to the consent page, same interaction.
    assert isinstance(result.outcome, InteractionNeeded)
    assert (result.outcome.kind, result.outcome.interaction_id) == ("consent", interaction_id)
    assert interaction_of(provider, interaction_id).login_completed_at == clock.now
    (event,) = events(provider, "signin.succeeded")
    assert event == AuditEvent(
        type="signin.succeeded",
        occurred_at=clock.now,
        actor="user",
        user_id=alice.id,
        client_id="web",
        ip=ADDRESS,
        details={"methods": ["pwd"], "remember_me": remember_me},
        id=event.id,
    )
    assert events(provider, "signin.failed") == []
    assert passwords.verified == 1


@pytest.mark.parametrize(
    ("device_cookie", "new_cookie"),
    [
        (None, True),  # a browser without one gets one
        ("a-device-cookie-set-earlier_0123456789abcdef", False),  # kept, and renewed
        ("not a cookie gatehouse set!", True),  # replaced
    ],
)
def test_the_browser_becomes_known_to_the_person(
    provider: Provider,
    clock: FakeClock,
    passwords: CountingPasswords,
    web: Registered,
    alice: User,
    device_cookie: str | None,
    new_cookie: bool,
) -> None:
    result = signed_in(
        log_in(provider, passwords, start(provider), Login(device_cookie=device_cookie))
    )
    assert (result.device_cookie is not None) == new_cookie
    cookie = result.device_cookie if new_cookie else device_cookie
    assert cookie is not None
    known = provider.known_browsers
    assert known.is_known(alice.id, sha256_digest(cookie), clock.now)
    assert not known.is_known("another-user", sha256_digest(cookie), clock.now)


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (None, None),
        ("", None),
        ("Agent\x00with\ncontrols", "Agent?with?controls"),
        ("x" * 1000, "x" * 256),
    ],
)
def test_the_session_records_the_device_as_printable_and_short(
    provider: Provider,
    passwords: CountingPasswords,
    web: Registered,
    alice: User,
    user_agent: str | None,
    device: str | None,
) -> None:
    result = signed_in(log_in(provider, passwords, start(provider), Login(user_agent=user_agent)))
    assert session_of(provider, result.session_cookie).device == device


@pytest.mark.parametrize(
    ("login", "password", "reason"),
    [("alice", "not the password", "wrong_password"), ("mallory", PASSWORD, "unknown_user")],
)
def test_a_failed_password_shows_the_form_again_and_records_why(
    provider: Provider,
    clock: FakeClock,
    passwords: CountingPasswords,
    web: Registered,
    alice: User,
    login: str,
    password: str,
    reason: str,
) -> None:
    interaction_id = start(provider, ui_locales="fr")
    form = log_in(provider, passwords, interaction_id, Login(login, password, remember_me=True))
    assert isinstance(form, LoginForm)
    assert (form.client.client_id, form.login, form.failed) == ("web", login, True)
    assert (form.remember_me, form.refusal, form.ui_locales) == (True, None, ("fr",))
    (event,) = events(provider, "signin.failed")
    assert (event.username, event.client_id, event.ip) == (login, "web", ADDRESS)
    assert event.details == {"reason": reason, "factor": "password"}
    assert events(provider, "signin.succeeded") == []
    assert provider.sessions.list_for_user(alice.id, clock.now, 3600) == []
    assert interaction_of(provider, interaction_id).login_completed_at is None


def test_the_failure_that_starts_a_wait_says_so(
    provider: Provider, passwords: CountingPasswords, web: Registered, alice: User
) -> None:
    interaction_id = start(provider)
    forms = [log_in(provider, passwords, interaction_id, Login(password="wrong")) for _ in range(3)]
    assert [f.refusal for f in forms if isinstance(f, LoginForm)] == [
        None,
        None,
        Refusal("delay", 1),
    ]


def test_a_refused_attempt_is_not_verified_nor_recorded(
    runtime: Runtime,
    provider: Provider,
    clock: FakeClock,
    passwords: CountingPasswords,
    web: Registered,
    alice: User,
) -> None:
    set_policy(runtime, ("source_lockout_threshold=3", "lockout_duration=600"), ())
    interaction_id = start(provider)
    for _ in range(3):
        log_in(provider, passwords, interaction_id, Login(password="wrong"))
    assert passwords.verified == 3
    form = log_in(provider, passwords, interaction_id, Login(remember_me=True))
    assert isinstance(form, LoginForm)
    # Refused before the (right) password was checked: not a failure, no new event.
    assert (form.failed, form.refusal, form.remember_me) == (False, Refusal("source", 600), True)
    assert passwords.verified == 3
    assert len(events(provider, "signin.failed")) == 3
    assert events(provider, "signin.succeeded") == []
    clock.advance(600)  # the lock ends
    assert signed_in(log_in(provider, passwords, interaction_id)).session_cookie is not None
    assert passwords.verified == 4


def test_signing_in_again_renews_the_same_persons_session_and_ends_anothers(
    runtime: Runtime,
    provider: Provider,
    clock: FakeClock,
    passwords: CountingPasswords,
    web: Registered,
    alice: User,
) -> None:
    first = signed_in(log_in(provider, passwords, start(provider)))
    earlier = session_of(provider, first.session_cookie)
    clock.advance(60)
    again = signed_in(
        log_in(provider, passwords, start(provider), Login(session_cookie=first.session_cookie))
    )
    renewed = session_of(provider, again.session_cookie)
    assert again.session_cookie != first.session_cookie
    assert (renewed.sid, renewed.auth_time) == (earlier.sid, clock.now)
    # Bob's session in this browser ends when alice signs in there.
    make_user(runtime, "bob")
    bobs = sign_in_cookie(runtime, "bob")
    replaced = signed_in(log_in(provider, passwords, start(provider), Login(session_cookie=bobs)))
    assert session_of(provider, replaced.session_cookie).sid != earlier.sid
    (ended,) = events(provider, "session.ended")
    assert ended.details["reason"] == "another_sign_in"


# -- A second factor first ----------------------------------------------------------------------


def test_with_a_second_factor_set_up_the_password_only_pauses_the_sign_in(
    runtime: Runtime,
    provider: Provider,
    clock: FakeClock,
    passwords: CountingPasswords,
    web: Registered,
    alice: User,
) -> None:
    enrol_totp(runtime)
    interaction_id = start(provider)
    result = signed_in(
        log_in(provider, passwords, interaction_id, Login(remember_me=True, device_cookie=None))
    )
    assert (result.session_cookie, result.cookie_max_age, result.device_cookie) == (
        None,
        None,
        None,
    )
    assert isinstance(result.outcome, InteractionNeeded)
    assert (result.outcome.kind, result.outcome.interaction_id) == ("verify", interaction_id)
    assert result.outcome.user is not None and result.outcome.user.id == alice.id
    # Who this is, what they used and chose, kept for when the second factor is given.
    interaction = interaction_of(provider, interaction_id)
    assert (interaction.user_id, interaction.amr) == (alice.id, ("pwd",))
    assert (interaction.remember_me, interaction.device) == (True, FIREFOX)
    assert interaction.login_completed_at is None
    assert provider.sessions.list_for_user(alice.id, clock.now, 3600) == []
    assert events(provider, "signin.succeeded") == []


def test_the_session_after_the_second_factor_keeps_what_the_login_page_chose(
    runtime: Runtime,
    provider: Provider,
    clock: FakeClock,
    passwords: CountingPasswords,
    web: Registered,
    alice: User,
) -> None:
    enrol_totp(runtime)
    interaction_id = start(provider)
    log_in(provider, passwords, interaction_id, Login(remember_me=True))
    clock.advance(20)
    paused = load_interaction(provider, interaction_id, BINDING)

    started, now_paused = start_signed_in_session(provider, paused, alice, ("pwd", "otp"), None)

    session = session_of(provider, started.cookie)
    assert (session.amr, session.acr) == (("pwd", "otp", "mfa"), ACR_MFA)
    assert (session.auth_time, session.remember_me, session.device) == (clock.now, True, FIREFOX)
    assert started.max_age == provider.config.remember_me_absolute_lifetime
    assert now_paused.interaction.login_completed_at == clock.now
    assert interaction_of(provider, interaction_id).login_completed_at == clock.now
    (event,) = events(provider, "signin.succeeded")
    assert event.details == {"methods": ["pwd", "otp", "mfa"], "remember_me": True}


def test_choices_given_to_the_session_override_the_interactions(
    provider: Provider, clock: FakeClock, web: Registered, alice: User
) -> None:
    paused = load_interaction(provider, start(provider), BINDING)
    choices = SignInChoices(remember_me=False, device="Phone", ip="198.51.100.4")
    started, _ = start_signed_in_session(provider, paused, alice, ("pwd",), None, choices)
    session = session_of(provider, started.cookie)
    assert (session.remember_me, session.device, started.max_age) == (False, "Phone", None)
    (event,) = events(provider, "signin.succeeded")
    assert (event.ip, event.details["remember_me"]) == ("198.51.100.4", False)


@pytest.mark.parametrize(
    ("amr", "requires_mfa", "kind"),
    [
        (("pwd",), False, None),
        (("pwd",), True, "enroll"),
        (("hwk", "user", "pin", "mfa"), True, None),  # a passkey that verified the person
    ],
)
def test_first_factor_done_signs_in_or_asks_for_what_is_missing(
    runtime: Runtime,
    provider: Provider,
    clock: FakeClock,
    alice: User,
    amr: tuple[str, ...],
    requires_mfa: bool,
    kind: str | None,
) -> None:
    register(runtime, "strict", require_mfa=requires_mfa, first_party=True)
    interaction_id = start(provider, "strict")
    paused = load_interaction(provider, interaction_id, BINDING)
    result = first_factor_done(
        provider, paused, alice, amr, None, BINDING, SignInChoices(ip=ADDRESS)
    )
    if kind is None:
        assert session_of(provider, result.session_cookie).amr == amr
        (event,) = events(provider, "signin.succeeded")
        assert event.details["methods"] == list(amr)
        # First party: no consent page, straight back to the application.
        assert not isinstance(result.outcome, InteractionNeeded)
    else:
        assert result.session_cookie is None
        assert isinstance(result.outcome, InteractionNeeded) and result.outcome.kind == kind
        assert interaction_of(provider, interaction_id).amr == amr
        assert events(provider, "signin.succeeded") == []


# -- A passkey --------------------------------------------------------------------------------


@pytest.fixture
def laptop(provider: Provider, alice: User) -> SoftAuthenticator:
    """Alice's passkey, bound to this device (not synced)."""
    authenticator = SoftAuthenticator(origin=provider.config.issuer)
    options = provider.passkeys.registration_options(alice, BINDING, provider.clock())
    credential = authenticator.create(options)
    provider.passkeys.register(
        alice, BINDING, "Laptop", credential, provider.clock(), AuditContext(ADDRESS)
    )
    return authenticator


def passkey_answer(
    provider: Provider, interaction_id: str, authenticator: SoftAuthenticator, **lie: Any
) -> dict[str, Any]:
    """The browser's answer to the passkey challenge of the paused sign-in."""
    options = provider.passkeys.authentication_options(
        BINDING, provider.clock(), interaction_hash=sha256_digest(interaction_id)
    )
    return authenticator.get(options, **lie)


def test_a_passkey_signs_in_with_two_factors_and_records_it(
    provider: Provider, clock: FakeClock, web: Registered, alice: User, laptop: SoftAuthenticator
) -> None:
    interaction_id = start(provider)
    answer = passkey_answer(provider, interaction_id, laptop)
    result = record_passkey_login(
        provider, interaction_id, None, BINDING, answer, Source(ADDRESS), user_agent=FIREFOX
    )
    session = session_of(provider, result.session_cookie)
    assert (session.user_id, session.amr, session.device) == (
        alice.id,
        ("hwk", "user", "pin", "mfa"),
        FIREFOX,
    )
    assert (session.remember_me, result.cookie_max_age) == (False, None)
    assert isinstance(result.outcome, InteractionNeeded) and result.outcome.kind == "consent"
    (event,) = events(provider, "signin.succeeded")
    assert (event.user_id, event.client_id, event.ip) == (alice.id, "web", ADDRESS)
    assert event.details == {"methods": ["hwk", "user", "pin", "mfa"], "remember_me": False}
    (used,) = events(provider, "passkey.used")
    assert (used.client_id, used.ip) == ("web", ADDRESS)


def test_a_forged_passkey_answer_signs_nobody_in(
    provider: Provider, clock: FakeClock, web: Registered, alice: User, laptop: SoftAuthenticator
) -> None:
    interaction_id = start(provider)
    answer = passkey_answer(provider, interaction_id, laptop, forge=True)
    with pytest.raises(PasskeyRejected):
        record_passkey_login(provider, interaction_id, None, BINDING, answer, Source(ADDRESS))
    assert provider.sessions.list_for_user(alice.id, clock.now, 3600) == []
    assert events(provider, "signin.succeeded") == []
    (failed,) = events(provider, "passkey.failed")
    assert (failed.user_id, failed.client_id, failed.ip) == (alice.id, "web", ADDRESS)
    assert interaction_of(provider, interaction_id).login_completed_at is None


def test_a_passkey_answer_for_another_sign_in_is_refused(
    provider: Provider, web: Registered, alice: User, laptop: SoftAuthenticator
) -> None:
    mine, other = start(provider), start(provider)
    answer = passkey_answer(provider, other, laptop)
    with pytest.raises(PasskeyRejected):
        record_passkey_login(provider, mine, None, BINDING, answer, Source(ADDRESS))
    with pytest.raises(InvalidRequest, match="another browser"):
        record_passkey_login(provider, mine, None, "another-browser", answer, Source(ADDRESS))
    assert events(provider, "signin.succeeded") == []
