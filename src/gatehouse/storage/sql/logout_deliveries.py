"""The queue of back-channel logouts (``LogoutDeliveryRepository``).

Several delivery workers (one per server process, on one or more machines) share the queue.
A worker takes a row by a conditional UPDATE that sets a new lease: of several racing for
the same row, exactly one changes it, so a logout goes out from one worker at a time. The
outcome is written only under that lease: a worker whose lease ran out (it hung past it, and
another took the row over) changes nothing.
"""

from __future__ import annotations

import builtins
import threading
import uuid
from typing import Any

import sqlalchemy as sa

from gatehouse.storage.records import LogoutDelivery
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.base import SqlRepository, retried
from gatehouse.storage.sql.columns import RecordColumns
from gatehouse.storage.sql.database import Database

DELIVERY = RecordColumns(LogoutDelivery, t.backchannel_logouts)
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


class SqlLogoutDeliveryRepository(SqlRepository):
    def __init__(self, database: Database, tenant_id: str, signal: QueueSignal) -> None:
        super().__init__(database, tenant_id)
        self._signal = signal

    def wait_for_queued(self, timeout: float) -> bool:
        return self._signal.wait(timeout)

    def wake(self) -> None:
        self._signal.ring()

    def _due(self, now: int) -> list[sa.ColumnElement[bool]]:
        q = t.backchannel_logouts
        return [
            q.c.tenant_id == self.tenant_id,
            q.c.delivered_at.is_(None),
            q.c.abandoned_at.is_(None),
            q.c.next_attempt_at <= now,
            sa.or_(q.c.lease_until.is_(None), q.c.lease_until <= now),
        ]

    @retried
    def claim_due(self, now: int, lease_until: int) -> LogoutDelivery | None:
        q = t.backchannel_logouts
        with self.db.read() as conn:
            candidates = (
                conn.execute(
                    sa.select(q.c.id)
                    .where(*self._due(now))
                    .order_by(q.c.next_attempt_at, q.c.created_at)
                    .limit(_CANDIDATES)
                )
                .scalars()
                .all()
            )
        for delivery_id in candidates:
            lease_id = str(uuid.uuid4())
            with self.db.write() as conn:
                taken = conn.execute(
                    q.update()
                    .where(q.c.id == delivery_id, *self._due(now))
                    .values(lease_id=lease_id, lease_until=lease_until, attempts=q.c.attempts + 1)
                ).rowcount
            if taken == 1:
                return self.get(delivery_id)
        return None

    def _under_lease(self, delivery: LogoutDelivery, **values: Any) -> bool:
        q = t.backchannel_logouts
        with self.db.write() as conn:
            return (
                conn.execute(
                    q.update()
                    .where(
                        q.c.tenant_id == self.tenant_id,
                        q.c.id == delivery.id,
                        q.c.lease_id == delivery.lease_id,
                        q.c.delivered_at.is_(None),
                        q.c.abandoned_at.is_(None),
                    )
                    .values(lease_id=None, lease_until=None, **values)
                ).rowcount
                == 1
            )

    @retried
    def mark_delivered(self, delivery: LogoutDelivery, now: int) -> bool:
        return self._under_lease(delivery, delivered_at=now, last_error=None)

    @retried
    def retry_at(self, delivery: LogoutDelivery, next_attempt_at: int, error: str) -> bool:
        return self._under_lease(delivery, next_attempt_at=next_attempt_at, last_error=error[:255])

    @retried
    def abandon(self, delivery: LogoutDelivery, now: int, error: str) -> bool:
        return self._under_lease(delivery, abandoned_at=now, last_error=error[:255])

    @retried
    def next_attempt_at(self) -> int | None:
        q = t.backchannel_logouts
        with self.db.read() as conn:
            return conn.execute(
                sa.select(
                    sa.func.min(sa.func.coalesce(q.c.lease_until, q.c.next_attempt_at))
                ).where(
                    q.c.tenant_id == self.tenant_id,
                    q.c.delivered_at.is_(None),
                    q.c.abandoned_at.is_(None),
                )
            ).scalar()

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
