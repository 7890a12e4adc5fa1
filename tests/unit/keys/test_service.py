"""keys.service.KeyService against the real SQL key repository (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from gatehouse import blocking
from gatehouse.keys.encryption import KeyDecryptionError, KeyEncryptor
from gatehouse.keys.jose import generate_signing_key, load_private_key, sign_jwt, verify_jwt
from gatehouse.keys.keyring import PUBLICATION_LEAD_SECONDS, RELOAD_SECONDS
from gatehouse.keys.service import KeyService
from gatehouse.runtime import Runtime
from gatehouse.storage.records import StoredKey
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.keys import SqlKeyRepository
from tests.conftest import TEST_SECRET_KEY

HOUR = timedelta(hours=1)


class Clock:
    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> float:
        return float(self.now)


@pytest.fixture
def clock() -> Clock:
    # A little after the template's keys were made, so they are the current ones.
    return Clock(int(time.time()) + 5)


def service(
    runtime: Runtime, clock: Clock, tenant: str = "default", secret: str = TEST_SECRET_KEY
) -> KeyService:
    return KeyService(SqlKeyRepository(runtime.database, tenant), KeyEncryptor(secret), clock=clock)


def add_tenant(runtime: Runtime, tenant: str) -> None:
    with runtime.database.write() as conn:
        conn.execute(
            t.tenants.insert().values(id=tenant, tenant_id=tenant, issuer=None, created_at=0)
        )


def signing_kids(keys: KeyService) -> dict[str, str]:
    return {alg: key.kid for alg, key in keys.keyring().signing.items()}  # type: ignore[misc]


def published_kids(keys: KeyService) -> set[str]:
    return {jwk["kid"] for jwk in keys.keyring().jwks["keys"]}


def test_ensure_signing_keys_creates_one_per_algorithm_once(runtime: Runtime, clock: Clock) -> None:
    add_tenant(runtime, "fresh")
    keys = service(runtime, clock, "fresh")
    created = keys.ensure_signing_keys()
    assert sorted(k.alg for k in created) == ["ES256", "RS256"]
    assert all(k.activates_at == clock.now for k in created)
    assert keys.ensure_signing_keys() == []
    clock.now += 86400
    assert keys.ensure_signing_keys() == []
    assert len(keys.list_keys()) == 2
    assert set(signing_kids(keys)) == {"RS256", "ES256"}


def test_the_template_database_already_has_its_keys(runtime: Runtime, clock: Clock) -> None:
    assert service(runtime, clock).ensure_signing_keys() == []


def test_ensure_signing_keys_does_not_add_a_key_beside_a_pre_published_one(
    runtime: Runtime, clock: Clock
) -> None:
    add_tenant(runtime, "fresh")
    keys = service(runtime, clock, "fresh")
    keys.ensure_signing_keys(now=clock.now + 100)  # both keys activate in the future
    assert keys.ensure_signing_keys() == []


def test_private_keys_are_encrypted_at_rest(runtime: Runtime) -> None:
    with runtime.database.read() as conn:
        blobs = conn.execute(sa.select(t.signing_keys.c.private_key_encrypted)).scalars().all()
    assert blobs
    for blob in blobs:
        assert b"PRIVATE KEY" not in bytes(blob)
        assert b"BEGIN" not in bytes(blob)


def test_another_secret_key_cannot_load_the_keys(runtime: Runtime, clock: Clock) -> None:
    with pytest.raises(KeyDecryptionError):
        service(runtime, clock, secret="another-key-encryption-key-0123456789").keyring()


def test_rotation_pre_publishes_then_switches_then_unpublishes(
    runtime: Runtime, clock: Clock
) -> None:
    keys = service(runtime, clock)
    start = clock.now
    before = signing_kids(keys)
    old_rs = before["RS256"]

    (new,) = keys.rotate(["RS256"], delay=2 * HOUR, max_token_lifetime=HOUR)
    assert new.alg == "RS256"
    assert new.activates_at == start + 7200

    # Published at once, before it signs anything; the old key keeps signing.
    assert new.kid in published_kids(keys)
    assert old_rs in published_kids(keys)
    assert signing_kids(keys) == before

    clock.now = start + 7200 - 1
    assert signing_kids(keys)["RS256"] == old_rs

    # From the switch time on, the new key signs; ES256 was not rotated.
    clock.now = start + 7200
    assert signing_kids(keys) == {"RS256": new.kid, "ES256": before["ES256"]}
    assert {old_rs, new.kid} <= published_kids(keys)

    # The old key stays published until every token it signed has expired …
    clock.now = start + 7200 + 3600 - 1
    keys.invalidate()
    assert old_rs in published_kids(keys)

    # … and then disappears from the JWKS.
    clock.now = start + 7200 + 3600
    keys.invalidate()
    assert old_rs not in published_kids(keys)
    assert new.kid in published_kids(keys)
    assert before["ES256"] in published_kids(keys)

    states = {k.kid: k for k in keys.list_keys()}
    assert states[old_rs].retired_at == start + 7200
    assert states[old_rs].published_until == start + 7200 + 3600


def test_tokens_signed_before_the_switch_verify_against_the_jwks_after_it(
    runtime: Runtime, clock: Clock
) -> None:
    keys = service(runtime, clock)
    start = clock.now
    token = sign_jwt({"sub": "alice"}, keys.keyring().signing_key("ES256"), typ="at+jwt")
    keys.rotate(["ES256"], delay=timedelta(seconds=60), max_token_lifetime=HOUR)
    clock.now = start + 60 + 1800
    ring = keys.keyring()
    assert verify_jwt(token, ring.verification_keys, algorithms=["ES256"])[1] == {"sub": "alice"}
    fresh = sign_jwt({"sub": "bob"}, ring.signing_key("ES256"), typ="at+jwt")
    assert verify_jwt(fresh, ring.verification_keys, algorithms=["ES256"])[1] == {"sub": "bob"}


def test_rotating_every_algorithm(runtime: Runtime, clock: Clock) -> None:
    keys = service(runtime, clock)
    before = signing_kids(keys)
    created = keys.rotate(["RS256", "ES256"], delay=timedelta(0), max_token_lifetime=HOUR)
    clock.now += PUBLICATION_LEAD_SECONDS
    after = signing_kids(keys)
    assert sorted(after) == ["ES256", "RS256"]
    assert set(after.values()) == {k.kid for k in created}
    assert not set(after.values()) & set(before.values())


def test_the_cached_ring_reloads_exactly_when_a_pre_published_key_activates(
    runtime: Runtime, clock: Clock
) -> None:
    keys = service(runtime, clock)
    start = clock.now
    (new,) = keys.rotate(["RS256"], delay=timedelta(seconds=40), max_token_lifetime=HOUR)
    clock.now = start + 20
    ring = keys.keyring()
    clock.now = start + 39
    assert keys.keyring() is ring  # cached
    clock.now = start + 40  # no invalidate(): the activation time bounds the cache
    assert signing_kids(keys)["RS256"] == new.kid


def test_another_process_rotating_is_seen_within_the_reload_interval(
    runtime: Runtime, clock: Clock
) -> None:
    mine, theirs = service(runtime, clock), service(runtime, clock)
    before = signing_kids(mine)
    (new,) = theirs.rotate(["ES256"], delay=timedelta(0), max_token_lifetime=HOUR)
    assert new.kid not in mine.keyring().published_kids  # still cached in this process
    clock.now += 29
    assert new.kid not in mine.keyring().published_kids
    clock.now += 1
    assert new.kid in mine.keyring().published_kids  # published within the reload interval
    assert signing_kids(mine) == before  # and signing only after every process publishes it
    clock.now = new.created_at + PUBLICATION_LEAD_SECONDS
    assert signing_kids(mine)["ES256"] == new.kid


def test_a_reload_is_blocking_io_but_a_cached_ring_is_not(runtime: Runtime, clock: Clock) -> None:
    keys = service(runtime, clock)
    with blocking.forbidden(), pytest.raises(blocking.WouldBlock):
        keys.keyring()  # nothing loaded yet: a database read
    ring = keys.keyring()
    with blocking.forbidden():
        assert keys.keyring() is ring
    clock.now += 30
    with blocking.forbidden(), pytest.raises(blocking.WouldBlock):
        keys.keyring()  # due for a reload: its database read raises
    assert not keys._lock.locked()  # and the lock it took for the reload is released


def test_a_wait_for_another_threads_reload_is_blocking_io(runtime: Runtime, clock: Clock) -> None:
    # Even where the embedded database may be used, waiting on a lock another thread holds
    # (across its own reload) is not: the attempt gives up at once instead of waiting.
    keys = service(runtime, clock)
    held, release = threading.Event(), threading.Event()

    def reload_elsewhere() -> None:
        with keys._lock:
            held.set()
            release.wait(10)

    other = threading.Thread(target=reload_elsewhere)
    other.start()
    held.wait(10)
    try:
        with blocking.forbidden(embedded_database=True), pytest.raises(blocking.WouldBlock):
            keys.keyring()
    finally:
        release.set()
        other.join()
    assert keys.keyring().signing  # and outside an attempt it waits, then loads


def test_private_keys_are_decrypted_once_per_process(
    runtime: Runtime, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = service(runtime, clock)
    calls: list[str] = []
    original = KeyEncryptor.decrypt

    def counting(self: KeyEncryptor, blob: bytes, *, kid: str) -> bytes:
        calls.append(kid)
        return original(self, blob, kid=kid)

    monkeypatch.setattr(KeyEncryptor, "decrypt", counting)
    keys.keyring()
    keys.invalidate()
    clock.now += 60
    keys.keyring()
    assert len(calls) == 2  # one per signing key, not per load


# -- Several processes over one database (issue 11 item 9) -----------------------------------


def _every_signing_key_is_published_everywhere(workers: list[KeyService]) -> list[str]:
    """The kids some worker signs with that some worker's JWKS does not list."""
    signing = {key.kid for worker in workers for key in worker.keyring().signing.values()}
    return sorted(
        str(kid)
        for kid in signing
        for worker in workers
        if kid not in worker.keyring().published_kids
    )


