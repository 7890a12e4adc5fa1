"""`gatehouse user …`: user accounts."""

from __future__ import annotations

import time
import uuid

import pytest
import sqlalchemy as sa

from gatehouse.crypto import random_token, sha256_digest
from gatehouse.runtime import Runtime
from gatehouse.storage.records import RefreshToken, SsoSession
from gatehouse.storage.sql import tables as t
from tests.cli.conftest import Gatehouse
from tests.support.factories import make_client

PASSWORD = "correct horse battery"


def create(gh: Gatehouse, username: str = "alice", *extra: str) -> dict[str, object]:
    return dict(
        gh.ok(
            "user",
            "create",
            "--username",
            username,
            "--password-stdin",
            *extra,
            input=f"{PASSWORD}\n",
        )
    )


def test_create_with_password_from_stdin(gh: Gatehouse, runtime: Runtime) -> None:
    created = create(gh, "alice", "--email", "alice@example.com", "--name", "Alice")
    assert created["username"] == "alice"
    assert created["email"] == "alice@example.com"
    assert created["name"] == "Alice"
    assert created["disabled"] is False
    assert "password" not in str(created)
    user = runtime.store.users.get(str(created["id"]))
    assert user is not None and user.password_hash is not None
    assert user.password_hash.startswith("$argon2id$")
    assert runtime.passwords.verify(user.password_hash, PASSWORD)


def test_create_with_password_argument(gh: Gatehouse, runtime: Runtime) -> None:
    created = gh.ok("user", "create", "--username", "bob", "--password", PASSWORD)
    user = runtime.store.users.get(created["id"])
    assert user is not None
    assert runtime.passwords.verify(user.password_hash, PASSWORD)


def test_create_with_every_profile_option(gh: Gatehouse) -> None:
    created = create(
        gh,
        "alice",
        "--email",
        "alice@example.com",
        "--email-verified",
        "--given-name",
        "Alice",
        "--family-name",
        "Liddell",
        "--phone",
        "+1 555 0100",
    )
    assert created["email_verified"] is True
    assert (created["given_name"], created["family_name"]) == ("Alice", "Liddell")
    assert created["phone_number"] == "+1 555 0100"


def test_list_and_show_by_id_username_or_email(gh: Gatehouse) -> None:
    bob = create(gh, "bob", "--email", "bob@example.com")
    create(gh, "alice")
    assert [u["username"] for u in gh.ok("user", "list")] == ["alice", "bob"]
    for ref in (str(bob["id"]), "bob", "BOB", "bob@example.com", "Bob@Example.com"):
        assert gh.ok("user", "show", ref) == {**bob, "groups": []}


def test_update(gh: Gatehouse) -> None:
    created = create(gh, "alice")
    updated = gh.ok("user", "update", "alice", "--email", "a@example.com", "--email-verified")
    assert (updated["email"], updated["email_verified"]) == ("a@example.com", True)
    assert updated["id"] == created["id"]
    assert gh.ok("user", "show", "a@example.com")["id"] == created["id"]


def test_the_address_is_set_part_by_part(gh: Gatehouse) -> None:
    create(gh, "alice", "--street-address", "1 Main St", "--locality", "Springfield")
    updated = gh.ok("user", "update", "alice", "--country", "US", "--locality", "")
    assert updated["address"] == {"street_address": "1 Main St", "country": "US"}
    assert gh.ok("user", "show", "alice")["address"] == updated["address"]
    cleared = gh.ok("user", "update", "alice", "--street-address", "", "--country", "")
    assert cleared["address"] is None


def test_an_address_part_breaking_a_rule_is_refused(gh: Gatehouse) -> None:
    create(gh, "alice")
    assert "region is too long" in gh.fails("user", "update", "alice", "--region", "x" * 300)
    assert gh.ok("user", "show", "alice")["address"] is None


def test_disable_and_enable(gh: Gatehouse, runtime: Runtime) -> None:
    created = create(gh, "alice")
    assert gh.ok("user", "disable", "alice")["disabled"] is True
    user = runtime.store.users.get(str(created["id"]))
    assert user is not None and user.disabled
    assert gh.ok("user", "enable", "alice")["disabled"] is False


def test_set_password(gh: Gatehouse, runtime: Runtime) -> None:
    created = create(gh, "alice")
    new = "another good passphrase"
    gh.ok("user", "set-password", "alice", "--password-stdin", input=f"{new}\n")
    user = runtime.store.users.get(str(created["id"]))
    assert user is not None
    assert runtime.passwords.verify(user.password_hash, new)
    assert not runtime.passwords.verify(user.password_hash, PASSWORD)
    gh.ok("user", "set-password", "alice", "--password", PASSWORD)
    user = runtime.store.users.get(str(created["id"]))
    assert user is not None and runtime.passwords.verify(user.password_hash, PASSWORD)


def test_delete(gh: Gatehouse, runtime: Runtime) -> None:
    created = create(gh, "alice")
    assert gh.ok("user", "delete", "alice") == {"deleted": created["id"], "username": "alice"}
    assert runtime.store.users.get(str(created["id"])) is None
    assert "no user 'alice'" in gh.fails("user", "show", "alice")


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--username", "alice", "--password", "short"], None, "at least 8 characters"),
        (["--username", "alice", "--password-stdin"], "short\n", "at least 8 characters"),
        (["--username", "alice", "--password-stdin"], "\n", "no password on standard input"),
        (["--username", "alice"], None, "--password-stdin"),
        (["--username", "has space", "--password", PASSWORD], None, "without spaces"),
        (["--username", "alice", "--password", PASSWORD, "--email", "nope"], None, "not an email"),
    ],
)
def test_invalid_users_are_rejected(
    gh: Gatehouse, runtime: Runtime, args: list[str], stdin: str | None, message: str
) -> None:
    assert message in gh.fails("user", "create", *args, input=stdin)
    assert runtime.store.users.list() == []


