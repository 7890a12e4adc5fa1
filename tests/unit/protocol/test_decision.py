"""protocol.decision: the login rules, the consent rules (one table each), and the decision
that ends the authorization endpoint: a pause, a code, or an error addressed to the client."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from gatehouse.crypto import sha256_digest
from gatehouse.errors import ConsentRequired, InvalidRequest, LoginRequired, OAuthError
from gatehouse.protocol.authorization import (
    AuthorizationRequest,
    BrowserState,
    InteractionNeeded,
    RedirectToClient,
)
from gatehouse.protocol.decision import (
    CONSENT_RULES,
    LOGIN_RULES,
    ConsentNeed,
    consent_need,
    decide,
    first_party_is_trusted,
    hint_names_another_user,
    max_age_has_passed,
    max_age_is_zero,
    prompt_asks_for_consent,
    prompt_asks_for_login,
    proves_client_identity,
    stored_consent_covers,
    unproven_client_asks_each_time,
    why_login,
)
from gatehouse.protocol.provider import Provider
from gatehouse.runtime import Runtime
from gatehouse.storage.records import Client, Interaction, SsoSession, User
from tests.support.factories import REDIRECT_URI, make_client, make_public_client, make_user
from tests.support.flow import FakeClock, install_clock, query_of
from tests.unit.protocol.sessions import BINDING, signed_in

SPA_REDIRECT = "http://127.0.0.1:5173/callback"


@pytest.fixture
def clock(runtime: Runtime) -> FakeClock:
    return install_clock(runtime)


@pytest.fixture
def provider(runtime: Runtime, clock: FakeClock) -> Provider:
    make_user(runtime)
    make_user(runtime, "bob")
    make_client(runtime, "web")
    make_client(runtime, "own", first_party=True)
    make_public_client(runtime, "spa")
    make_public_client(runtime, "spa-https", redirect_uris=["https://spa.example.com/cb"])
    return runtime.provider


def request_for(client_id: str = "web", **fields: Any) -> AuthorizationRequest:
    redirect_uri = {"spa": SPA_REDIRECT, "spa-https": "https://spa.example.com/cb"}.get(
        client_id, REDIRECT_URI
    )
    values: dict[str, Any] = {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scopes": ("openid", "email"),
        "state": "st",
    }
    values.update(fields)
    return AuthorizationRequest(**values)


def client(provider: Provider, client_id: str) -> Client:
    found = provider.clients.get(client_id)
    assert found is not None
    return found


# -- Login rules ------------------------------------------------------------------------------

NOW = 1_700_000_000
SESSION = SsoSession(
    sid="s1",
    user_id="u1",
    auth_time=NOW - 100,
    amr=("pwd",),
    acr=None,
    created_at=NOW - 100,
    last_seen_at=NOW - 100,
    expires_at=NOW + 3600,
)


def _user(user_id: str = "u1") -> User:
    return User(
        id=user_id,
        username="alice",
        email=None,
        email_verified=False,
        name=None,
        given_name=None,
        family_name=None,
        phone_number=None,
        phone_number_verified=False,
        address=None,
        disabled=False,
        password_hash=None,
        password_changed_at=None,
        created_at=NOW,
        updated_at=NOW,
    )


@pytest.mark.parametrize(
    ("rule", "fields", "reason"),
    [
        (prompt_asks_for_login, {}, None),
        (prompt_asks_for_login, {"prompt": ("login",)}, "prompt=login"),
        (prompt_asks_for_login, {"prompt": ("select_account",)}, "prompt=select_account"),
        (prompt_asks_for_login, {"prompt": ("consent",)}, None),
        (hint_names_another_user, {}, None),
        (hint_names_another_user, {"id_token_hint_sub": "u1"}, None),
        (hint_names_another_user, {"id_token_hint_sub": "u2"}, "not the one id_token_hint"),
        (max_age_is_zero, {"max_age": 0}, "max_age=0"),
        (max_age_is_zero, {"max_age": 1}, None),
        (max_age_has_passed, {}, None),
        (max_age_has_passed, {"max_age": 100}, None),  # exactly max_age old is still fine
        (max_age_has_passed, {"max_age": 99}, "more than max_age=99 seconds"),
    ],
)
def test_login_rule(
    provider: Provider, clock: FakeClock, rule: Any, fields: dict[str, Any], reason: str | None
) -> None:
    clock.now = NOW
    found = rule(provider, request_for(**fields), SESSION, _user())
    if reason is None:
        assert found is None
    else:
        assert reason in found


def test_the_login_rules_in_order() -> None:
    assert (
        prompt_asks_for_login,
        hint_names_another_user,
        max_age_is_zero,
        max_age_has_passed,
    ) == LOGIN_RULES


def test_why_login(provider: Provider, runtime: Runtime) -> None:
    nobody = BrowserState(session=None, user=None)
    assert why_login(provider, request_for(), nobody) == "the user is not signed in"
    alice = signed_in(runtime, "alice")
    assert why_login(provider, request_for(), alice) is None
    assert why_login(provider, request_for(prompt=("login",)), alice) is not None


def test_no_rule_asks_again_right_after_the_sign_in_for_this_request(
    provider: Provider, runtime: Runtime
) -> None:
    """OIDC Core §3.1.2.3: prompt=login and max_age=0 are satisfied by the sign-in the person
    has just completed for this very request."""
    alice = signed_in(runtime, "alice")
    request = request_for(prompt=("login",), max_age=0)
    interaction = _interaction(provider, request, login_completed_at=provider.clock())
    assert why_login(provider, request, replace(alice, interaction=interaction)) is None


# -- Consent rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "client_id", "fields", "stored", "scopes"),
    [
        (prompt_asks_for_consent, "web", {"prompt": ("consent",)}, (), ("openid", "email")),
        (prompt_asks_for_consent, "own", {"prompt": ("consent",)}, (), ("openid", "email")),
        (prompt_asks_for_consent, "web", {}, (), None),
        (first_party_is_trusted, "own", {}, (), ()),
        (first_party_is_trusted, "web", {}, (), None),
        # RFC 8252 §8.6: a loopback redirect URI proves nothing about who asks.
        (unproven_client_asks_each_time, "spa", {}, ("openid", "email"), ("openid", "email")),
        (unproven_client_asks_each_time, "spa-https", {}, (), None),
        (unproven_client_asks_each_time, "web", {}, (), None),
        (stored_consent_covers, "web", {}, (), ("openid", "email")),
        (stored_consent_covers, "web", {}, ("openid",), ("email",)),
        (stored_consent_covers, "web", {}, ("openid", "email", "profile"), ()),
    ],
)
def test_consent_rule(
    provider: Provider,
    rule: Any,
    client_id: str,
    fields: dict[str, Any],
    stored: tuple[str, ...],
    scopes: tuple[str, ...] | None,
) -> None:
    alice = provider.users.find_by_login("alice")
    assert alice is not None
    if stored:
        provider.consents.grant(alice.id, client_id, frozenset(stored), provider.clock())
    need = rule(provider, client(provider, client_id), request_for(client_id, **fields), alice)
    assert (need.ask if need is not None else None) == scopes
    assert need is None or need.withheld == frozenset()


@pytest.mark.parametrize(
    ("rule", "fields", "scopes", "ask", "withheld"),
    [
        # A scope left out before is neither asked about again nor granted...
        (stored_consent_covers, {}, ("openid", "email"), (), {"email"}),
        (stored_consent_covers, {}, ("openid", "email", "profile"), ("profile",), {"email"}),
        # ...unless nothing would be left: then the person is asked again.
        (stored_consent_covers, {}, ("email",), ("email",), set()),
        # prompt=consent asks about everything, what was left out included.
        (prompt_asks_for_consent, {"prompt": ("consent",)}, ("openid", "email"),
         ("openid", "email"), set()),
    ],
)  # fmt: skip
def test_a_declined_scope_is_withheld_without_asking(
    provider: Provider,
    rule: Any,
    fields: dict[str, Any],
    scopes: tuple[str, ...],
    ask: tuple[str, ...],
    withheld: set[str],
) -> None:
    alice = provider.users.find_by_login("alice")
    assert alice is not None
    now = provider.clock()
    provider.consents.grant(alice.id, "web", frozenset({"openid"}), now, frozenset({"email"}))
    request = request_for("web", scopes=scopes, **fields)
    assert rule(provider, client(provider, "web"), request, alice) == ConsentNeed(
        ask, frozenset(withheld)
    )


def test_the_consent_rules_in_order() -> None:
    assert (
        prompt_asks_for_consent,
        first_party_is_trusted,
        unproven_client_asks_each_time,
        stored_consent_covers,
    ) == CONSENT_RULES


@pytest.mark.parametrize(
    ("client_id", "redirect_uri", "proven"),
    [
        ("web", REDIRECT_URI, True),
        ("spa", SPA_REDIRECT, False),
        ("spa", "com.example.app:/callback", False),
        ("spa-https", "https://spa.example.com/cb", True),
    ],
)
def test_proves_client_identity(
    provider: Provider, client_id: str, redirect_uri: str, proven: bool
) -> None:
    assert proves_client_identity(client(provider, client_id), redirect_uri) is proven


def test_nothing_to_consent_once_consented_in_this_interaction(
    provider: Provider, runtime: Runtime
) -> None:
    alice = signed_in(runtime, "alice")
    request = request_for(prompt=("consent",))
    interaction = _interaction(provider, request, consent_given=True)
    browser = replace(alice, interaction=interaction)
    assert consent_need(provider, client(provider, "web"), request, browser) == ConsentNeed()


def test_once_consented_in_this_interaction_the_code_goes_without_what_was_left_out(
    provider: Provider, runtime: Runtime
) -> None:
    alice = signed_in(runtime, "alice")
    request = request_for(prompt=("consent",))
    interaction = replace(
        _interaction(provider, request, consent_given=True), granted_scopes=("openid",)
    )
    browser = replace(alice, interaction=interaction)
    need = consent_need(provider, client(provider, "web"), request, browser)
    assert need == ConsentNeed((), frozenset(request.scopes) - {"openid"})


# -- The decision -----------------------------------------------------------------------------


def _interaction(provider: Provider, request: AuthorizationRequest, **fields: Any) -> Interaction:
    values: dict[str, Any] = {
        "id_hash": sha256_digest("interaction-1"),
        "client_id": request.client_id,
        "request": request.to_dict(),
        "created_at": provider.clock(),
        "expires_at": provider.clock() + 900,
        "login_completed_at": None,
        "consent_given": False,
        "browser_hash": BINDING,
    }
    values.update(fields)
    interaction = Interaction(**values)
    provider.interactions.create(interaction)
    return interaction


@pytest.mark.parametrize(
    ("case", "client_id", "fields", "expected"),
    [
        ("signed out", "web", {}, "login"),
        ("signed out", "web", {"prompt": ("none",)}, LoginRequired),
        ("signed in", "web", {}, "consent"),
        ("signed in", "web", {"prompt": ("none",)}, ConsentRequired),
        ("signed in", "own", {}, "code"),
        ("signed in", "own", {"prompt": ("none",)}, "code"),
        ("signed in, consented", "web", {}, "code"),
        ("signed in, consented", "web", {"prompt": ("login",)}, "login"),
        ("signed in, consented", "web", {"prompt": ("login", "none")}, LoginRequired),
        ("signed in, consented", "web", {"id_token_hint_sub": "someone-else"}, "login"),
        ("signed in, consented", "spa", {}, "consent"),  # RFC 8252 §8.6
    ],
)
def test_decide(
    provider: Provider,
    runtime: Runtime,
    case: str,
    client_id: str,
    fields: dict[str, Any],
    expected: str | type[OAuthError],
) -> None:
    browser = BrowserState(session=None, user=None, binding=BINDING)
    if case.startswith("signed in"):
        browser = signed_in(runtime, "alice")
    if case.endswith("consented"):
        assert browser.user is not None
        scopes = frozenset({"openid", "email"})
        provider.consents.grant(browser.user.id, client_id, scopes, provider.clock())
    request = request_for(client_id, **fields)
    if not isinstance(expected, str):
        with pytest.raises(expected) as caught:
            decide(provider, client(provider, client_id), request, browser)
        redirect = caught.value.redirect  # OIDC Core §3.1.2.6: to the client, with state
        assert redirect is not None
        assert (redirect.redirect_uri, redirect.state) == (request.redirect_uri, "st")
        assert "prompt=none" in caught.value.description
        return
    outcome = decide(provider, client(provider, client_id), request, browser)
    if expected == "code":
        assert isinstance(outcome, RedirectToClient)
        assert query_of(outcome.location)["code"]
        return
    assert isinstance(outcome, InteractionNeeded)
    assert outcome.kind == expected
    stored = provider.interactions.get(sha256_digest(outcome.interaction_id), provider.clock())
    assert stored is not None and stored.browser_hash == BINDING
    assert AuthorizationRequest.from_dict(stored.request) == request


def test_signing_in_as_another_user_than_the_hint_names_is_login_required(
    provider: Provider, runtime: Runtime
) -> None:
    """OIDC Core §3.1.2.1: the person signed in, but as someone the client did not expect."""
    request = request_for(id_token_hint_sub="someone-else")
    interaction = _interaction(provider, request, login_completed_at=provider.clock())
    browser = replace(signed_in(runtime, "bob"), interaction=interaction)
    with pytest.raises(LoginRequired, match="not the one id_token_hint names") as caught:
        decide(provider, client(provider, "web"), request, browser)
    assert caught.value.redirect is not None


def test_an_interaction_completes_once(provider: Provider, runtime: Runtime) -> None:
    """Two submissions of the same finished interaction: one code, then an error that stays
    at gatehouse."""
    request = request_for("own")
    interaction = _interaction(provider, request, login_completed_at=provider.clock())
    browser = replace(signed_in(runtime, "alice"), interaction=interaction, interaction_id="i")
    first = decide(provider, client(provider, "own"), request, browser)
    assert isinstance(first, RedirectToClient)
    with pytest.raises(InvalidRequest, match="already completed") as caught:
        decide(provider, client(provider, "own"), request, browser)
    assert caught.value.redirect is None


def test_a_pause_while_resuming_keeps_the_interaction(provider: Provider, runtime: Runtime) -> None:
    request = request_for()
    interaction = _interaction(provider, request, login_completed_at=provider.clock())
    browser = replace(
        signed_in(runtime, "alice"), interaction=interaction, interaction_id="interaction-1"
    )
    outcome = decide(provider, client(provider, "web"), request, browser)
    assert isinstance(outcome, InteractionNeeded)
    assert (outcome.kind, outcome.interaction_id) == ("consent", "interaction-1")
    assert outcome.scopes_to_consent == ("openid", "email")
