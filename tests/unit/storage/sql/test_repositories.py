"""The storage contracts of storage.repositories, on the SQL implementation, on SQLite and
PostgreSQL. Each test states one contract from a docstring there."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa

from gatehouse.admin.users import find_user
from gatehouse.crypto import random_token, sha256_digest
from gatehouse.runtime import Runtime
from gatehouse.storage.errors import AlreadyExists
from gatehouse.storage.records import (
    AuthorizationCode,
    Interaction,
    RefreshToken,
    SessionSelector,
    SsoSession,
)
from gatehouse.storage.sql import tables as t
from tests.support.factories import make_client, make_user

NOW = int(time.time())


def new_code(client_id: str, user_id: str, **fields: Any) -> AuthorizationCode:
    values: dict[str, Any] = {
        "code_hash": sha256_digest(random_token()),
        "grant_id": str(uuid.uuid4()),
        "client_id": client_id,
        "user_id": user_id,
        "sid": None,
        "redirect_uri": "https://app.example.com/callback",
        "redirect_uri_given": True,
        "scopes": ("openid",),
        "nonce": None,
        "code_challenge": None,
        "auth_time": NOW,
        "amr": ("pwd",),
        "acr": None,
        "created_at": NOW,
        "expires_at": NOW + 60,
    }
    values.update(fields)
    return AuthorizationCode(**values)


def new_refresh_token(client_id: str, user_id: str, **fields: Any) -> RefreshToken:
    values: dict[str, Any] = {
        "token_hash": sha256_digest(random_token()),
        "grant_id": str(uuid.uuid4()),
        "client_id": client_id,
        "user_id": user_id,
        "sid": None,
        "scopes": ("openid", "offline_access"),
        "auth_time": NOW,
        "amr": ("pwd",),
        "acr": None,
        "created_at": NOW,
        "idle_expires_at": NOW + 3600,
        "expires_at": NOW + 7200,
    }
    values.update(fields)
    return RefreshToken(**values)


def new_interaction(client_id: str, **fields: Any) -> Interaction:
    values: dict[str, Any] = {
        "id_hash": sha256_digest(random_token()),
        "client_id": client_id,
        "request": {"client_id": client_id, "scope": "openid"},
        "created_at": NOW,
        "expires_at": NOW + 900,
        "login_completed_at": None,
        "consent_given": False,
    }
    values.update(fields)
    return Interaction(**values)


def new_session(user_id: str, **fields: Any) -> SsoSession:
    values: dict[str, Any] = {
        "sid": uuid.uuid4().hex,
        "user_id": user_id,
        "auth_time": NOW,
        "amr": ("pwd",),
        "acr": None,
        "created_at": NOW,
        "last_seen_at": NOW,
        "expires_at": NOW + 36000,
    }
    values.update(fields)
    return SsoSession(**values)


def count(runtime: Runtime, table: sa.Table, **where: Any) -> int:
    with runtime.database.read() as conn:
        query = sa.select(sa.func.count()).select_from(table)
        for column, value in where.items():
            query = query.where(table.c[column] == value)
        return int(conn.execute(query).scalar_one())


# -- authorization codes ------------------------------------------------------------------------


def test_a_code_is_consumed_exactly_once(runtime: Runtime, alice: str, web: str) -> None:
    codes = runtime.store.codes
    code = new_code(web, alice)
    codes.create(code)
    assert codes.consume(code.code_hash, NOW + 1, "jti-1", NOW + 3600) is True
    assert codes.consume(code.code_hash, NOW + 2, "jti-2", NOW + 3600) is False
    stored = codes.get(code.code_hash)
    assert stored is not None
    # The first redemption is what is recorded, so a replay can revoke what it issued.
    assert (stored.used_at, stored.access_token_jti) == (NOW + 1, "jti-1")


def test_consuming_an_unknown_code_fails(runtime: Runtime) -> None:
    assert runtime.store.codes.consume(sha256_digest("nope"), NOW, "j", NOW) is False
    assert runtime.store.codes.get(sha256_digest("nope")) is None


def test_racing_redemptions_have_exactly_one_winner(runtime: Runtime, alice: str, web: str) -> None:
    code = new_code(web, alice)
    runtime.store.codes.create(code)
    results: list[bool] = []
    barrier = threading.Barrier(6)

    def redeem(n: int) -> None:
        barrier.wait()
        results.append(runtime.store.codes.consume(code.code_hash, NOW, f"jti-{n}", NOW + 60))

    threads = [threading.Thread(target=redeem, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 5 + [True]


def test_codes_are_stored_only_as_hashes(runtime: Runtime, alice: str, web: str) -> None:
    raw = random_token()
    runtime.store.codes.create(new_code(web, alice, code_hash=sha256_digest(raw)))
    with runtime.database.read() as conn:
        stored = conn.execute(sa.select(t.authorization_codes.c.code_hash)).scalars().all()
    assert stored == [sha256_digest(raw)]


# -- interactions -------------------------------------------------------------------------------


def test_an_interaction_completes_exactly_once(runtime: Runtime, web: str) -> None:
    interactions = runtime.store.interactions
    interaction = new_interaction(web)
    interactions.create(interaction)
    assert interactions.get(interaction.id_hash, NOW) == interaction
    interactions.mark_login(interaction.id_hash, NOW + 5)
    interactions.mark_consent(interaction.id_hash, ("openid", "email"))
    resumed = interactions.get(interaction.id_hash, NOW + 6)
    assert resumed is not None
    assert (resumed.login_completed_at, resumed.consent_given) == (NOW + 5, True)
    assert resumed.granted_scopes == ("openid", "email")
    assert interactions.complete(interaction.id_hash, NOW + 7) is True
    assert interactions.complete(interaction.id_hash, NOW + 8) is False
    assert interactions.get(interaction.id_hash, NOW + 8) is None


def test_a_completed_interaction_is_found_until_it_expires(runtime: Runtime, web: str) -> None:
    """get_completed: the browser came back to a finished sign-in (web pages restart it)."""
    interactions = runtime.store.interactions
    interaction = new_interaction(web)
    interactions.create(interaction)
    assert interactions.get_completed(interaction.id_hash, NOW) is None  # not completed yet
    interactions.complete(interaction.id_hash, NOW + 1)
    assert interactions.get_completed(interaction.id_hash, NOW + 2) == interaction
    assert interactions.get_completed(interaction.id_hash, interaction.expires_at) is None
    assert interactions.get_completed("another-hash", NOW + 2) is None


def test_a_completed_interaction_cannot_be_marked_again(runtime: Runtime, web: str) -> None:
    interactions = runtime.store.interactions
    interaction = new_interaction(web)
    interactions.create(interaction)
    interactions.complete(interaction.id_hash, NOW)
    interactions.mark_consent(interaction.id_hash, ("openid",))
    with runtime.database.read() as conn:
        consent_given = conn.execute(sa.select(t.interactions.c.consent_given)).scalar_one()
    assert not consent_given


def test_an_expired_interaction_is_gone(runtime: Runtime, web: str) -> None:
    interaction = new_interaction(web, expires_at=NOW + 900)
    runtime.store.interactions.create(interaction)
    assert runtime.store.interactions.get(interaction.id_hash, NOW + 899) is not None
    assert runtime.store.interactions.get(interaction.id_hash, NOW + 900) is None


# -- consents -----------------------------------------------------------------------------------


def test_consent_grants_accumulate_as_a_union(runtime: Runtime, alice: str, web: str) -> None:
    consents = runtime.store.consents
    assert consents.get(alice, web) is None
    first = consents.grant(alice, web, frozenset({"openid", "profile"}), NOW)
    assert first.scopes == {"openid", "profile"}
    second = consents.grant(alice, web, frozenset({"email", "openid"}), NOW + 10)
    assert second.scopes == {"openid", "profile", "email"}
    assert second.granted_at == NOW  # first granted then; only the scopes grew
    stored = consents.get(alice, web)
    assert stored is not None
    assert stored.scopes == {"openid", "profile", "email"}
    # Granting less never takes anything away.
    assert consents.grant(alice, web, frozenset({"openid"}), NOW + 20).scopes == stored.scopes


def test_consents_are_per_user_and_client(runtime: Runtime, alice: str, web: str) -> None:
    bob = str(make_user(runtime, "bob")["id"])
    make_client(runtime, "other")
    runtime.store.consents.grant(alice, web, frozenset({"openid"}), NOW)
    assert runtime.store.consents.get(bob, web) is None
    assert runtime.store.consents.get(alice, "other") is None


def test_a_consent_remembers_what_was_left_out_and_the_latest_answer_wins(
    runtime: Runtime, alice: str, web: str
) -> None:
    consents = runtime.store.consents
    first = consents.grant(alice, web, frozenset({"openid"}), NOW, frozenset({"email", "phone"}))
    assert (first.scopes, first.declined_scopes) == ({"openid"}, {"email", "phone"})
    # Granting a scope left out before (prompt=consent) moves it; leaving out one granted
    # before moves it back.
    second = consents.grant(alice, web, frozenset({"email"}), NOW + 1, frozenset({"openid"}))
    assert (second.scopes, second.declined_scopes) == ({"email"}, {"openid", "phone"})
    assert consents.get(alice, web) == second
    assert consents.list_for_user(alice) == [second]


# -- SSO sessions -------------------------------------------------------------------------------

IDLE = 1800


def test_a_session_is_active_within_its_idle_window(runtime: Runtime, alice: str) -> None:
    sessions = runtime.store.sessions
    session = new_session(alice, last_seen_at=NOW)
    sessions.create("h1", session)
    assert sessions.get_active("h1", NOW + IDLE - 1, IDLE) == session
    assert sessions.get_active("h1", NOW + IDLE, IDLE) is None


def test_touch_extends_the_idle_window(runtime: Runtime, alice: str) -> None:
    sessions = runtime.store.sessions
    sessions.create("h1", new_session(alice, last_seen_at=NOW))
    sessions.touch("h1", NOW + IDLE - 10)
    active = sessions.get_active("h1", NOW + IDLE + 100, IDLE)
    assert active is not None
    assert active.last_seen_at == NOW + IDLE - 10


def test_touch_never_extends_the_absolute_lifetime(runtime: Runtime, alice: str) -> None:
    sessions = runtime.store.sessions
    sessions.create("h1", new_session(alice, expires_at=NOW + 3600))
    sessions.touch("h1", NOW + 3599)
    assert sessions.get_active("h1", NOW + 3599, IDLE) is not None
    sessions.touch("h1", NOW + 3600)
    assert sessions.get_active("h1", NOW + 3600, IDLE) is None


def test_an_ended_session_stays_ended(runtime: Runtime, alice: str) -> None:
    sessions = runtime.store.sessions
    sessions.create("h1", new_session(alice))
    sessions.end_sessions(SessionSelector(id_hash="h1"), NOW + 1, "logout", "user")
    assert sessions.get_active("h1", NOW + 2, IDLE) is None
    sessions.touch("h1", NOW + 3)
    # ending twice is harmless
    assert sessions.end_sessions(SessionSelector(id_hash="h1"), NOW + 4, "logout", "user") == []
    assert sessions.get_active("h1", NOW + 5, IDLE) is None
    with runtime.database.read() as conn:
        assert conn.execute(sa.select(t.sso_sessions.c.ended_at)).scalar_one() == NOW + 1


def test_sessions_are_found_only_by_their_hash(runtime: Runtime, alice: str) -> None:
    session = new_session(alice)
    runtime.store.sessions.create("h1", session)
    assert runtime.store.sessions.get_active(session.sid, NOW, IDLE) is None
    assert runtime.store.sessions.get_active("h2", NOW, IDLE) is None


def test_a_session_keeps_its_own_idle_lifetime(runtime: Runtime, alice: str) -> None:
    """A session records the idle lifetime it started with; the one the caller passes is
    only for sessions that recorded none (started before gatehouse recorded it)."""
    sessions = runtime.store.sessions
    remembered = new_session(alice, expires_at=NOW + 30 * 86400, idle_lifetime=14 * 86400)
    sessions.create("h1", remembered)
    assert sessions.get_active("h1", NOW + 14 * 86400 - 1, IDLE) == remembered
    assert sessions.active_by_sid(remembered.sid, NOW + 14 * 86400 - 1, IDLE)
    assert sessions.get_active("h1", NOW + 14 * 86400, IDLE) is None
    short = new_session(alice, idle_lifetime=60)
    sessions.create("h2", short)
    assert sessions.get_active("h2", NOW + 60, IDLE) is None


def test_a_session_records_remember_me_and_the_device(runtime: Runtime, alice: str) -> None:
    session = replace(new_session(alice), remember_me=True, device="Mozilla/5.0 (X11)")
    runtime.store.sessions.create("h1", session)
    found = runtime.store.sessions.get_active("h1", NOW, IDLE)
    assert found is not None and (found.remember_me, found.device) == (True, "Mozilla/5.0 (X11)")


def test_renew_keeps_the_sid_and_takes_the_new_sign_ins_lifetimes(
    runtime: Runtime, alice: str
) -> None:
    sessions = runtime.store.sessions
    session = new_session(alice, last_seen_at=NOW)
    sessions.create("h1", session)
    renewed = replace(
        session,
        sid="ignored",
        created_at=NOW + 100,
        auth_time=NOW + 100,
        last_seen_at=NOW + 100,
        expires_at=NOW + 100 + 30 * 86400,
        remember_me=True,
        idle_lifetime=14 * 86400,
        device="Firefox",
    )
    assert sessions.renew("h1", "h2", renewed, IDLE)
    found = sessions.get_active("h2", NOW + 100, IDLE)
    assert found == replace(renewed, sid=session.sid, created_at=session.created_at)
    assert sessions.get_active("h1", NOW + 100, IDLE) is None
    assert not sessions.renew("h2", "h3", replace(renewed, user_id="someone-else"), IDLE)


def test_a_users_live_sessions_are_listed_most_recent_first(runtime: Runtime, alice: str) -> None:
    sessions = runtime.store.sessions
    older = replace(new_session(alice, last_seen_at=NOW), sid="s-older")
    newer = replace(new_session(alice, last_seen_at=NOW + 5), sid="s-newer")
    ended = replace(new_session(alice, last_seen_at=NOW + 6), sid="s-ended")
    for id_hash, session in (("h1", older), ("h2", newer), ("h3", ended)):
        sessions.create(id_hash, session)
    sessions.end_sessions(SessionSelector(id_hash="h3"), NOW + 7, "logout", "user")
    assert [s.sid for s in sessions.list_for_user(alice, NOW + 10, IDLE)] == [
        "s-newer",
        "s-older",
    ]
    assert sessions.list_for_user(alice, NOW + IDLE + 5, IDLE) == []
    assert sessions.list_for_user("nobody", NOW, IDLE) == []


# -- revocations --------------------------------------------------------------------------------


def test_revoking_a_grant_is_idempotent_and_covers_later_tokens(
    runtime: Runtime, alice: str, web: str
) -> None:
    token = new_refresh_token(web, alice)
    runtime.store.refresh_tokens.create(token)
    revocations = runtime.store.revocations
    revocations.revoke_grant(token.grant_id, "reuse detected", NOW + 1)
    revocations.revoke_grant(token.grant_id, "logout", NOW + 2)
    with runtime.database.read() as conn:
        revoked_at = conn.execute(sa.select(t.refresh_tokens.c.revoked_at)).scalar_one()
        reasons = conn.execute(sa.select(t.revoked_grants.c.reason)).scalars().all()
    assert revoked_at == NOW + 1  # the first revocation stands
    assert reasons == ["reuse detected"]


def test_a_refresh_token_is_read_with_its_user_and_family_state(
    runtime: Runtime, alice: str, web: str
) -> None:
    token = new_refresh_token(web, alice)
    runtime.store.refresh_tokens.create(token)
    state = runtime.store.refresh_tokens.get_state(token.token_hash)
    assert state is not None
    assert state.token == token
    assert state.user is not None and state.user.id == alice
    assert state.family_revoked is False

    runtime.store.revocations.revoke_grant(token.grant_id, "logout", NOW + 1)
    later = new_refresh_token(web, alice, grant_id=token.grant_id)  # issued after: still dead
    runtime.store.refresh_tokens.create(later)
    state = runtime.store.refresh_tokens.get_state(later.token_hash)
    assert state is not None and state.family_revoked is True


def _wait_until_another_backend_waits_for_a_lock(runtime: Runtime) -> None:
    """PostgreSQL: until some other session is blocked on a row lock (bounded: 10 s)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with runtime.database.engine.connect() as conn:
            waiting = conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
        if waiting:
            return
        time.sleep(0.01)
    raise AssertionError("the revoking transaction never waited for the rotation's row lock")


