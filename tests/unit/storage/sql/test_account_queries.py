"""What the account page asks of storage, on SQLite and PostgreSQL: a person's live
sessions and their sign-out, offline tokens, consent withdrawal with the deny-list, and the
built-in client's registration."""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa

from gatehouse.accounts.consents import withdraw_consent
from gatehouse.accounts.sessions import end_other_sessions, end_session_of_user, sign_out
from gatehouse.crypto import random_token, sha256_digest
from gatehouse.protocol.account.client import ACCOUNT_CLIENT_ID, account_client
from gatehouse.runtime import Runtime
from gatehouse.storage.records import SessionSelector
from gatehouse.storage.sql import tables as t
from tests.support.factories import make_user
from tests.unit.storage.sql.test_repositories import (
    NOW,
    count,
    new_code,
    new_refresh_token,
    new_session,
)

IDLE = 1800


def _start(runtime: Runtime, user_id: str, **fields: object) -> str:
    session = new_session(user_id, **fields)
    runtime.store.sessions.create(sha256_digest(random_token()), session)
    return session.sid


def test_a_persons_live_sessions_are_listed_most_recently_seen_first(
    runtime: Runtime, alice: str
) -> None:
    bob = str(make_user(runtime, "bob")["id"])
    older = _start(runtime, alice, last_seen_at=NOW - 60)
    newer = _start(runtime, alice)
    _start(runtime, alice, last_seen_at=NOW - IDLE - 1)  # idle too long
    _start(runtime, alice, expires_at=NOW - 1)  # past its absolute lifetime
    _start(runtime, bob)
    sessions = runtime.store.sessions
    assert [s.sid for s in sessions.list_for_user(alice, NOW, IDLE)] == [newer, older]
    assert end_session_of_user(sessions, alice, older, NOW) is True
    assert end_session_of_user(sessions, alice, older, NOW) is False  # already ended
    assert [s.sid for s in sessions.list_for_user(alice, NOW, IDLE)] == [newer]


def test_a_session_is_ended_only_by_its_own_user(runtime: Runtime, alice: str) -> None:
    bob = str(make_user(runtime, "bob")["id"])
    bobs = _start(runtime, bob)
    assert end_session_of_user(runtime.store.sessions, alice, bobs, NOW) is False
    assert [s.sid for s in runtime.store.sessions.list_for_user(bob, NOW, IDLE)] == [bobs]


def test_ending_the_others_keeps_one_session_and_no_one_elses(runtime: Runtime, alice: str) -> None:
    bob = str(make_user(runtime, "bob")["id"])
    keep = _start(runtime, alice)
    _start(runtime, alice)
    _start(runtime, alice)
    bobs = _start(runtime, bob)
    assert end_other_sessions(runtime.store.sessions, alice, keep, NOW) == 2
    assert [s.sid for s in runtime.store.sessions.list_for_user(alice, NOW, IDLE)] == [keep]
    assert [s.sid for s in runtime.store.sessions.list_for_user(bob, NOW, IDLE)] == [bobs]


def test_ending_sessions_and_tokens_may_keep_one_session(
    runtime: Runtime, alice: str, web: str
) -> None:
    keep = _start(runtime, alice)
    _start(runtime, alice)
    token = new_refresh_token(web, alice, sid=keep)
    runtime.store.refresh_tokens.create(token)
    which = SessionSelector(user_id=alice, except_sid=keep, every_grant=True)
    sign_out(runtime.store.sessions, which, NOW, "password_changed", actor="user")
    assert [s.sid for s in runtime.store.sessions.list_for_user(alice, NOW, IDLE)] == [keep]
    state = runtime.store.refresh_tokens.get_state(token.token_hash)
    assert state is not None and state.family_revoked  # every grant, this session's too


def test_offline_tokens_are_the_live_ones_without_a_session_with_their_first_issue(
    runtime: Runtime, alice: str, web: str
) -> None:
    tokens = runtime.store.refresh_tokens
    first = new_refresh_token(web, alice, created_at=NOW - 500)
    tokens.create(first)
    successor = replace(first, token_hash=sha256_digest(random_token()), created_at=NOW - 100)
    assert tokens.rotate(first.token_hash, successor, NOW - 100)
    tokens.create(new_refresh_token(web, alice, sid="a-session"))  # online
    tokens.create(new_refresh_token(web, alice, expires_at=NOW - 1))  # expired
    tokens.create(new_refresh_token(web, alice, idle_expires_at=NOW - 1))  # idle too long
    revoked = new_refresh_token(web, alice)
    tokens.create(revoked)
    runtime.store.revocations.revoke_grant(revoked.grant_id, "test", NOW)
    [held] = tokens.offline_for_user(alice, NOW)
    assert held.token.token_hash == successor.token_hash
    assert held.first_issued_at == NOW - 500


def test_withdrawing_consent_denies_the_access_tokens_of_the_clients_grants(
    runtime: Runtime, alice: str, web: str
) -> None:
    store = runtime.store
    store.consents.grant(alice, web, frozenset({"openid"}), NOW)
    token = new_refresh_token(
        web, alice, access_token_jti="at-refresh", access_token_expires_at=NOW + 600
    )
    store.refresh_tokens.create(token)
    code = new_code(web, alice, grant_id=token.grant_id)
    store.codes.create(code)
    assert store.codes.consume(code.code_hash, NOW, "at-code", NOW + 600)
    expired = new_refresh_token(
        web, alice, access_token_jti="at-expired", access_token_expires_at=NOW - 1
    )
    store.refresh_tokens.create(expired)
    assert withdraw_consent(store.consents, store.refresh_tokens, alice, web, NOW) == 2
    assert store.revocations.is_access_token_denied("at-refresh")
    assert store.revocations.is_access_token_denied("at-code")
    assert not store.revocations.is_access_token_denied("at-expired")
    assert withdraw_consent(store.consents, store.refresh_tokens, alice, web, NOW) is None


def test_the_built_in_client_is_registered_and_kept_current_idempotently(
    runtime: Runtime,
) -> None:
    clients = runtime.store.clients
    clients.register_builtin(account_client("http://old.example", NOW - 100))
    clients.register_builtin(account_client("https://id.example.com", NOW))
    clients.register_builtin(account_client("https://id.example.com", NOW))
    stored = clients.get(ACCOUNT_CLIENT_ID)
    assert stored is not None
    assert stored.redirect_uris == ("https://id.example.com/account/callback",)
    assert stored.created_at == NOW - 100 and stored.updated_at == NOW
    assert count(runtime, t.clients, client_id=ACCOUNT_CLIENT_ID) == 1
    with runtime.database.read() as conn:
        secrets = conn.execute(
            sa.select(sa.func.count()).select_from(t.client_secrets)
        ).scalar_one()
    assert secrets == 0
