"""Storage contracts of brute-force protection (accounts/throttle.py): failure counters
with their locks, and the browsers a person has signed in from before. Kept beside
``repositories.py`` (the other aggregates' contracts), under the same rules: times are Unix
seconds, ``now`` is the caller's clock, and any method may raise ``DatabaseUnavailable``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from gatehouse.storage.records import FailureCounter

#: One counter of a factor: (subject, source); "" stands for every subject or every source.
CounterKey = tuple[str, str]


class AttemptRepository(Protocol):
    """Failure counters. A counter is live until its ``expires_at``; a counter whose lock
    has ended or that has expired counts from zero again."""

    def counters(self, factor: str, keys: Sequence[CounterKey], now: int) -> list[FailureCounter]:
        """The live counters among ``keys``. One lean statement, never cached: what a
        sign-in checks before the secret is verified."""

    def counters_of_subject(
        self, factor: str, subject: str, now: int
    ) -> tuple[FailureCounter, ...] | None:
        """Every live counter of ``subject`` (any source), or None when there are more than
        a handful (then ask ``counters`` for the one wanted). May come from a per-process
        cache at most ``CACHE_SECONDS`` old (storage/sql/cache.py): failures counted by
        another process are seen within that bound, this process's own at once. The token
        endpoint's check, so that a correct client secret costs no round trip."""

    def count_failure(
        self, factor: str, thresholds: Sequence[tuple[CounterKey, int]], now: int, duration: int
    ) -> list[FailureCounter]:
        """Count one failure on each counter of ``thresholds`` (key, failures that lock it),
        in one transaction; each counter as it is afterwards. A counter reaching its
        threshold is locked until ``now + duration`` (a running lock is kept, not
        extended); every counter lives until ``now + duration``. One INSERT … ON CONFLICT
        DO UPDATE per counter, in a fixed order: concurrent failures in any number of
        processes are all counted, each sees a count of its own, and exactly one sees the
        count that starts a lock."""

    def clear(self, factor: str, key: CounterKey) -> None:
        """Forget one counter (a success from that source)."""

    def of_subjects(self, subjects: Sequence[str], now: int) -> list[FailureCounter]:
        """The live counters of any factor against ``subjects``, by factor, subject, source."""

    def clear_subjects(self, subjects: Sequence[str]) -> int:
        """Delete every counter of any factor against ``subjects`` (an operator's unlock);
        how many there were."""


class KnownBrowserRepository(Protocol):
    """Browsers people have signed in from, by the SHA-256 of their device cookie."""

    def is_known(self, user_id: str, device_hash: str, now: int) -> bool:
        """Whether ``user_id`` signed in from this browser before and it has not expired.
        One lean statement."""

    def remember(self, user_id: str, device_hash: str, now: int, expires_at: int) -> None:
        """Record a sign-in of ``user_id`` from this browser: known until ``expires_at``.
        Idempotent (an upsert)."""
