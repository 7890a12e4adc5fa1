"""protocol/account/profile.py: the person's own profile claims and password. What changes
is written with its audit event; what breaks a rule is refused with words for the form and
nothing written."""

from __future__ import annotations

import pytest

from gatehouse.accounts.passwords import PasswordProblem, PasswordRule
from gatehouse.accounts.profile import ProfileRule
from gatehouse.protocol.account.holder import AccountError, AccountHolder, Refusal
from gatehouse.protocol.account.profile import change_password, update_profile
from gatehouse.protocol.account.signin import ReauthenticationRequired
from gatehouse.protocol.provider import Provider
from gatehouse.runtime import Runtime
from gatehouse.storage.records import User
from tests.support.factories import PASSWORD
from tests.support.flow import FakeClock
from tests.unit.protocol.account.conftest import (
    ADDRESS,
    browser_session,
    events,
    live_session,
    refresh_works,
)
from tests.unit.protocol.conftest import Registered, issue, start_sso

NEW = "a brand new passphrase 42"


def stored(provider: Provider, user: User) -> User:
    found = provider.users.get(user.id)
    assert found is not None
    return found


# -- The profile --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "changed", "claims"),
    [
        ({"name": "Alice"}, [], {"name": "Alice", "given_name": None}),  # as it was
        (
            {"name": "  Alice Liddell ", "given_name": "Alice", "family_name": "Liddell"},
            ["name", "given_name", "family_name"],
            {"name": "Alice Liddell", "given_name": "Alice", "family_name": "Liddell"},
        ),
        ({"name": "", "phone_number": "+44 20 7946 0000"}, ["name", "phone_number"],
         {"name": None, "phone_number": "+44 20 7946 0000"}),  # blank clears
        ({}, ["name"], {"name": None}),  # a claim missing from the form is cleared too
        ({"name": "Alice", "email": "mallory@example.com"}, [], {"email": "alice@example.com"}),
    ],
)  # fmt: skip
def test_the_profile_form_sets_the_claims_a_person_may_edit(
    provider: Provider,
    clock: FakeClock,
    holder: AccountHolder,
    alice: User,
    form: dict[str, str | None],
    changed: list[str],
    claims: dict[str, str | None],
) -> None:
    assert update_profile(provider, holder, form) == changed
    user = stored(provider, alice)
    assert {name: getattr(user, name) for name in claims} == claims
    recorded = events(provider, "account.profile_updated")
    if changed:
        (event,) = recorded
        assert (event.user_id, event.ip, event.details) == (alice.id, ADDRESS, {"fields": changed})
    else:
        assert recorded == []


@pytest.mark.parametrize(
    ("form", "claim", "rule"),
    [
        ({"name": "x" * 256}, "name", ProfileRule.TOO_LONG),
        (
            {"name": "Alice", "family_name": "Lid\u200bdell"},
            "family_name",
            ProfileRule.HOSTILE_CHARACTERS,
        ),
    ],
)
def test_a_claim_that_breaks_a_rule_saves_nothing(
    provider: Provider,
    holder: AccountHolder,
    alice: User,
    form: dict[str, str],
    claim: str,
    rule: ProfileRule,
) -> None:
    with pytest.raises(AccountError) as refused:
        update_profile(provider, holder, {**form, "given_name": "Changed"})
    assert (refused.value.section, refused.value.status) == ("profile", 400)
    assert refused.value.refusal == Refusal.PROFILE_RULE and refused.value.profile is not None
    assert (refused.value.profile.claim, refused.value.profile.rule) == (claim, rule)
    assert stored(provider, alice).given_name is None
    assert events(provider, "account.profile_updated") == []


# -- The password --------------------------------------------------------------------------------


@pytest.mark.parametrize("remember_me", [False, True])
def test_a_new_password_ends_every_other_session_and_grant_and_renews_this_one(
    runtime: Runtime,
    provider: Provider,
    clock: FakeClock,
    alice: User,
    web: Registered,
    remember_me: bool,
) -> None:
    cookie, session = browser_session(provider, alice, remember_me=remember_me)
    holder = AccountHolder(alice, session, cookie, ADDRESS)
    other_cookie, _ = browser_session(provider, alice)
    offline = issue(provider, web.client, alice, ("openid", "offline_access")).refresh_token
    mine = issue(provider, web.client, alice, ("openid",), sid=session.sid).refresh_token
    clock.advance(30)

    new_cookie, max_age = change_password(provider, runtime.passwords, holder, PASSWORD, NEW, NEW)

    assert runtime.passwords.verify(stored(provider, alice).password_hash, NEW)
    assert not runtime.passwords.verify(stored(provider, alice).password_hash, PASSWORD)
    renewed = live_session(provider, new_cookie)
    assert renewed is not None and new_cookie != cookie
    assert (renewed.sid, renewed.auth_time, renewed.remember_me) == (
        session.sid,
        clock.now,
        remember_me,
    )
    assert (renewed.amr, renewed.device) == (session.amr, "Firefox")
    assert max_age == (provider.config.remember_me_absolute_lifetime if remember_me else None)
    assert live_session(provider, cookie) is None  # the old value is worth nothing
    assert live_session(provider, other_cookie) is None
    assert offline is not None and not refresh_works(provider, web, offline)
    assert mine is not None and not refresh_works(provider, web, mine)
    (event,) = events(provider, "account.password_changed")
    assert (event.actor, event.user_id, event.ip, event.occurred_at) == (
        "user",
        alice.id,
        ADDRESS,
        clock.now,
    )
    ended = events(provider, "session.ended")
    assert [e.details["reason"] for e in ended] == ["password_changed"]


@pytest.mark.parametrize(
    ("current", "new", "confirmation", "refusal"),
    [
        ("not my password", NEW, NEW, Refusal.WRONG_PASSWORD),
        (PASSWORD, NEW, NEW + "!", Refusal.CONFIRMATION_DIFFERS),
        (PASSWORD, "short", "short", Refusal.WEAK_PASSWORD),
    ],
)
def test_a_password_change_that_breaks_a_rule_changes_nothing(
    runtime: Runtime,
    provider: Provider,
    holder: AccountHolder,
    alice: User,
    current: str,
    new: str,
    confirmation: str,
    refusal: Refusal,
) -> None:
    other_cookie, _ = browser_session(provider, alice)
    with pytest.raises(AccountError) as refused:
        change_password(provider, runtime.passwords, holder, current, new, confirmation)
    assert refused.value.section == "password"
    assert refused.value.refusal == refusal
    if refusal == Refusal.WEAK_PASSWORD:
        assert refused.value.password == PasswordProblem(PasswordRule.TOO_SHORT, 8)
    assert runtime.passwords.verify(stored(provider, alice).password_hash, PASSWORD)
    assert live_session(provider, other_cookie) is not None
    assert live_session(provider, holder.session_cookie) is not None
    assert events(provider, "account.password_changed") == []


def test_a_password_change_needs_a_recent_sign_in(
    runtime: Runtime, provider: Provider, clock: FakeClock, holder: AccountHolder, alice: User
) -> None:
    start_sso(provider, alice)
    clock.advance(301)
    with pytest.raises(ReauthenticationRequired):
        change_password(provider, runtime.passwords, holder, PASSWORD, NEW, NEW)
    assert runtime.passwords.verify(stored(provider, alice).password_hash, PASSWORD)
    assert events(provider, "account.password_changed") == []
