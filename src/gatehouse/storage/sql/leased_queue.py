"""The one way a table serves as a work queue that several workers share: back-channel
logouts (logout_deliveries.py) and outgoing mail (selfservice.py).

A row waits until it is done or given up; it is due once ``next_attempt_at`` has come and no
live lease holds it. A worker claims a due row with a conditional UPDATE that sets a new
``lease_id`` and ``lease_until`` and counts the attempt: of several workers racing for the
row, exactly one changes it. The worker then writes the outcome only under its lease, so one
whose lease ran out (it hung past it, and another worker took the row over) changes nothing.
A worker that dies leaves the row to the others once the lease runs out.
"""

from __future__ import annotations

import builtins
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from gatehouse.storage.sql.database import Database


@dataclass(frozen=True)
class LeasedQueue:
    """A queue table: it has ``tenant_id``, ``id``, ``attempts``, ``next_attempt_at``,
    ``lease_id``, ``lease_until``, ``last_error``, and the two columns named here, which
    hold when a row was done and when it was given up."""

    table: sa.Table
    done_at: str
    given_up_at: str

    def _column(self, name: str) -> sa.Column[Any]:
        return self.table.c[name]

    def waiting(self, tenant_id: str) -> list[sa.ColumnElement[bool]]:
        """The tenant's rows neither done nor given up."""
        return [self.table.c.tenant_id == tenant_id, *self._waiting_in_any_tenant()]

    def _waiting_in_any_tenant(self) -> list[sa.ColumnElement[bool]]:
        return [self._column(self.done_at).is_(None), self._column(self.given_up_at).is_(None)]

    def _due_in_any_tenant(self, now: int) -> list[sa.ColumnElement[bool]]:
        q = self.table
        return [
            *self._waiting_in_any_tenant(),
            q.c.next_attempt_at <= now,
            sa.or_(q.c.lease_until.is_(None), q.c.lease_until <= now),
        ]

    def _due(self, tenant_id: str, now: int) -> list[sa.ColumnElement[bool]]:
        return [self.table.c.tenant_id == tenant_id, *self._due_in_any_tenant(now)]

    def tenants_with_due(self, db: Database, now: int) -> builtins.list[str]:
        """The tenants that have a row due at ``now``, in one read across them all: a worker
        serving many tenants then looks only into the queues that have work (looking into
        each in turn cost a few round trips per tenant on every poll)."""
        q = self.table
        with db.read() as conn:
            query = sa.select(q.c.tenant_id).where(*self._due_in_any_tenant(now)).distinct()
            return sorted(conn.execute(query).scalars())

    def claim(
        self,
        db: Database,
        tenant_id: str,
        now: int,
        lease_until: int,
        wanted: int,
        candidates: int | None = None,
    ) -> builtins.list[str]:
        """The ids of up to ``wanted`` due rows, each now under a new lease until
        ``lease_until`` with its attempt counted; earliest due first. Up to ``candidates``
        (default ``wanted``) rows are looked at: one another worker claims between the look
        and the UPDATE is skipped for the next."""
        q = self.table
        with db.read() as conn:
            looked_at = (
                conn.execute(
                    sa.select(q.c.id)
                    .where(*self._due(tenant_id, now))
                    .order_by(q.c.next_attempt_at, q.c.created_at)
                    .limit(candidates or wanted)
                )
                .scalars()
                .all()
            )
        claimed: builtins.list[str] = []
        for row_id in looked_at:
            if len(claimed) == wanted:
                break
            with db.write() as conn:
                taken = conn.execute(
                    q.update()
                    .where(q.c.id == row_id, *self._due(tenant_id, now))
                    .values(
                        lease_id=str(uuid.uuid4()),
                        lease_until=lease_until,
                        attempts=q.c.attempts + 1,
                    )
                ).rowcount
            if taken == 1:
                claimed.append(row_id)
        return claimed

    def settle(
        self, db: Database, tenant_id: str, row_id: str, lease_id: str | None, **values: Any
    ) -> bool:
        """Write the outcome of an attempt (``values``) and release the lease, only if the
        row is still under ``lease_id`` and waiting; whether it was."""
        q = self.table
        with db.write() as conn:
            changed = conn.execute(
                q.update()
                .where(*self.waiting(tenant_id), q.c.id == row_id, q.c.lease_id == lease_id)
                .values(lease_id=None, lease_until=None, **values)
            ).rowcount
        return bool(changed == 1)

    def next_due(self, db: Database, tenant_id: str) -> int | None:
        """When the earliest waiting row comes due (or its lease runs out); None if none."""
        q = self.table
        with db.read() as conn:
            due: int | None = conn.execute(
                sa.select(
                    sa.func.min(sa.func.coalesce(q.c.lease_until, q.c.next_attempt_at))
                ).where(*self.waiting(tenant_id))
            ).scalar()
        return due
