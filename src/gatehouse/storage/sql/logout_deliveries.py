"""The queue of back-channel logouts (``LogoutDeliveryRepository``), shared by the delivery
workers of every server process on every machine: a row is claimed and settled under a lease
(leased_queue.py, the same mechanism as the outgoing mail's).
"""

from __future__ import annotations

import builtins
import threading
import weakref

import sqlalchemy as sa

from gatehouse.storage.records import LogoutDelivery
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.base import SqlRepository, retried
from gatehouse.storage.sql.columns import RecordColumns
from gatehouse.storage.sql.database import Database
from gatehouse.storage.sql.leased_queue import LeasedQueue

DELIVERY = RecordColumns(LogoutDelivery, t.backchannel_logouts)
QUEUE = LeasedQueue(t.backchannel_logouts, done_at="delivered_at", given_up_at="abandoned_at")
# Rows a worker looks at per claim: a row another worker takes meanwhile is skipped.
_CANDIDATES = 5


class QueueSignal:
    """Rung after this process committed a sign-out that queued deliveries, so that its
    delivery worker sends them at once; workers of other processes find them by polling."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def ring(self) -> None:
        self._event.set()

    def wait(self, timeout: float) -> bool:
        rung = self._event.wait(timeout)
        self._event.clear()
        return rung


_SIGNALS: weakref.WeakKeyDictionary[Database, QueueSignal] = weakref.WeakKeyDictionary()
_SIGNALS_LOCK = threading.Lock()


def queue_signal(database: Database) -> QueueSignal:
    """The one signal of ``database`` in this process. Every tenant's store over it rings
    this one, and the process's one delivery worker, which serves every tenant (runtime.py
    ``backchannel_worker``), waits on it: a sign-out in any tenant wakes it at once."""
    with _SIGNALS_LOCK:
        signal = _SIGNALS.get(database)
        if signal is None:
            signal = _SIGNALS[database] = QueueSignal()
        return signal


class SqlLogoutDeliveryRepository(SqlRepository):
    def __init__(self, database: Database, tenant_id: str, signal: QueueSignal) -> None:
        super().__init__(database, tenant_id)
        self._signal = signal

    def wait_for_queued(self, timeout: float) -> bool:
        return self._signal.wait(timeout)

    def wake(self) -> None:
        self._signal.ring()

    @retried
    def claim_due(self, now: int, lease_until: int) -> LogoutDelivery | None:
        # One at a time: a slow client then holds up no other delivery.
        claimed = QUEUE.claim(self.db, self.tenant_id, now, lease_until, 1, _CANDIDATES)
        return self.get(claimed[0]) if claimed else None

    def _settle(self, delivery: LogoutDelivery, **values: object) -> bool:
        return QUEUE.settle(self.db, self.tenant_id, delivery.id, delivery.lease_id, **values)

    @retried
    def mark_delivered(self, delivery: LogoutDelivery, now: int) -> bool:
        return self._settle(delivery, delivered_at=now, last_error=None)

    @retried
    def retry_at(self, delivery: LogoutDelivery, next_attempt_at: int, error: str) -> bool:
        return self._settle(delivery, next_attempt_at=next_attempt_at, last_error=error[:255])

    @retried
    def abandon(self, delivery: LogoutDelivery, now: int, error: str) -> bool:
        return self._settle(delivery, abandoned_at=now, last_error=error[:255])

    @retried
    def next_attempt_at(self) -> int | None:
        return QUEUE.next_due(self.db, self.tenant_id)

    @retried
    def get(self, delivery_id: str) -> LogoutDelivery | None:
        q = t.backchannel_logouts
        with self.db.read() as conn:
            row = (
                conn.execute(
                    sa.select(*DELIVERY.columns()).where(
                        q.c.tenant_id == self.tenant_id, q.c.id == delivery_id
                    )
                )
                .mappings()
                .first()
            )
        return None if row is None else DELIVERY.record(row)

    @retried
    def list(self) -> builtins.list[LogoutDelivery]:
        q = t.backchannel_logouts
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(*DELIVERY.columns())
                .where(q.c.tenant_id == self.tenant_id)
                .order_by(q.c.created_at, q.c.client_id, q.c.id)
            ).mappings()
            return [DELIVERY.record(r) for r in rows]
