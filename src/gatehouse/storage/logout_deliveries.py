"""The storage contract of the back-channel logout queue (``LogoutDeliveryRepository``),
re-exported by ``storage/repositories.py`` with every other repository. ``storage.sql.
logout_deliveries`` implements it."""

from __future__ import annotations

import builtins
from typing import Protocol

from gatehouse.storage.records import LogoutDelivery


class LogoutDeliveryRepository(Protocol):
    """The durable queue of back-channel logouts that ``SessionRepository.end_sessions``
    fills. Delivery workers in any number of processes share it: a row is claimed under a
    lease, and its outcome is recorded only under that lease."""

    def claim_due(self, now: int, lease_until: int) -> LogoutDelivery | None:
        """Take one delivery that is due (not delivered or abandoned, ``next_attempt_at`` <=
        ``now``, no lease or an expired one), under a new lease until ``lease_until``, with
        its ``attempts`` counted up; or None. One conditional UPDATE decides: of several
        workers racing for a row, exactly one gets it."""

    def mark_delivered(self, delivery: LogoutDelivery, now: int) -> bool:
        """It was delivered. False (and nothing changed) when ``delivery``'s lease is no
        longer the row's."""

    def retry_at(self, delivery: LogoutDelivery, next_attempt_at: int, error: str) -> bool:
        """It failed with ``error`` (no token in it); try again at ``next_attempt_at``.
        False (and nothing changed) when the lease is no longer the row's."""

    def abandon(self, delivery: LogoutDelivery, now: int, error: str) -> bool:
        """Give up on it, recording ``error``. False (and nothing changed) when the lease
        is no longer the row's."""

    def next_attempt_at(self) -> int | None:
        """The earliest time a pending delivery may be claimed (its next attempt, or the
        end of its lease), or None when none is pending."""

    def get(self, delivery_id: str) -> LogoutDelivery | None:
        """The delivery whatever its state, or None (purged)."""

    def list(self) -> builtins.list[LogoutDelivery]:
        """Every delivery not yet purged, oldest first."""

    def wait_for_queued(self, timeout: float) -> bool:
        """Wait until a sign-out through this store (this process) has queued deliveries, or
        ``wake`` is called, or ``timeout`` seconds pass; whether it was woken. Deliveries
        queued by other processes are found by polling."""

    def wake(self) -> None:
        """Wake whoever waits in ``wait_for_queued`` (a worker asked to stop)."""