def test_a_rotation_committing_during_a_consent_revocation_leaves_no_live_successor(
    runtime: Runtime, alice: str, web: str
) -> None:
    """revoke_for's UPDATE waits for the row the rotation locked, and on PostgreSQL it cannot
    see the successor the rotation inserted; the grant goes on the revoked list too, so the
    successor is dead all the same. (On SQLite the writes are serialised: same outcome.)"""
    token = new_refresh_token(web, alice)
    runtime.store.refresh_tokens.create(token)
    successor = new_refresh_token(web, alice, grant_id=token.grant_id)
    revoker = threading.Thread(
        target=runtime.store.refresh_tokens.revoke_for, args=(alice, web, NOW + 2)
    )
    with runtime.database.atomic():
        assert runtime.store.refresh_tokens.rotate(token.token_hash, successor, NOW + 1)
        revoker.start()
        if not runtime.database.is_sqlite:
            _wait_until_another_backend_waits_for_a_lock(runtime)
    revoker.join(timeout=30)
    assert not revoker.is_alive()
    state = runtime.store.refresh_tokens.get_state(successor.token_hash)
    assert state is not None
    assert state.family_revoked or state.token.revoked_at is not None


def test_a_refresh_token_state_names_no_user_once_the_user_is_gone(
    runtime: Runtime, alice: str, web: str
) -> None:
    token = new_refresh_token(web, alice)
    runtime.store.refresh_tokens.create(token)
    with runtime.database.write() as conn:  # as if deleted behind the token's back
        conn.execute(sa.delete(t.users).where(t.users.c.id == alice))
    state = runtime.store.refresh_tokens.get_state(token.token_hash)
    assert state is not None and state.user is None
    assert runtime.store.refresh_tokens.get_state(sha256_digest("unknown")) is None