@pytest.mark.parametrize(
    ("username", "email", "message"),
    [
        ("alice", "other@example.com", "a user named 'alice' already exists"),
        ("ALICE", "other@example.com", "already exists"),  # case-insensitively
        ("alice2", "alice@example.com", "a user with email"),
        ("alice2", "ALICE@example.com", "a user with email"),
        ("alice@example.com", "x@example.com", "already exists"),  # a username that is her email
    ],
)
def test_duplicate_users_are_rejected(
    gh: Gatehouse, runtime: Runtime, username: str, email: str, message: str
) -> None:
    create(gh, "alice", "--email", "alice@example.com")
    line = gh.fails(
        "user", "create", "--username", username, "--password", PASSWORD, "--email", email
    )
    assert message in line
    assert len(runtime.store.users.list()) == 1


def test_an_email_taken_by_another_user_cannot_be_moved_to_a_second_one(gh: Gatehouse) -> None:
    create(gh, "alice", "--email", "alice@example.com")
    create(gh, "bob")
    assert "a user with email" in gh.fails("user", "update", "bob", "--email", "alice@example.com")


@pytest.mark.parametrize(
    "args",
    [
        ["show", "nobody"],
        ["update", "nobody", "--name", "X"],
        ["disable", "nobody"],
        ["enable", "nobody"],
        ["set-password", "nobody", "--password", PASSWORD],
        ["delete", "nobody"],
    ],
)
def test_unknown_users(gh: Gatehouse, args: list[str]) -> None:
    assert gh.fails("user", *args) == "error: no user 'nobody'"


def test_set_password_enforces_the_policy(gh: Gatehouse) -> None:
    create(gh, "alice")
    assert "at least 8" in gh.fails("user", "set-password", "alice", "--password", "short")


# -- ending sessions and refresh tokens ----------------------------------------------------------


def _sign_in(runtime: Runtime, user_id: str) -> tuple[str, str]:
    """An SSO session and a refresh token for the user, as the login page and token endpoint
    would store them. Returns (session id hash, refresh token hash)."""
    now = int(time.time())
    session_hash = sha256_digest(random_token())
    runtime.store.sessions.create(
        session_hash,
        SsoSession(
            sid=uuid.uuid4().hex,
            user_id=user_id,
            auth_time=now,
            amr=("pwd",),
            acr=None,
            created_at=now,
            last_seen_at=now,
            expires_at=now + 3600,
        ),
    )
    token_hash = sha256_digest(random_token())
    runtime.store.refresh_tokens.create(
        RefreshToken(
            token_hash=token_hash,
            grant_id=str(uuid.uuid4()),
            client_id="web",
            user_id=user_id,
            sid=None,
            scopes=("openid", "offline_access"),
            auth_time=now,
            amr=("pwd",),
            acr=None,
            created_at=now,
            idle_expires_at=now + 3600,
            expires_at=now + 7200,
        )
    )
    return session_hash, token_hash


def _signed_in(runtime: Runtime, hashes: tuple[str, str]) -> tuple[bool, bool]:
    session_hash, token_hash = hashes
    session = runtime.store.sessions.get_active(session_hash, int(time.time()), 1800)
    with runtime.database.read() as conn:
        revoked_at = conn.execute(
            sa.select(t.refresh_tokens.c.revoked_at).where(
                t.refresh_tokens.c.token_hash == token_hash
            )
        ).scalar_one()
    return session is not None, revoked_at is None


@pytest.mark.parametrize(
    "command",
    [
        ["user", "disable", "alice"],
        ["user", "set-password", "alice", "--password", "a brand new passphrase"],
    ],
)
def test_disable_and_set_password_end_sessions_and_refresh_tokens(
    gh: Gatehouse, runtime: Runtime, command: list[str]
) -> None:
    make_client(runtime, "web")
    alice = str(create(gh, "alice")["id"])
    bob = str(create(gh, "bob")["id"])
    alices, bobs = _sign_in(runtime, alice), _sign_in(runtime, bob)
    assert _signed_in(runtime, alices) == (True, True)

    gh.ok(*command)

    assert _signed_in(runtime, alices) == (False, False)
    assert _signed_in(runtime, bobs) == (True, True)  # nobody else is signed out


def test_enabling_again_does_not_revive_ended_sessions(gh: Gatehouse, runtime: Runtime) -> None:
    make_client(runtime, "web")
    alices = _sign_in(runtime, str(create(gh, "alice")["id"]))
    gh.ok("user", "disable", "alice")
    gh.ok("user", "enable", "alice")
    assert _signed_in(runtime, alices) == (False, False)


def test_a_profile_update_keeps_sessions(gh: Gatehouse, runtime: Runtime) -> None:
    make_client(runtime, "web")
    alices = _sign_in(runtime, str(create(gh, "alice")["id"]))
    gh.ok("user", "update", "alice", "--name", "Alice L.")
    assert _signed_in(runtime, alices) == (True, True)
