"""Trusted external issuers and their client rules (``TrustedIssuerRepository``)."""

from __future__ import annotations

import builtins

import sqlalchemy as sa

from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.base import SqlRepository, retried
from gatehouse.storage.sql.columns import RecordColumns
from gatehouse.storage.trusted_issuers import IssuerClientRule, TrustedIssuer

ISSUER = RecordColumns(TrustedIssuer, t.trusted_issuers, stored_elsewhere=("clients",))
RULE = RecordColumns(IssuerClientRule, t.trusted_issuer_clients)


class SqlTrustedIssuerRepository(SqlRepository):
    def _read(self, conn: sa.Connection, *where: sa.ColumnElement[bool]) -> list[TrustedIssuer]:
        ti, tc = t.trusted_issuers, t.trusted_issuer_clients
        rows = (
            conn.execute(
                sa.select(*ISSUER.columns())
                .where(ti.c.tenant_id == self.tenant_id, *where)
                .order_by(ti.c.issuer)
            )
            .mappings()
            .all()
        )
        if not rows:
            return []
        rules: dict[str, list[IssuerClientRule]] = {}
        for rule in conn.execute(
            sa.select(tc.c.issuer, *RULE.columns())
            .where(tc.c.tenant_id == self.tenant_id, tc.c.issuer.in_([r["issuer"] for r in rows]))
            .order_by(tc.c.client_id)
        ).mappings():
            rules.setdefault(rule["issuer"], []).append(RULE.record(rule))
        return [ISSUER.record(row, clients=tuple(rules.get(row["issuer"], ()))) for row in rows]

    @retried
    def get(self, issuer: str) -> TrustedIssuer | None:
        with self.db.read() as conn:
            found = self._read(conn, t.trusted_issuers.c.issuer == issuer)
        return found[0] if found else None

    @retried
    def list(self) -> builtins.list[TrustedIssuer]:
        with self.db.read() as conn:
            return self._read(conn)

    @retried
    def save(self, issuer: TrustedIssuer) -> None:
        ti, tc = t.trusted_issuers, t.trusted_issuer_clients
        with self.db.write() as conn:
            where = (ti.c.tenant_id == self.tenant_id, ti.c.issuer == issuer.issuer)
            if conn.execute(sa.select(ti.c.issuer).where(*where)).first() is None:
                conn.execute(ti.insert().values(ISSUER.values(issuer, tenant_id=self.tenant_id)))
            else:
                conn.execute(ti.update().where(*where).values(ISSUER.values(issuer)))
            conn.execute(
                tc.delete().where(tc.c.tenant_id == self.tenant_id, tc.c.issuer == issuer.issuer)
            )
            for rule in issuer.clients:
                conn.execute(
                    tc.insert().values(
                        RULE.values(rule, tenant_id=self.tenant_id, issuer=issuer.issuer)
                    )
                )

    @retried
    def delete(self, issuer: str) -> bool:
        ti, tc = t.trusted_issuers, t.trusted_issuer_clients
        with self.db.write() as conn:
            conn.execute(tc.delete().where(tc.c.tenant_id == self.tenant_id, tc.c.issuer == issuer))
            result = conn.execute(
                ti.delete().where(ti.c.tenant_id == self.tenant_id, ti.c.issuer == issuer)
            )
        return result.rowcount == 1
