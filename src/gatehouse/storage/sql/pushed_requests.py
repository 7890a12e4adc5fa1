"""Pushed authorization requests (``PushedRequestRepository``, RFC 9126). A request_uri is
one-time by one conditional UPDATE whose row count decides the winner."""

from __future__ import annotations

import sqlalchemy as sa

from gatehouse.storage.records import PushedRequest
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.base import SqlRepository, retried
from gatehouse.storage.sql.columns import RecordColumns

PUSHED = RecordColumns(PushedRequest, t.pushed_authorization_requests)
_par = t.pushed_authorization_requests


class SqlPushedRequestRepository(SqlRepository):
    def create(self, request: PushedRequest) -> None:
        with self.db.write() as conn:
            conn.execute(_par.insert().values(PUSHED.values(request, tenant_id=self.tenant_id)))

    def consume(self, request_uri_hash: str, client_id: str, now: int) -> PushedRequest | None:
        # Never retried: a lost answer to the UPDATE leaves unknown whether it was spent.
        with self.db.write() as conn:
            spent = conn.execute(
                _par.update()
                .where(
                    _par.c.tenant_id == self.tenant_id,
                    _par.c.request_uri_hash == request_uri_hash,
                    _par.c.client_id == client_id,
                    _par.c.used_at.is_(None),
                    _par.c.expires_at > now,
                )
                .values(used_at=now)
            )
            if spent.rowcount != 1:
                return None
            row = conn.execute(self._by_hash(request_uri_hash)).mappings().one()
        return PUSHED.record(row)

    @retried
    def get(self, request_uri_hash: str) -> PushedRequest | None:
        with self.db.read() as conn:
            row = conn.execute(self._by_hash(request_uri_hash)).mappings().first()
        return PUSHED.record(row) if row else None

    def _by_hash(self, request_uri_hash: str) -> sa.Select[tuple[object, ...]]:
        return sa.select(*PUSHED.columns()).where(
            _par.c.tenant_id == self.tenant_id, _par.c.request_uri_hash == request_uri_hash
        )
