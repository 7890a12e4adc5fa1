"""protocol.interaction: what the login and consent pages call. Each finds the paused request
for the browser that started it, records the answer, and resumes the decision."""

from __future__ import annotations

from typing import Any

import pytest

from gatehouse.admin.clients import ClientSpec, delete_client, update_client
from gatehouse.admin.scopes import upsert_scope
from gatehouse.admin.users import set_disabled
from gatehouse.crypto import sha256_digest
from gatehouse.errors import AccessDenied, InvalidRequest
from gatehouse.protocol import authorize
from gatehouse.protocol.authorization import BrowserState, InteractionNeeded, RedirectToClient
from gatehouse.protocol.interaction import (
    LoginForm,
    browser_state,
    describe_scopes,
    load_interaction,
    login_form,
    record_consent,
    resume,
)
from gatehouse.protocol.messages import Parameters
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.scopes import STANDARD_SCOPES
from gatehouse.protocol.sign_in_flow import SignedIn, record_login
from gatehouse.protocol.signin import Source
from gatehouse.runtime import Runtime
from tests.support.factories import (
    ORDERS_API,
    PASSWORD,
    REDIRECT_URI,
    make_api,
    make_client,
    make_user,
)
from tests.support.flow import FakeClock, install_clock, query_of
from tests.unit.protocol.sessions import BINDING, sign_in_cookie

SIGNED_OUT = BrowserState(session=None, user=None, binding=BINDING)


@pytest.fixture
def clock(runtime: Runtime) -> FakeClock:
    return install_clock(runtime)


@pytest.fixture
def provider(runtime: Runtime, clock: FakeClock) -> Provider:
    make_user(runtime)
    make_user(runtime, "bob")
    make_client(runtime, "web")
    return runtime.provider


def start(provider: Provider, **params: str) -> str:
    """An authorization request from a signed-out browser; the login interaction's id."""
    values = {
        "client_id": "web",
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": "openid email",
        "state": "st",
        **params,
    }
    outcome = authorize.authorize(provider, Parameters(values), SIGNED_OUT)
    assert isinstance(outcome, InteractionNeeded) and outcome.kind == "login"
    return outcome.interaction_id


def login(provider: Provider, runtime: Runtime, interaction_id: str, **kwargs: Any) -> SignedIn:
    values: dict[str, Any] = {"session_cookie": None, "login": "alice", "password": PASSWORD}
    values.update(kwargs)
    result = record_login(
        provider,
        runtime.passwords,
        interaction_id,
        values["session_cookie"],
        BINDING,
        values["login"],
        values["password"],
        Source("192.0.2.1"),
    )
    assert isinstance(result, SignedIn)
    return result


def finished(provider: Provider, runtime: Runtime) -> tuple[str, str]:
    """A sign-in finished in this browser: (interaction id, session cookie)."""
    interaction_id = start(provider)
    signed_in = login(provider, runtime, interaction_id)
    alice = provider.users.find_by_login("alice")
    assert alice is not None
    done = record_consent(
        provider, interaction_id, signed_in.session_cookie, BINDING, alice.id, allow=True
    )
    assert isinstance(done, RedirectToClient)
    return interaction_id, signed_in.session_cookie


# -- Finding the paused request ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("none", "needs a sign-in request"),
        ("empty", "needs a sign-in request"),
        ("oversized", "needs a sign-in request"),
        ("unknown", "expired or was already used"),
        ("expired", "expired or was already used"),
        ("another browser", "started in another browser"),
        # Deleting a client deletes its interactions with it.
        ("client deleted", "start again"),
        ("redirect URI unregistered", "redirect URI was unregistered"),
        ("completed", "expired or was already used"),
    ],
)
def test_load_interaction_refuses(
    provider: Provider, runtime: Runtime, clock: FakeClock, case: str, message: str
) -> None:
    interaction_id: str | None = start(provider)
    binding = BINDING
    if case == "none":
        interaction_id = None
    elif case in ("empty", "oversized", "unknown"):
        interaction_id = {"empty": "", "oversized": "x" * 129, "unknown": "nope"}[case]
    elif case == "expired":
        clock.advance(provider.config.interaction_lifetime)
    elif case == "another browser":
        binding = "binding-of-another-browser"
    elif case == "client deleted":
        delete_client(runtime, "web")
    elif case == "redirect URI unregistered":
        update_client(runtime, ClientSpec(client_id="web", redirect_uris=[REDIRECT_URI + "/v2"]))
    elif case == "completed":
        interaction_id, _cookie = finished(provider, runtime)
    with pytest.raises(InvalidRequest, match=message) as caught:
        load_interaction(provider, interaction_id, binding)
    assert caught.value.redirect is None  # never sent to the client: the page shows it


