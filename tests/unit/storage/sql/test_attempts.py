"""Failure counters and known browsers in storage, on SQLite and PostgreSQL: counts that no
race loses, locks that start once and end, what another process sees, unlock and purge."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from gatehouse.runtime import Runtime
from gatehouse.storage.sql.cache import CACHE_SECONDS
from gatehouse.storage.sql.database import Database
from gatehouse.storage.sql.purge import purge_expired
from gatehouse.storage.sql.store import SqlStore

NOW = 1_800_000_000
DURATION = 600
PAIR, ACCOUNT, ADDRESS = (
    ("login:alice", "ip:203.0.113.6"),
    ("login:alice", ""),
    ("", "ip:203.0.113.6"),
)


@pytest.fixture
def other_process(runtime: Runtime) -> Iterator[SqlStore]:
    """A second process's store: its own connections and its own caches."""
    database = Database(runtime.settings.resolved_database_url)
    yield SqlStore(database)
    database.dispose()


def fail(store: SqlStore, at: int, threshold: int = 3, key: tuple[str, str] = PAIR) -> int:
    [counter] = store.attempts.count_failure("password", [(key, threshold)], at, DURATION)
    return counter.failures


def test_failures_count_up_lock_at_the_threshold_and_start_again_after_the_lock(
    runtime: Runtime,
) -> None:
    store = runtime.store
    assert [fail(store, NOW + i) for i in range(3)] == [1, 2, 3]
    [counter] = store.attempts.counters("password", [PAIR], NOW + 2)
    assert counter.locked_until == NOW + 2 + DURATION
    # A failure while locked (a race) is counted but does not extend the lock.
    fail(store, NOW + 10)
    [counter] = store.attempts.counters("password", [PAIR], NOW + 10)
    assert (counter.failures, counter.locked_until) == (4, NOW + 2 + DURATION)
    # Once the lock is over the count starts again.
    assert fail(store, NOW + 2 + DURATION) == 1
    [counter] = store.attempts.counters("password", [PAIR], NOW + 2 + DURATION)
    assert counter.locked_until is None


def test_a_counter_quiet_for_a_whole_duration_is_forgotten(runtime: Runtime) -> None:
    store = runtime.store
    fail(store, NOW)
    fail(store, NOW + 1)
    assert store.attempts.counters("password", [PAIR], NOW + 1 + DURATION) == []
    assert fail(store, NOW + 1 + DURATION) == 1


def test_one_check_reads_the_pair_the_account_and_the_address(runtime: Runtime) -> None:
    store = runtime.store
    store.attempts.count_failure("password", [(PAIR, 9), (ACCOUNT, 9), (ADDRESS, 9)], NOW, 60)
    store.attempts.count_failure("totp", [(PAIR, 9)], NOW, 60)  # another factor
    found = store.attempts.counters("password", [PAIR, ACCOUNT, ADDRESS], NOW)
    assert sorted((c.subject, c.source) for c in found) == sorted([PAIR, ACCOUNT, ADDRESS])
    assert len(store.attempts.counters("password", [ADDRESS], NOW)) == 1


def test_another_process_sees_the_same_counters(runtime: Runtime, other_process: SqlStore) -> None:
    assert fail(runtime.store, NOW) == 1
    assert fail(other_process, NOW + 1) == 2
    [counter] = runtime.store.attempts.counters("password", [PAIR], NOW + 1)
    assert counter.failures == 2


def test_concurrent_failures_are_all_counted_and_exactly_one_starts_the_lock(
    runtime: Runtime, other_process: SqlStore
) -> None:
    seen: list[int] = []
    lock = threading.Lock()

    def hammer(store: SqlStore) -> None:
        for _ in range(10):
            counted = fail(store, NOW, threshold=15)
            with lock:
                seen.append(counted)

    threads = [
        threading.Thread(target=hammer, args=(s,)) for s in [runtime.store, other_process] * 2
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == list(range(1, 41))  # each failure saw a count of its own


def test_the_subject_cache_sees_this_processs_failures_at_once(
    runtime: Runtime, other_process: SqlStore
) -> None:
    key = ("client:daemon", "ip:203.0.113.6")
    assert runtime.store.attempts.counters_of_subject("client_secret", "client:daemon", NOW) == ()
    runtime.store.attempts.count_failure("client_secret", [(key, 3)], NOW, DURATION)
    [counter] = runtime.store.attempts.counters_of_subject("client_secret", "client:daemon", NOW)
    assert counter.failures == 1
    # Another process reads afresh the first time; then within CACHE_SECONDS.
    [seen] = other_process.attempts.counters_of_subject("client_secret", "client:daemon", NOW)
    assert seen.failures == 1


def test_many_sources_are_left_to_the_precise_check(runtime: Runtime) -> None:
    for i in range(20):
        runtime.store.attempts.count_failure(
            "client_secret", [(("client:daemon", f"ip:192.0.2.{i}"), 3)], NOW, DURATION
        )
    assert runtime.store.attempts.counters_of_subject("client_secret", "client:daemon", NOW) is None


def test_unlock_clears_every_counter_of_the_subjects(runtime: Runtime) -> None:
    store = runtime.store
    store.attempts.count_failure("password", [(PAIR, 2), (ACCOUNT, 2), (ADDRESS, 2)], NOW, 60)
    store.attempts.count_failure("totp", [(("user:u1", "ip:x"), 2)], NOW, 60)
    assert store.attempts.clear_subjects(["login:alice", "user:u1"]) == 3
    assert store.attempts.of_subjects(["login:alice", "user:u1"], NOW) == []
    assert len(store.attempts.counters("password", [ADDRESS], NOW)) == 1  # not the account's


def test_known_browsers_are_remembered_per_user_until_they_expire(
    runtime: Runtime, alice: str
) -> None:
    browsers = runtime.store.known_browsers
    assert not browsers.is_known(alice, "d" * 64, NOW)
    browsers.remember(alice, "d" * 64, NOW, NOW + 100)
    browsers.remember(alice, "d" * 64, NOW + 50, NOW + 150)  # renewed
    assert browsers.is_known(alice, "d" * 64, NOW + 120)
    assert not browsers.is_known(alice, "e" * 64, NOW)
    assert not browsers.is_known(alice, "d" * 64, NOW + 150)


def test_the_purge_deletes_counters_and_browsers_that_no_longer_matter(
    runtime: Runtime, alice: str
) -> None:
    fail(runtime.store, NOW)
    runtime.store.known_browsers.remember(alice, "d" * 64, NOW, NOW + 100)
    kept = purge_expired(runtime.database, NOW + DURATION - 1, 1800)
    assert (kept["failed_attempts"], kept["known_browsers"]) == (0, 1)
    deleted = purge_expired(runtime.database, NOW + DURATION, 1800)
    assert deleted["failed_attempts"] == 1
    assert runtime.store.attempts.of_subjects(["login:alice"], 0) == []


def test_another_process_sees_a_clients_failures_within_the_cache_lifetime(
    runtime: Runtime,
) -> None:
    now = [0.0]
    other = SqlStore(runtime.database, cache_clock=lambda: now[0])
    assert other.attempts.counters_of_subject("client_secret", "client:daemon", NOW) == ()
    key = ("client:daemon", "ip:203.0.113.6")
    runtime.store.attempts.count_failure("client_secret", [(key, 3)], NOW, DURATION)
    assert other.attempts.counters_of_subject("client_secret", "client:daemon", NOW) == ()
    now[0] += CACHE_SECONDS
    [seen] = other.attempts.counters_of_subject("client_secret", "client:daemon", NOW)
    assert seen.failures == 1
