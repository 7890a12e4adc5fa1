"""protocol/account/security.py: the person signs out one of their sessions, or every one
but this browser's (after a recent sign-in); never someone else's."""

from __future__ import annotations

import pytest

from gatehouse.protocol.account.holder import AccountError, AccountHolder, Refusal
from gatehouse.protocol.account.security import end_others, end_session
from gatehouse.protocol.account.signin import ReauthenticationRequired
from gatehouse.protocol.provider import Provider
from gatehouse.runtime import Runtime
from gatehouse.storage.records import User
from tests.support.factories import make_user
from tests.support.flow import FakeClock
from tests.unit.protocol.account.conftest import (
    browser_session,
    events,
    live_session,
    refresh_works,
)
from tests.unit.protocol.conftest import Registered, issue


def _bob(runtime: Runtime) -> User:
    bob = runtime.store.users.get(str(make_user(runtime, "bob")["id"]))
    assert bob is not None
    return bob


@pytest.mark.parametrize("whose", ["another of hers", "this browser's"])
def test_ending_one_session(
    provider: Provider, holder: AccountHolder, alice: User, whose: str
) -> None:
    other_cookie, other = browser_session(provider, alice)
    own = whose == "this browser's"
    sid = holder.session.sid if own else other.sid
    assert end_session(provider, holder, sid) is own
    assert (live_session(provider, holder.session_cookie) is None) is own
    assert (live_session(provider, other_cookie) is None) is not own
    (ended,) = events(provider, "session.ended")
    assert (ended.user_id, ended.details["reason"]) == (alice.id, "account_sign_out")


@pytest.mark.parametrize("case", ["none", "empty", "unknown", "bob's", "already ended"])
def test_a_session_that_is_not_hers_or_not_live_is_refused(
    runtime: Runtime, provider: Provider, holder: AccountHolder, alice: User, case: str
) -> None:
    bobs_cookie, bobs = browser_session(provider, _bob(runtime))
    _, other = browser_session(provider, alice)
    if case == "already ended":
        end_session(provider, holder, other.sid)
    sid = {"none": None, "empty": "", "unknown": "0" * 32, "bob's": bobs.sid}.get(case, other.sid)
    before = len(events(provider, "session.ended"))
    with pytest.raises(AccountError) as refused:
        end_session(provider, holder, sid)
    assert (refused.value.section, refused.value.status) == ("sessions", 404)
    assert refused.value.refusal == Refusal.NO_SUCH_SESSION
    assert live_session(provider, bobs_cookie) is not None
    assert len(events(provider, "session.ended")) == before


def test_ending_every_other_session_keeps_this_one_and_the_offline_tokens(
    runtime: Runtime,
    provider: Provider,
    clock: FakeClock,
    holder: AccountHolder,
    alice: User,
    web: Registered,
) -> None:
    others = [browser_session(provider, alice) for _ in range(2)]
    bobs_cookie, _ = browser_session(provider, _bob(runtime))
    offline = issue(provider, web.client, alice, ("openid", "offline_access"))
    online = issue(provider, web.client, alice, ("openid",), sid=others[0][1].sid)

    assert end_others(provider, holder) == 2

    assert [live_session(provider, cookie) for cookie, _ in others] == [None, None]
    assert live_session(provider, holder.session_cookie) is not None
    assert live_session(provider, bobs_cookie) is not None
    assert len(provider.refresh_tokens.offline_for_user(alice.id, clock.now)) == 1
    assert offline.refresh_token is not None and online.refresh_token is not None
    assert refresh_works(provider, web, offline.refresh_token)
    assert not refresh_works(provider, web, online.refresh_token)
    ended = events(provider, "session.ended")
    assert sorted(e.details["sid"] for e in ended) == sorted(s.sid for _, s in others)
    assert end_others(provider, holder) == 0


def test_ending_every_other_session_needs_a_recent_sign_in(
    provider: Provider, clock: FakeClock, holder: AccountHolder, alice: User
) -> None:
    other_cookie, _ = browser_session(provider, alice)
    clock.advance(301)
    with pytest.raises(ReauthenticationRequired):
        end_others(provider, holder)
    assert live_session(provider, other_cookie) is not None
