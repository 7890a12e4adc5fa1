"""storage.sql.sign_outs and the back-channel logout queue, on SQLite and PostgreSQL: which
sessions a sign-out ends, what it revokes with them, whom it queues a logout for, in one
transaction; the clients of a session recorded once; purging."""

from __future__ import annotations

import threading

import pytest

from gatehouse.crypto import random_token, sha256_digest
from gatehouse.runtime import Runtime
from gatehouse.storage.records import SessionSelector
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.purge import purge_expired
from tests.support.factories import make_client, make_user
from tests.unit.storage.sql.test_repositories import (
    NOW,
    count,
    new_code,
    new_refresh_token,
    new_session,
)

RP = "https://rp.example.com/bc"


def session_with(runtime: Runtime, user_id: str, *client_ids: str, **fields: object) -> str:
    """A live session of ``user_id`` in which ``client_ids`` took part; its sid."""
    session = new_session(user_id, **fields)
    runtime.store.sessions.create(sha256_digest(random_token()), session)
    for client_id in client_ids:
        runtime.store.sessions.record_client(session.sid, client_id, NOW)
        runtime.store.sessions.record_client(session.sid, client_id, NOW)  # idempotent
    return session.sid


@pytest.fixture
def rp(runtime: Runtime) -> str:
    return str(make_client(runtime, "rp", backchannel_logout_uri=RP)["client_id"])


def test_ending_a_session_queues_a_logout_for_each_client_with_a_uri(
    runtime: Runtime, alice: str, web: str, rp: str
) -> None:
    sid = session_with(runtime, alice, web, rp)
    (ended,) = runtime.store.sessions.end_sessions(SessionSelector(sid=sid), NOW, "logout", "user")
    assert (ended.sid, ended.user_id) == (sid, alice)
    assert ended.client_ids == ("rp", "web") and ended.backchannel_client_ids == ("rp",)
    (delivery,) = runtime.store.logout_deliveries.list()
    assert (delivery.client_id, delivery.user_id, delivery.sid) == ("rp", alice, sid)
    assert (delivery.attempts, delivery.next_attempt_at, delivery.created_at) == (0, NOW, NOW)


def test_a_session_ended_twice_is_told_once(runtime: Runtime, alice: str, rp: str) -> None:
    sid = session_with(runtime, alice, rp)
    sessions = runtime.store.sessions
    assert sessions.end_sessions(SessionSelector(sid=sid), NOW, "logout", "user")
    assert (
        sessions.end_sessions(
            SessionSelector(user_id=alice), NOW + 1, "operator_sign_out", "operator"
        )
        == []
    )
    assert len(runtime.store.logout_deliveries.list()) == 1


def test_racing_sign_outs_of_one_session_queue_one_logout(
    runtime: Runtime, alice: str, rp: str
) -> None:
    sid = session_with(runtime, alice, rp)
    barrier = threading.Barrier(4)
    results: list[int] = []

    def end() -> None:
        barrier.wait()
        ended = runtime.store.sessions.end_sessions(SessionSelector(sid=sid), NOW, "logout", "user")
        results.append(len(ended))

    threads = [threading.Thread(target=end) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 0, 0, 1]
    assert len(runtime.store.logout_deliveries.list()) == 1


def test_a_user_sign_out_ends_every_live_session_and_no_expired_one(
    runtime: Runtime, alice: str, rp: str
) -> None:
    bob = str(make_user(runtime, "bob")["id"])
    first, second = session_with(runtime, alice, rp), session_with(runtime, alice)
    session_with(runtime, alice, rp, expires_at=NOW)  # ended by itself: not told again
    bobs = session_with(runtime, bob, rp)
    ended = runtime.store.sessions.end_sessions(
        SessionSelector(user_id=alice), NOW, "operator_sign_out", "operator"
    )
    assert sorted(s.sid for s in ended) == sorted([first, second])
    assert [d.sid for d in runtime.store.logout_deliveries.list()] == [first]
    assert runtime.store.sessions.active_by_sid(bobs, NOW, 1800)


def test_codes_of_the_session_are_revoked_and_offline_tokens_live_on(
    runtime: Runtime, alice: str, web: str
) -> None:
    sid = session_with(runtime, alice, web)
    unredeemed = new_code(web, alice, sid=sid, expires_at=NOW + 60)
    offline = new_refresh_token(web, alice, sid=None)
    runtime.store.codes.create(unredeemed)
    runtime.store.refresh_tokens.create(offline)
    runtime.store.sessions.end_sessions(SessionSelector(sid=sid), NOW, "logout", "user")
    code_state = runtime.store.codes.get_state(unredeemed.code_hash)
    assert code_state is not None and code_state.grant_revoked
    offline_state = runtime.store.refresh_tokens.get_state(offline.token_hash)
    assert offline_state is not None and not offline_state.family_revoked


def test_every_grant_of_the_user_goes_on_a_password_change(
    runtime: Runtime, alice: str, web: str
) -> None:
    offline = new_refresh_token(web, alice, sid=None)
    runtime.store.refresh_tokens.create(offline)
    which = SessionSelector(user_id=alice, every_grant=True)
    runtime.store.sessions.end_sessions(which, NOW, "password_changed", "operator")
    state = runtime.store.refresh_tokens.get_state(offline.token_hash)
    assert state is not None and state.family_revoked and state.token.revoked_at == NOW