# -- refresh token rotation ----------------------------------------------------------------------


def test_rotation_marks_the_token_used_and_stores_its_successor(
    runtime: Runtime, alice: str, web: str
) -> None:
    tokens = runtime.store.refresh_tokens
    first = new_refresh_token(web, alice)
    tokens.create(first)
    second = new_refresh_token(web, alice, grant_id=first.grant_id)
    assert tokens.rotate(first.token_hash, second, NOW + 5) is True
    used = tokens.get(first.token_hash)
    assert used is not None and used.used_at == NOW + 5
    assert tokens.get(second.token_hash) == second


@pytest.mark.parametrize("state", ["used", "revoked", "unknown"])
def test_a_used_revoked_or_unknown_token_rotates_to_nothing(
    runtime: Runtime, alice: str, web: str, state: str
) -> None:
    tokens = runtime.store.refresh_tokens
    first = new_refresh_token(
        web, alice, used_at=NOW if state == "used" else None,
        revoked_at=NOW if state == "revoked" else None,
    )  # fmt: skip
    if state != "unknown":
        tokens.create(first)
        with runtime.database.write() as conn:  # create() stores a fresh token's columns only
            conn.execute(
                sa.update(t.refresh_tokens)
                .where(t.refresh_tokens.c.token_hash == first.token_hash)
                .values(used_at=first.used_at, revoked_at=first.revoked_at)
            )
    successor = new_refresh_token(web, alice, grant_id=first.grant_id)
    assert tokens.rotate(first.token_hash, successor, NOW + 5) is False
    assert tokens.get(successor.token_hash) is None  # nothing half-written


