"""keys.service.KeyService against the real SQL key repository (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from gatehouse import blocking
from gatehouse.keys.encryption import KeyDecryptionError, KeyEncryptor
from gatehouse.keys.jose import sign_jwt, verify_jwt
from gatehouse.keys.service import KeyService
from gatehouse.runtime import Runtime
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
    after = signing_kids(keys)
    assert sorted(after) == ["ES256", "RS256"]
    assert set(after.values()) == {k.kid for k in created}
    assert not set(after.values()) & set(before.values())


def test_the_cached_ring_reloads_exactly_when_a_pre_published_key_activates(
    runtime: Runtime, clock: Clock
) -> None:
    keys = service(runtime, clock)
    start = clock.now
    (new,) = keys.rotate(["RS256"], delay=timedelta(seconds=10), max_token_lifetime=HOUR)
    ring = keys.keyring()
    clock.now = start + 9
    assert keys.keyring() is ring  # cached
    clock.now = start + 10  # no invalidate(): the activation time bounds the cache
    assert signing_kids(keys)["RS256"] == new.kid


def test_another_process_rotating_is_seen_within_the_reload_interval(
    runtime: Runtime, clock: Clock
) -> None:
    mine, theirs = service(runtime, clock), service(runtime, clock)
    before = signing_kids(mine)
    (new,) = theirs.rotate(["ES256"], delay=timedelta(0), max_token_lifetime=HOUR)
    assert signing_kids(mine) == before  # still cached in this process
    clock.now += 29
    assert signing_kids(mine) == before
    clock.now += 1
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
