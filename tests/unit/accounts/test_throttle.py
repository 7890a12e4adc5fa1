"""The rules of brute-force protection without the database: source keys, the growing
delay, the words a person reads, and which counter refuses which attempt."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gatehouse.accounts.throttle import (
    EVERY,
    Attempt,
    Limits,
    Wait,
    address_key,
    login_subject,
    refusal,
    wait_of,
    wait_text,
)
from gatehouse.policy import TenantPolicy
from gatehouse.storage.records import FailureCounter

NOW = 1_800_000_000
LIMITS = Limits.of(TenantPolicy(login_max_delay=timedelta(seconds=30)), "password")
ATTEMPT = Attempt("password", "login:alice", "ip:203.0.113.6")
KNOWN = Attempt("password", "login:alice", "ip:203.0.113.6", device="device:abc")


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.6", "ip:203.0.113.6"),
        ("2001:db8:1:2:3:4:5:6", "ip:2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "ip:2001:db8:1:2::/64"),  # the same /64: one source
        ("::ffff:198.51.100.7", "ip:198.51.100.7"),
        (None, "ip:unknown"),
        ("testclient", "ip:testclient"),
    ],
)
def test_address_keys(address: str | None, key: str) -> None:
    assert address_key(address) == key


def test_logins_are_counted_as_matched_and_bounded() -> None:
    assert login_subject("  Alice@Example.COM ") == "login:alice@example.com"
    assert len(login_subject("x" * 5000)) == len("login:") + 320


@pytest.mark.parametrize(
    ("failures", "delay"), [(0, 0), (2, 0), (3, 1), (4, 2), (5, 4), (7, 16), (8, 30), (99, 30)]
)
def test_the_delay_doubles_after_the_threshold_up_to_the_maximum(failures: int, delay: int) -> None:
    assert LIMITS.delay(failures) == delay


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (1, "1 second"),
        (2, "2 seconds"),
        (119, "119 seconds"),
        (120, "2 minutes"),
        (601, "11 minutes"),
    ],
)
def test_waits_in_words(seconds: int, text: str) -> None:
    assert wait_text(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "wait"),
    [
        (0, Wait(1, "seconds")),
        (1, Wait(1, "seconds")),
        (119, Wait(119, "seconds")),
        (120, Wait(2, "minutes")),
        (121, Wait(3, "minutes")),
        (900, Wait(15, "minutes")),
    ],
)
def test_waits_in_units_for_the_pages_to_word(seconds: int, wait: Wait) -> None:
    """The pages say the wait in their language from these (_too_many_attempts.html)."""
    assert wait_of(seconds) == wait


def counter(
    subject: str, source: str, failures: int, last: int, locked: int | None = None
) -> FailureCounter:
    return FailureCounter("password", subject, source, failures, last, locked, last + 900)


@pytest.mark.parametrize(
    ("counters", "attempt", "expected"),
    [
        ([], ATTEMPT, None),
        ([counter("login:alice", "ip:203.0.113.6", 2, NOW - 1)], ATTEMPT, None),
        ([counter("login:alice", "ip:203.0.113.6", 4, NOW - 1)], ATTEMPT, ("delay", 1)),
        ([counter("login:alice", "ip:203.0.113.6", 4, NOW - 2)], ATTEMPT, None),
        ([counter("login:alice", "ip:203.0.113.6", 10, NOW, NOW + 900)], ATTEMPT, ("source", 900)),
        # Another source's counter, met in the token endpoint's per-subject read: not ours.
        ([counter("login:alice", "ip:192.0.2.1", 10, NOW, NOW + 900)], ATTEMPT, None),
        ([counter("login:alice", EVERY, 50, NOW, NOW + 600)], ATTEMPT, ("account", 600)),
        ([counter(EVERY, "ip:203.0.113.6", 100, NOW, NOW + 300)], ATTEMPT, ("address", 300)),
        # A known browser is spared the account's and the address's locks ...
        ([counter("login:alice", EVERY, 50, NOW, NOW + 600)], KNOWN, None),
        ([counter(EVERY, "ip:203.0.113.6", 100, NOW, NOW + 300)], KNOWN, None),
        # ... not its own.
        ([counter("login:alice", "device:abc", 10, NOW, NOW + 900)], KNOWN, ("source", 900)),
        # The longest wait wins.
        (
            [
                counter("login:alice", "ip:203.0.113.6", 4, NOW),
                counter("login:alice", EVERY, 50, NOW, NOW + 600),
            ],
            ATTEMPT,
            ("account", 600),
        ),
        # An ended lock refuses nothing.
        ([counter("login:alice", EVERY, 50, NOW - 900, NOW)], ATTEMPT, None),
    ],
)
def test_which_counter_refuses_which_attempt(
    counters: list[FailureCounter], attempt: Attempt, expected: tuple[str, int] | None
) -> None:
    found = refusal(LIMITS, attempt, counters, NOW)
    assert ((found.scope, found.retry_after) if found else None) == expected


def test_clients_have_no_account_or_address_lock() -> None:
    limits = Limits.of(TenantPolicy(), "client_secret")
    attempt = Attempt("client_secret", "client:daemon", "ip:203.0.113.6")
    assert [scope for _, _, scope in limits.counters(attempt)] == ["source"]
