"""storage.sql.purge: what has expired goes, what can still change an answer stays, on
SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from gatehouse.crypto import random_token, sha256_digest
from gatehouse.runtime import Runtime
from gatehouse.storage.records import SessionSelector
from gatehouse.storage.sql import purge
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.purge import CODE_REPLAY_WINDOW, purge_expired
from tests.unit.storage.sql.test_repositories import (
    NOW,
    count,
    new_code,
    new_interaction,
    new_refresh_token,
    new_session,
)

IDLE = 1800


def test_expired_codes_go_a_day_after_their_expiry(runtime: Runtime, alice: str, web: str) -> None:
    """Kept a day past expiry: a late replay of a redeemed code still revokes its tokens."""
    old = new_code(web, alice, expires_at=NOW - CODE_REPLAY_WINDOW - 1)
    recent = new_code(web, alice, expires_at=NOW - 60)
    for code in (old, recent):
        runtime.store.codes.create(code)
    deleted = purge_expired(runtime.database, NOW, IDLE)
    assert deleted["authorization_codes"] == 1
    assert runtime.store.codes.get(old.code_hash) is None
    assert runtime.store.codes.get(recent.code_hash) is not None


def test_sessions_go_once_ended_expired_or_idle(runtime: Runtime, alice: str) -> None:
    sessions = runtime.store.sessions
    alive, ended, expired, idle = (sha256_digest(random_token()) for _ in range(4))
    sessions.create(alive, new_session(alice))
    sessions.create(ended, new_session(alice))
    sessions.end_sessions(SessionSelector(id_hash=ended), NOW, "logout", "user")
    sessions.create(expired, new_session(alice, expires_at=NOW))
    sessions.create(idle, new_session(alice, last_seen_at=NOW - IDLE))
    assert purge_expired(runtime.database, NOW, IDLE)["sso_sessions"] == 3
    assert sessions.get_active(alive, NOW, IDLE) is not None
    assert count(runtime, t.sso_sessions) == 1


def test_refresh_tokens_stay_until_their_absolute_expiry(
    runtime: Runtime, alice: str, web: str
) -> None:
    """A used or idle-expired token stays while its family lives: shown again, it is reuse."""
    refresh = runtime.store.refresh_tokens
    idle_but_family_alive = new_refresh_token(web, alice, idle_expires_at=NOW - 1)
    dead = new_refresh_token(web, alice, expires_at=NOW)
    for token in (idle_but_family_alive, dead):
        refresh.create(token)
    assert purge_expired(runtime.database, NOW, IDLE)["refresh_tokens"] == 1
    assert refresh.get(idle_but_family_alive.token_hash) is not None
    assert refresh.get(dead.token_hash) is None


def test_a_grant_marker_goes_with_the_last_row_of_its_grant(
    runtime: Runtime, alice: str, web: str
) -> None:
    live = new_refresh_token(web, alice)
    dead = new_refresh_token(web, alice, expires_at=NOW)
    for token in (live, dead):
        runtime.store.refresh_tokens.create(token)
        runtime.store.revocations.revoke_grant(token.grant_id, "test", NOW - 10)
    assert purge_expired(runtime.database, NOW, IDLE)["revoked_grants"] == 1
    state = runtime.store.refresh_tokens.get_state(live.token_hash)
    assert state is not None and state.family_revoked, "a live row keeps its marker"


def test_deny_list_entries_and_interactions_go_when_they_expire(runtime: Runtime, web: str) -> None:
    revocations = runtime.store.revocations
    revocations.deny_access_token("expired-jti", NOW)
    revocations.deny_access_token("live-jti", NOW + 60)
    runtime.store.interactions.create(new_interaction(web, expires_at=NOW))
    kept = new_interaction(web)
    runtime.store.interactions.create(kept)
    deleted = purge_expired(runtime.database, NOW, IDLE)
    assert deleted["revoked_access_tokens"] == 1 and deleted["interactions"] == 1
    assert revocations.is_access_token_denied("live-jti")
    assert not revocations.is_access_token_denied("expired-jti")
    assert runtime.store.interactions.get(kept.id_hash, NOW - 1) is not None


def test_many_rows_go_in_batches(
    runtime: Runtime, web: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(purge, "BATCH", 3)
    for _ in range(8):
        runtime.store.interactions.create(new_interaction(web, expires_at=NOW))
    assert purge_expired(runtime.database, NOW, IDLE)["interactions"] == 8
    assert count(runtime, t.interactions) == 0


def test_a_purge_asked_to_stop_stops_between_batches(
    runtime: Runtime, web: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(purge, "BATCH", 2)
    for _ in range(5):
        runtime.store.interactions.create(new_interaction(web, expires_at=NOW))

    def one_batch_went() -> bool:
        return count(runtime, t.interactions) < 5

    deleted = purge_expired(runtime.database, NOW, IDLE, should_stop=one_batch_went)
    assert deleted["interactions"] == 2
    assert count(runtime, t.interactions) == 3


def test_dpop_proofs_are_remembered_until_they_expire(runtime: Runtime) -> None:
    """RFC 9449 §11.1: a proof's jti is needed only while the proof could be accepted."""
    proofs = runtime.store.dpop_proofs
    assert proofs.record("expired", NOW - 1) and proofs.record("live", NOW + 60)
    assert not proofs.record("live", NOW + 60)  # a replay fails at the INSERT
    assert purge_expired(runtime.database, NOW, IDLE)["used_dpop_proofs"] == 1
    assert count(runtime, t.used_dpop_proofs) == 1
    assert proofs.record("expired", NOW + 60)  # gone, so no longer a replay
