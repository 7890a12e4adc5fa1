"""The audit log (``AuditRepository``): append-only rows, listed newest first."""

from __future__ import annotations

import builtins

import sqlalchemy as sa

from gatehouse.storage.records import AuditEvent, AuditQuery
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.base import SqlRepository, retried
from gatehouse.storage.sql.columns import RecordColumns
from gatehouse.storage.sql.lean import LeanStatement

EVENT = RecordColumns(AuditEvent, t.audit_events)
# Every sign-in, token exchange and JWT bearer grant writes one: a lean INSERT (sql/lean.py),
# inside the caller's transaction when there is one. The database numbers events (no id).
_LEAN_INSERT_EVENT = LeanStatement(
    t.audit_events.insert().values(
        {k: v for k, v in EVENT.bind_params("tenant_id").items() if k != "id"}
    )
)


class SqlAuditRepository(SqlRepository):
    def record(self, event: AuditEvent) -> None:
        # Not @retried: a lost answer to an INSERT may have committed, and the same event
        # twice is a false record.
        self.db.execute_count(_LEAN_INSERT_EVENT, EVENT.params(event, tenant_id=self.tenant_id))

    @retried
    def list(self, query: AuditQuery) -> builtins.list[AuditEvent]:
        a = t.audit_events
        where: builtins.list[sa.ColumnElement[bool]] = [a.c.tenant_id == self.tenant_id]
        if query.user_id is not None:
            where.append(a.c.user_id == query.user_id)
        if query.client_id is not None:
            where.append(a.c.client_id == query.client_id)
        if query.types:
            where.append(
                sa.or_(
                    *(
                        sa.or_(a.c.type == name, a.c.type.startswith(f"{name}.", autoescape=True))
                        for name in query.types
                    )
                )
            )
        if query.since is not None:
            where.append(a.c.occurred_at >= query.since)
        if query.until is not None:
            where.append(a.c.occurred_at < query.until)
        if query.before_id is not None:
            where.append(a.c.id < query.before_id)
        statement = (
            sa.select(*EVENT.columns()).where(*where).order_by(a.c.id.desc()).limit(query.limit)
        )
        with self.db.read() as conn:
            return [EVENT.record(row) for row in conn.execute(statement).mappings()]
