"""PasskeyRepository's contracts (storage/repositories.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import sqlalchemy as sa

from gatehouse.runtime import Runtime
from gatehouse.storage.records import Passkey, PasskeyChallenge
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.purge import purge_expired
from tests.support.factories import make_user

NOW = 1_700_000_000


def new_passkey(user_id: str, **fields: Any) -> Passkey:
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "user_id": user_id,
        "credential_id": uuid.uuid4().hex,
        "public_key": b"\xa5\x01\x02",
        "sign_count": 0,
        "transports": ("internal", "hybrid"),
        "aaguid": "00000000-0000-0000-0000-000000000000",
        "backup_eligible": True,
        "backed_up": False,
        "user_handle": "handle-" + user_id[:8],
        "name": "Laptop",
        "created_at": NOW,
    }
    values.update(fields)
    return Passkey(**values)


def new_challenge(**fields: Any) -> PasskeyChallenge:
    values: dict[str, Any] = {
        "challenge_hash": uuid.uuid4().hex * 2,
        "ceremony": "authenticate",
        "browser_hash": "b" * 64,
        "user_id": None,
        "interaction_hash": "i" * 64,
        "user_handle": None,
        "created_at": NOW,
        "expires_at": NOW + 300,
    }
    values.update(fields)
    return PasskeyChallenge(**values)


def test_a_passkey_round_trips_and_lists_oldest_first(runtime: Runtime, alice: str) -> None:
    repo = runtime.store.passkeys
    later = new_passkey(alice, name="Phone", created_at=NOW + 5)
    first = new_passkey(alice, name="Laptop")
    assert repo.add(later) and repo.add(first)

    assert repo.list_for_user(alice) == [first, later]
    assert repo.get_by_credential_id(first.credential_id) == first
    assert repo.get_by_credential_id("unknown") is None


def test_a_credential_id_is_registered_once_in_the_tenant(runtime: Runtime, alice: str) -> None:
    bob = str(make_user(runtime, "bob")["id"])
    repo = runtime.store.passkeys
    taken = new_passkey(alice)
    assert repo.add(taken)
    with runtime.store.atomic():  # refused without spoiling the surrounding transaction
        assert not repo.add(new_passkey(bob, credential_id=taken.credential_id))
        assert repo.add(new_passkey(bob))
    assert [p.user_id for p in repo.list_for_user(bob)] == [bob]
    assert repo.get_by_credential_id(taken.credential_id) == taken


def test_record_use_needs_a_growing_counter_unless_there_is_none(
    runtime: Runtime, alice: str
) -> None:
    repo = runtime.store.passkeys
    counting, counterless = new_passkey(alice, sign_count=3), new_passkey(alice)
    repo.add(counting)
    repo.add(counterless)

    assert not repo.record_use(counting.id, 3, True, NOW + 1)
    assert not repo.record_use(counting.id, 0, True, NOW + 1)
    assert repo.record_use(counting.id, 4, True, NOW + 2)
    assert repo.record_use(counterless.id, 0, True, NOW + 3)
    assert repo.record_use(counterless.id, 0, False, NOW + 4)

    stored = {p.id: p for p in repo.list_for_user(alice)}
    assert (stored[counting.id].sign_count, stored[counting.id].last_used_at) == (4, NOW + 2)
    assert stored[counting.id].backed_up
    assert (stored[counterless.id].last_used_at, stored[counterless.id].backed_up) == (
        NOW + 4,
        False,
    )


def test_remove_takes_only_the_owners_passkey(runtime: Runtime, alice: str) -> None:
    bob = str(make_user(runtime, "bob")["id"])
    repo = runtime.store.passkeys
    alices = new_passkey(alice)
    repo.add(alices)

    assert repo.remove(bob, alices.id) is None
    assert repo.remove(alice, alices.id) == alices
    assert repo.remove(alice, alices.id) is None
    assert repo.list_for_user(alice) == []


def test_deleting_a_user_deletes_their_passkeys(runtime: Runtime, alice: str) -> None:
    passkey = new_passkey(alice)
    runtime.store.passkeys.add(passkey)
    assert runtime.store.users.delete(alice)
    assert runtime.store.passkeys.get_by_credential_id(passkey.credential_id) is None


def test_a_challenge_is_spent_once_by_its_browser_and_ceremony_before_expiry(
    runtime: Runtime,
) -> None:
    repo = runtime.store.passkeys
    challenge = new_challenge()
    repo.add_challenge(challenge)
    key = challenge.challenge_hash

    assert repo.spend_challenge(key, "register", "b" * 64, NOW) is None  # another ceremony
    assert repo.spend_challenge(key, "authenticate", "c" * 64, NOW) is None  # another browser
    assert repo.spend_challenge(key, "authenticate", "b" * 64, NOW + 300) is None  # expired
    assert repo.spend_challenge(key, "authenticate", "b" * 64, NOW) == challenge
    assert repo.spend_challenge(key, "authenticate", "b" * 64, NOW) is None  # spent
    assert repo.spend_challenge("0" * 64, "authenticate", "b" * 64, NOW) is None


def test_a_challenge_goes_to_one_of_many_racing_answers(runtime: Runtime) -> None:
    repo = runtime.store.passkeys
    challenge = new_challenge()
    repo.add_challenge(challenge)
    barrier = threading.Barrier(4)
    won: list[bool] = []

    def answer() -> None:
        barrier.wait()
        spent = repo.spend_challenge(challenge.challenge_hash, "authenticate", "b" * 64, NOW)
        won.append(spent is not None)

    threads = [threading.Thread(target=answer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == [False, False, False, True]


def test_the_purge_deletes_expired_challenges_only(runtime: Runtime) -> None:
    repo = runtime.store.passkeys
    repo.add_challenge(new_challenge(expires_at=NOW - 1))
    repo.add_challenge(new_challenge(expires_at=NOW))
    live = new_challenge(expires_at=NOW + 1)
    repo.add_challenge(live)

    assert purge_expired(runtime.database, NOW, 1800)["passkey_challenges"] == 2
    with runtime.database.read() as conn:
        left = conn.execute(sa.select(t.passkey_challenges.c.challenge_hash)).scalars().all()
    assert left == [live.challenge_hash]
