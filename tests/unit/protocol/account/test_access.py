"""protocol/account/access.py: the person withdraws an application's access (its consent
and refresh tokens) or its offline tokens, recorded in the audit log; what is not there to
revoke is refused with nothing changed."""

from __future__ import annotations

import pytest

from gatehouse.protocol.account.access import revoke_application, revoke_offline
from gatehouse.protocol.account.client import ACCOUNT_CLIENT_ID
from gatehouse.protocol.account.holder import AccountError, AccountHolder, Refusal
from gatehouse.protocol.provider import Provider
from gatehouse.runtime import Runtime
from gatehouse.storage.records import User
from tests.support.factories import make_user
from tests.support.flow import FakeClock
from tests.unit.protocol.account.conftest import ADDRESS, events, refresh_works
from tests.unit.protocol.conftest import Registered, issue, register, start_sso

OFFLINE = ("openid", "offline_access")


def consent(provider: Provider, user: User, client_id: str) -> None:
    provider.consents.grant(user.id, client_id, frozenset(OFFLINE), provider.clock())


def test_revoking_an_application_withdraws_its_consent_and_ends_its_tokens(
    runtime: Runtime,
    provider: Provider,
    clock: FakeClock,
    holder: AccountHolder,
    alice: User,
    web: Registered,
) -> None:
    other = register(runtime, "other")
    for client in (web, other):
        consent(provider, alice, client.client.client_id)
    sid = start_sso(provider, alice)
    tokens = [issue(provider, web.client, alice, OFFLINE).refresh_token for _ in range(2)]
    tokens.append(issue(provider, web.client, alice, ("openid",), sid=sid).refresh_token)
    kept = issue(provider, other.client, alice, OFFLINE).refresh_token

    assert revoke_application(provider, holder, "web") == 3

    assert provider.consents.get(alice.id, "web") is None
    assert provider.consents.get(alice.id, "other") is not None
    assert [refresh_works(provider, web, t) for t in tokens if t] == [False, False, False]
    assert kept is not None and refresh_works(provider, other, kept)
    (event,) = events(provider, "consent.revoked")
    assert (event.actor, event.user_id, event.client_id, event.ip) == (
        "user",
        alice.id,
        "web",
        ADDRESS,
    )
    assert (event.occurred_at, event.details) == (clock.now, {"refresh_tokens_revoked": 3})


@pytest.mark.parametrize("client_id", [None, "", "never-consented", ACCOUNT_CLIENT_ID, "web"])
def test_an_application_without_access_is_refused(
    provider: Provider, holder: AccountHolder, alice: User, web: Registered, client_id: str | None
) -> None:
    if client_id == "web":  # already revoked, in another tab
        consent(provider, alice, "web")
        revoke_application(provider, holder, "web")
    if client_id == ACCOUNT_CLIENT_ID:
        consent(provider, alice, ACCOUNT_CLIENT_ID)  # never listed, never revocable
    before = len(events(provider, "consent.revoked"))
    with pytest.raises(AccountError) as refused:
        revoke_application(provider, holder, client_id)
    assert (refused.value.section, refused.value.status) == ("applications", 404)
    assert refused.value.refusal == Refusal.NO_APPLICATION_ACCESS
    assert len(events(provider, "consent.revoked")) == before
    if client_id == ACCOUNT_CLIENT_ID:
        assert provider.consents.get(alice.id, ACCOUNT_CLIENT_ID) is not None


def test_revoking_offline_access_ends_each_offline_grant_of_the_application(
    runtime: Runtime,
    provider: Provider,
    clock: FakeClock,
    holder: AccountHolder,
    alice: User,
    web: Registered,
) -> None:
    other = register(runtime, "other")
    consent(provider, alice, "web")
    offline = [issue(provider, web.client, alice, OFFLINE).refresh_token for _ in range(2)]
    online = issue(provider, web.client, alice, ("openid",), sid=start_sso(provider, alice))
    kept = issue(provider, other.client, alice, OFFLINE).refresh_token

    assert revoke_offline(provider, holder, "web") == 2

    assert [refresh_works(provider, web, t) for t in offline if t] == [False, False]
    # A session's tokens and another application's offline ones stay; so does the consent.
    assert online.refresh_token is not None and refresh_works(provider, web, online.refresh_token)
    assert kept is not None and refresh_works(provider, other, kept)
    assert provider.consents.get(alice.id, "web") is not None
    held = provider.refresh_tokens.offline_for_user(alice.id, clock.now)
    assert {h.token.client_id for h in held} == {"other"}
    (event,) = events(provider, "token.revoked")
    assert (event.user_id, event.client_id, event.ip) == (alice.id, "web", ADDRESS)
    assert event.details == {
        "token_type": "refresh_token",
        "how": "account_page_offline",
        "grants": 2,
    }


@pytest.mark.parametrize(
    "case", ["no application", "only session tokens", "another app's", "bob's"]
)
def test_an_application_without_offline_access_is_refused(
    runtime: Runtime, provider: Provider, holder: AccountHolder, alice: User, web: Registered,
    case: str,
) -> None:  # fmt: skip
    other = register(runtime, "other")
    bob = provider.users.get(str(make_user(runtime, "bob")["id"]))
    assert bob is not None
    issue(provider, web.client, alice, ("openid",), sid=start_sso(provider, alice))
    held = {
        "another app's": issue(provider, other.client, alice, OFFLINE),
        "bob's": issue(provider, web.client, bob, OFFLINE),
    }.get(case)
    with pytest.raises(AccountError) as refused:
        revoke_offline(provider, holder, None if case == "no application" else "web")
    assert (refused.value.section, refused.value.status) == ("offline", 404)
    assert refused.value.refusal == Refusal.NO_OFFLINE_ACCESS
    assert events(provider, "token.revoked") == []
    if held is not None and held.refresh_token is not None:
        client = other if case == "another app's" else web
        assert refresh_works(provider, client, held.refresh_token)