@pytest.mark.parametrize("delay", [0, 10, 29, 60])
@pytest.mark.parametrize("loaded_before", [(0, 29), (5, 20), (29, 29)])
def test_no_worker_signs_with_a_key_another_worker_does_not_publish(
    runtime: Runtime, clock: Clock, delay: int, loaded_before: tuple[int, int]
) -> None:
    """Two workers (two KeyService instances over one database) that loaded their keys at
    different moments, a `keys rotate` from a third process, and every second after it:
    a key is in every worker's JWKS before any worker signs with it."""
    start = clock.now
    workers = [service(runtime, clock), service(runtime, clock)]
    for worker, offset in zip(workers, loaded_before, strict=True):
        clock.now = start + offset
        worker.keyring()
    clock.now = start + 30
    (new,) = service(runtime, clock).rotate(
        ["ES256"], delay=timedelta(seconds=delay), max_token_lifetime=HOUR
    )
    for second in range(start + 30, new.activates_at + RELOAD_SECONDS + 2):
        clock.now = second
        assert not _every_signing_key_is_published_everywhere(workers), second
    assert all(signing_kids(worker)["ES256"] == new.kid for worker in workers)


def test_a_worker_verifies_what_another_just_signed_with_a_key_it_has_not_loaded(
    runtime: Runtime, clock: Clock
) -> None:
    """A token whose kid this worker's cached ring does not publish makes it read the keys
    once before refusing the token (a first key, a clock ahead of this one)."""
    repository = SqlKeyRepository(runtime.database, "default")
    mine = service(runtime, clock)
    mine.keyring()
    theirs = service(runtime, clock)
    theirs.ensure_signing_keys()
    # Another process stores a key that signs at once, as a first key does.
    (added,) = [k for k in _add_key_signing_now(theirs, repository, clock.now) if k.alg == "ES256"]
    token = sign_jwt({"sub": "alice"}, theirs.keyring().signing_key("ES256"), typ="at+jwt")
    assert added.kid not in mine.keyring().published_kids
    ring = mine.reloaded_for_unknown_kid(token)
    assert ring is not None and added.kid in ring.published_kids
    assert verify_jwt(token, ring.verification_keys, algorithms=["ES256"])[1] == {"sub": "alice"}