def test_load_interaction_finds_a_finished_one_only_when_asked(
    provider: Provider, runtime: Runtime
) -> None:
    interaction_id, _cookie = finished(provider, runtime)
    paused = load_interaction(provider, interaction_id, BINDING, completed=True)
    assert paused.completed and paused.client.client_id == "web"
    with pytest.raises(InvalidRequest, match="another browser"):
        load_interaction(provider, interaction_id, "another-binding", completed=True)


# -- Login ------------------------------------------------------------------------------------


def test_login_form_prefills_the_login_hint(provider: Provider) -> None:
    form = login_form(provider, start(provider, login_hint="alice@example.com"), None, BINDING)
    assert isinstance(form, LoginForm)
    assert (form.client.client_id, form.login, form.failed) == ("web", "alice@example.com", False)


@pytest.mark.parametrize(
    ("login_name", "password", "disabled"),
    [
        ("alice", "wrong password!", False),
        ("mallory", PASSWORD, False),
        ("a" * 321, PASSWORD, False),
        ("alice", PASSWORD, True),
    ],
)
def test_a_failed_login_shows_the_form_again_and_starts_no_session(
    provider: Provider, runtime: Runtime, login_name: str, password: str, disabled: bool
) -> None:
    if disabled:
        set_disabled(runtime, "alice", True)
    interaction_id = start(provider)
    result = record_login(
        provider,
        runtime.passwords,
        interaction_id,
        None,
        BINDING,
        login_name,
        password,
        Source("192.0.2.1"),
    )
    assert isinstance(result, LoginForm)
    assert (result.login, result.failed) == (login_name, True)
    stored = provider.interactions.get(sha256_digest(interaction_id), provider.clock())
    assert stored is not None and stored.login_completed_at is None


def test_a_login_starts_a_session_and_resumes_at_consent(
    provider: Provider, runtime: Runtime
) -> None:
    interaction_id = start(provider, prompt="login")
    result = login(provider, runtime, interaction_id)
    browser = browser_state(provider, result.session_cookie, BINDING)
    assert browser.user is not None and browser.user.username == "alice"
    assert isinstance(result.outcome, InteractionNeeded)
    # prompt=login is satisfied by this sign-in: the same interaction goes on to consent.
    assert (result.outcome.kind, result.outcome.interaction_id) == ("consent", interaction_id)
    stored = provider.interactions.get(sha256_digest(interaction_id), provider.clock())
    assert stored is not None and stored.login_completed_at == provider.clock()


def test_a_login_replaces_another_persons_session(provider: Provider, runtime: Runtime) -> None:
    bobs = sign_in_cookie(runtime, "bob")
    result = login(provider, runtime, start(provider), session_cookie=bobs)
    assert result.session_cookie != bobs
    assert browser_state(provider, bobs, BINDING).user is None


# -- Consent ----------------------------------------------------------------------------------


def _at_consent(provider: Provider, runtime: Runtime) -> tuple[str, str, str]:
    """(interaction id, session cookie, alice's id) with the consent page showing."""
    interaction_id = start(provider)
    result = login(provider, runtime, interaction_id)
    alice = provider.users.find_by_login("alice")
    assert alice is not None
    return interaction_id, result.session_cookie, alice.id


def test_allow_stores_the_consent_and_issues_the_code(provider: Provider, runtime: Runtime) -> None:
    interaction_id, cookie, alice = _at_consent(provider, runtime)
    outcome = record_consent(provider, interaction_id, cookie, BINDING, alice, allow=True)
    assert isinstance(outcome, RedirectToClient)
    assert query_of(outcome.location)["code"]
    consent = provider.consents.get(alice, "web")
    assert consent is not None and consent.scopes == {"openid", "email"}