def test_racing_rotations_have_exactly_one_winner_and_one_successor(
    runtime: Runtime, alice: str, web: str
) -> None:
    tokens = runtime.store.refresh_tokens
    first = new_refresh_token(web, alice)
    tokens.create(first)
    successors = [new_refresh_token(web, alice, grant_id=first.grant_id) for _ in range(6)]
    results: dict[int, bool] = {}
    barrier = threading.Barrier(6)

    def rotate(n: int) -> None:
        barrier.wait()
        results[n] = tokens.rotate(first.token_hash, successors[n], NOW + 1)

    threads = [threading.Thread(target=rotate, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()) == [False] * 5 + [True]
    stored = [n for n in range(6) if tokens.get(successors[n].token_hash) is not None]
    assert stored == [n for n, won in results.items() if won]


def test_rotation_inside_an_atomic_block_joins_it(runtime: Runtime, alice: str, web: str) -> None:
    tokens = runtime.store.refresh_tokens
    first = new_refresh_token(web, alice)
    tokens.create(first)
    lost = new_refresh_token(web, alice, grant_id=first.grant_id)
    won = new_refresh_token(web, alice, grant_id=first.grant_id)
    with pytest.raises(RuntimeError), runtime.database.atomic():
        assert tokens.rotate(sha256_digest("unknown"), lost, NOW) is False
        assert tokens.rotate(first.token_hash, won, NOW) is True
        raise RuntimeError("roll everything back")
    assert tokens.get(won.token_hash) is None
    assert tokens.get(lost.token_hash) is None
    unused = tokens.get(first.token_hash)
    assert unused is not None and unused.used_at is None


def test_denying_an_access_token_twice_is_no_error(runtime: Runtime) -> None:
    revocations = runtime.store.revocations
    assert revocations.is_access_token_denied("jti-1") is False
    revocations.deny_access_token("jti-1", NOW + 3600)
    revocations.deny_access_token("jti-1", NOW + 3600)
    assert revocations.is_access_token_denied("jti-1") is True
    assert revocations.is_access_token_denied("jti-2") is False
    assert count(runtime, t.revoked_access_tokens) == 1


# -- users --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "login",
    [
        "alice",
        "ALICE",
        "Alice",
        " alice ",
        "alice@example.com",
        "ALICE@EXAMPLE.COM",
        "Alice@Example.com",
    ],
)
def test_find_by_login_is_case_insensitive_on_username_and_email(
    runtime: Runtime, login: str
) -> None:
    created = make_user(runtime, "Alice", email="Alice@Example.com")
    found = runtime.store.users.find_by_login(login)
    assert found is not None
    assert found.id == created["id"]
    assert found.username == "Alice"  # stored as given