def _add_key_signing_now(
    keys: KeyService, repository: SqlKeyRepository, now: int
) -> list[StoredKey]:
    generated = generate_signing_key("ES256")
    stored = StoredKey(
        kid=generated.kid,
        alg="ES256",
        public_jwk=generated.public_jwk,
        created_at=now,
        activates_at=now,
        retired_at=None,
        published_until=None,
    )
    repository.add(stored, keys.encryptor.encrypt(generated.private_pem, kid=generated.kid))
    keys.invalidate()
    return [stored]


def test_unknown_kids_reload_the_keys_at_most_once_a_second(
    runtime: Runtime, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = service(runtime, clock)
    ring = keys.keyring()
    reads: list[int] = []
    repository = keys._repository
    original = repository.all

    def counting() -> list[StoredKey]:
        reads.append(clock.now)
        return original()

    monkeypatch.setattr(repository, "all", counting)
    signer = ring.signing_key("ES256")
    stranger = generate_signing_key("ES256")
    forged = [
        sign_jwt(
            {"sub": "x"},
            load_private_key(stranger.private_pem, f"unknown-{n}", "ES256"),
            typ="at+jwt",
        )
        for n in range(3)
    ]
    assert keys.reloaded_for_unknown_kid(forged[0]) is not None  # one read
    assert keys.reloaded_for_unknown_kid(forged[1]) is None  # within the second: none
    clock.now += 1
    assert keys.reloaded_for_unknown_kid(forged[2]) is not None
    assert len(reads) == 2
    # A known kid, or a token that is no JWS, never reads.
    assert keys.reloaded_for_unknown_kid(sign_jwt({"sub": "x"}, signer, typ="at+jwt")) is None
    assert keys.reloaded_for_unknown_kid("not-a-jwt") is None
    assert len(reads) == 2


def test_the_jwks_shows_a_new_key_at_once(runtime: Runtime, clock: Clock) -> None:
    mine = service(runtime, clock)
    mine.keyring()
    (new,) = service(runtime, clock).rotate(["RS256"], timedelta(hours=1), HOUR)
    assert new.kid not in mine.keyring().published_kids  # the cached ring, for verifying
    assert new.kid in {jwk["kid"] for jwk in mine.published_jwks()["keys"]}