def test_deny_is_access_denied_at_the_client_and_ends_the_interaction(
    provider: Provider, runtime: Runtime
) -> None:
    interaction_id, cookie, alice = _at_consent(provider, runtime)
    with pytest.raises(AccessDenied, match="declined") as caught:
        record_consent(provider, interaction_id, cookie, BINDING, alice, allow=False)
    assert caught.value.redirect is not None
    assert (caught.value.redirect.redirect_uri, caught.value.redirect.state) == (REDIRECT_URI, "st")
    assert provider.consents.get(alice, "web") is None
    with pytest.raises(InvalidRequest):
        load_interaction(provider, interaction_id, BINDING)


@pytest.mark.parametrize(
    ("who", "next_kind"),
    [("someone else", "consent"), ("signed out", "login")],
)
def test_an_answer_given_for_another_person_asks_again(
    provider: Provider, runtime: Runtime, who: str, next_kind: str
) -> None:
    """The page was shown to alice; since then bob signed in (another tab), or the session
    ended: nothing is stored, and the decision asks whoever is signed in now."""
    interaction_id, _cookie, alice = _at_consent(provider, runtime)
    cookie = sign_in_cookie(runtime, "bob") if who == "someone else" else None
    outcome = record_consent(provider, interaction_id, cookie, BINDING, alice, allow=True)
    assert isinstance(outcome, InteractionNeeded) and outcome.kind == next_kind
    bob = provider.users.find_by_login("bob")
    assert bob is not None
    assert provider.consents.get(alice, "web") is None
    assert provider.consents.get(bob.id, "web") is None


def test_resume_shows_the_consent_pause(provider: Provider, runtime: Runtime) -> None:
    interaction_id, cookie, _alice = _at_consent(provider, runtime)
    outcome = resume(provider, interaction_id, cookie, BINDING)
    assert isinstance(outcome, InteractionNeeded)
    assert (outcome.kind, outcome.scopes_to_consent) == ("consent", ("openid", "email"))


# -- Back to a finished sign-in ---------------------------------------------------------------


@pytest.mark.parametrize("page", ["login", "consent"])
def test_back_to_a_finished_sign_in_goes_on_to_the_application(
    provider: Provider, runtime: Runtime, page: str
) -> None:
    interaction_id, cookie = finished(provider, runtime)
    if page == "login":
        outcome = login_form(provider, interaction_id, cookie, BINDING)
    else:
        outcome = resume(provider, interaction_id, cookie, BINDING)
    assert isinstance(outcome, RedirectToClient)
    assert outcome.location.startswith(REDIRECT_URI + "?")
    assert query_of(outcome.location)["state"] == "st"


def test_back_to_a_finished_sign_in_without_a_session_starts_a_new_one(
    provider: Provider, runtime: Runtime
) -> None:
    interaction_id, _cookie = finished(provider, runtime)
    outcome = login_form(provider, interaction_id, None, BINDING)
    assert isinstance(outcome, InteractionNeeded) and outcome.kind == "login"
    assert outcome.interaction_id != interaction_id


def test_a_finished_sign_in_cannot_be_answered_again(provider: Provider, runtime: Runtime) -> None:
    interaction_id, cookie = finished(provider, runtime)
    with pytest.raises(InvalidRequest, match="expired or was already used"):
        login(provider, runtime, interaction_id)
    with pytest.raises(InvalidRequest, match="expired or was already used"):
        record_consent(provider, interaction_id, cookie, BINDING, "anyone", allow=True)


# -- The browser and the consent page's words -------------------------------------------------


@pytest.mark.parametrize("cookie", [None, "", "unknown-session-value", "x" * 500])
def test_a_browser_without_a_live_session(provider: Provider, cookie: str | None) -> None:
    assert browser_state(provider, cookie, BINDING) == SIGNED_OUT


def test_a_disabled_users_session_is_not_live(provider: Provider, runtime: Runtime) -> None:
    cookie = sign_in_cookie(runtime, "alice")
    set_disabled(runtime, "alice", True)
    assert browser_state(provider, cookie).user is None


def test_describe_scopes(provider: Provider, runtime: Runtime) -> None:
    upsert_scope(runtime, "reports:read", "Read your reports")
    make_api(runtime, ORDERS_API, name="Orders")
    described = describe_scopes(
        provider, ("openid", "reports:read", f"{ORDERS_API}/orders.read", "unknown")
    )
    assert described == [
        ("openid", STANDARD_SCOPES["openid"]),
        ("reports:read", "Read your reports"),
        ("Orders: orders.read", "Allows orders.read"),
        ("unknown", "unknown"),
    ]