def test_a_selector_names_sessions_one_coherent_way() -> None:
    with pytest.raises(ValueError, match="names id_hash, sid or user_id"):
        SessionSelector()
    with pytest.raises(ValueError, match="by id_hash names nothing else"):
        SessionSelector(id_hash="h", user_id="u")
    with pytest.raises(ValueError, match="except_sid goes with user_id alone"):
        SessionSelector(sid="s", user_id="u", except_sid="t")
    with pytest.raises(ValueError, match="except_sid goes with user_id alone"):
        SessionSelector(id_hash="h", except_sid="t")
    with pytest.raises(ValueError, match="every_grant"):
        SessionSelector(sid="s", every_grant=True)
    SessionSelector(sid="s", user_id="u")  # that session, only if it is that user's


def test_a_sid_with_a_user_ends_only_that_users_session(runtime: Runtime, alice: str) -> None:
    bobs = session_with(runtime, str(make_user(runtime, "bob")["id"]))
    which = SessionSelector(sid=bobs, user_id=alice)
    assert runtime.store.sessions.end_sessions(which, NOW, "account_sign_out", "user") == []
    assert runtime.store.sessions.active_by_sid(bobs, NOW, 1800)


def test_all_but_one_of_a_users_sessions_end(runtime: Runtime, alice: str) -> None:
    keep, first, second = (session_with(runtime, alice) for _ in range(3))
    which = SessionSelector(user_id=alice, except_sid=keep)
    ended = runtime.store.sessions.end_sessions(which, NOW, "account_sign_out", "user")
    assert sorted(s.sid for s in ended) == sorted([first, second])
    assert runtime.store.sessions.active_by_sid(keep, NOW, 1800)


def test_a_sign_out_that_rolls_back_queues_nothing(runtime: Runtime, alice: str, rp: str) -> None:
    sid = session_with(runtime, alice, rp)
    with pytest.raises(RuntimeError), runtime.database.atomic():
        runtime.store.sessions.end_sessions(SessionSelector(sid=sid), NOW, "logout", "user")
        raise RuntimeError("the rest of the change failed")
    assert runtime.store.logout_deliveries.list() == []
    assert runtime.store.sessions.active_by_sid(sid, NOW, 1800)


def test_a_queued_logout_wakes_this_process_only_after_it_was_queued(
    runtime: Runtime, alice: str, web: str, rp: str
) -> None:
    deliveries = runtime.store.logout_deliveries
    assert not deliveries.wait_for_queued(0)
    untold = session_with(runtime, alice, web)
    runtime.store.sessions.end_sessions(SessionSelector(sid=untold), NOW, "logout", "user")
    assert not deliveries.wait_for_queued(0)  # nobody to tell
    told = session_with(runtime, alice, rp)
    runtime.store.sessions.end_sessions(SessionSelector(sid=told), NOW, "logout", "user")
    assert deliveries.wait_for_queued(0)


def test_the_purge_keeps_pending_logouts_and_the_clients_of_live_sessions(
    runtime: Runtime, alice: str, rp: str
) -> None:
    deliveries = runtime.store.logout_deliveries
    live = session_with(runtime, alice, rp)
    for sid in (session_with(runtime, alice, rp) for _ in range(3)):
        runtime.store.sessions.end_sessions(SessionSelector(sid=sid), NOW, "logout", "user")
    delivered, abandoned = (deliveries.claim_due(NOW, NOW + 60) for _ in range(2))
    assert delivered is not None and abandoned is not None
    deliveries.mark_delivered(delivered, NOW)
    deliveries.abandon(abandoned, NOW, "gave up")
    deleted = purge_expired(runtime.database, NOW, 1800)
    assert deleted["backchannel_logouts"] == 2 and len(deliveries.list()) == 1
    # The ended sessions went, and the record of their clients with them.
    assert deleted["session_clients"] == 3
    assert count(runtime, t.session_clients) == 1 == count(runtime, t.session_clients, sid=live)


def test_deleting_a_client_deletes_its_logouts(runtime: Runtime, alice: str, rp: str) -> None:
    sid = session_with(runtime, alice, rp)
    runtime.store.sessions.end_sessions(SessionSelector(sid=sid), NOW, "logout", "user")
    assert runtime.store.clients.delete("rp")
    assert runtime.store.logout_deliveries.list() == []
    assert count(runtime, t.session_clients) == 0


def test_each_ended_session_is_an_audit_event_in_the_same_transaction(
    runtime: Runtime, alice: str, web: str, rp: str
) -> None:
    from gatehouse.storage.records import AuditQuery

    sid = session_with(runtime, alice, web, rp)
    with pytest.raises(RuntimeError), runtime.store.atomic():
        runtime.store.sessions.end_sessions(SessionSelector(sid=sid), NOW, "logout", "user")
        raise RuntimeError("the sign-out failed later")
    assert runtime.store.audit.list(AuditQuery(types=("session",))) == []
    runtime.store.sessions.end_sessions(
        SessionSelector(user_id=alice), NOW, "user_disabled", "operator"
    )
    (event,) = runtime.store.audit.list(AuditQuery(types=("session",)))
    assert (event.type, event.actor, event.user_id, event.occurred_at) == (
        "session.ended",
        "operator",
        alice,
        NOW,
    )
    assert event.details == {
        "sid": sid,
        "reason": "user_disabled",
        "clients": ["rp", "web"],
        "backchannel_logouts": ["rp"],
    }