@pytest.mark.parametrize("login", ["alic", "alice2", "bob@example.com", "", "%", "a%"])
def test_find_by_login_matches_exactly_otherwise(runtime: Runtime, login: str) -> None:
    make_user(runtime, "alice")
    assert runtime.store.users.find_by_login(login) is None


def test_users_can_share_no_username_or_email_case_insensitively(runtime: Runtime) -> None:
    alice = find_user(runtime, make_user(runtime, "alice")["id"])
    for username, email in (("ALICE", None), ("bob", " Alice@Example.COM")):
        with pytest.raises(AlreadyExists):
            runtime.store.users.insert(
                replace(alice, id=str(uuid.uuid4()), username=username, email=email)
            )


# -- deleting a client --------------------------------------------------------------------------


def test_deleting_a_client_removes_what_it_was_given(
    runtime: Runtime, alice: str, web: str
) -> None:
    make_client(runtime, "other")
    store = runtime.store
    for client_id in (web, "other"):
        store.consents.grant(alice, client_id, frozenset({"openid"}), NOW)
        store.codes.create(new_code(client_id, alice))
        store.refresh_tokens.create(new_refresh_token(client_id, alice))
        store.interactions.create(new_interaction(client_id))
    owned = (
        t.consents,
        t.authorization_codes,
        t.refresh_tokens,
        t.interactions,
        t.client_secrets,
    )
    assert all(count(runtime, table, client_id=web) == 1 for table in owned)

    assert store.clients.delete(web) is True
    assert store.clients.get(web) is None
    for table in owned:
        assert count(runtime, table, client_id=web) == 0, table.name
        assert count(runtime, table, client_id="other") == 1, table.name
    assert store.clients.delete(web) is False


def test_a_client_recreated_under_the_same_id_inherits_nothing(
    runtime: Runtime, alice: str, web: str
) -> None:
    runtime.store.consents.grant(alice, web, frozenset({"openid", "profile"}), NOW)
    runtime.store.clients.delete(web)
    make_client(runtime, web)
    assert runtime.store.consents.get(alice, web) is None
    assert len(runtime.store.clients.secrets(web)) == 1


def test_a_recreated_client_inherits_no_application_roles(runtime: Runtime, web: str) -> None:
    apis = runtime.store.apis
    apis.grant_role(web, "https://api.example.com", "orders.admin", NOW)
    assert apis.granted_roles(web, "https://api.example.com") == {"orders.admin"}
    runtime.store.clients.delete(web)
    make_client(runtime, web)
    assert apis.granted_roles(web, "https://api.example.com") == frozenset()
    assert count(runtime, t.client_app_roles, client_id=web) == 0
