"""``MultiTenantDirectory`` (storage/multi_tenant.py): the reads and writes that cross
tenants for multi-tenant applications, each one statement or one transaction, filtered by
the tenants it names explicitly."""

from __future__ import annotations

import sqlalchemy as sa

from gatehouse.storage.records import Client, ClientSecret
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.base import SqlRepository, retried
from gatehouse.storage.sql.clients import CLIENT, OWNED_BY_CLIENT, SECRET


class SqlMultiTenantDirectory(SqlRepository):
    """``tenant_id``: the tenant of the store that holds it (unused by the queries, which
    name their tenants)."""

    @retried
    def home_of(self, client_id: str) -> str | None:
        c = t.clients
        with self.db.read() as conn:
            row = conn.execute(
                sa.select(c.c.tenant_id)
                .where(c.c.client_id == client_id, c.c.multi_tenant.is_(True))
                .order_by(c.c.tenant_id)
                .limit(1)
            ).first()
        return None if row is None else str(row.tenant_id)

    @retried
    def tenants_with_client(self, client_id: str) -> list[str]:
        c = t.clients
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(c.c.tenant_id).where(c.c.client_id == client_id).order_by(c.c.tenant_id)
            ).all()
        return [str(r.tenant_id) for r in rows]

    @retried
    def home_client(
        self, home_tenant: str, client_id: str
    ) -> tuple[Client, tuple[ClientSecret, ...]] | None:
        c, cs = t.clients, t.client_secrets
        with self.db.read() as conn:  # one snapshot: the client and the secrets agree
            row = (
                conn.execute(
                    sa.select(c).where(
                        c.c.tenant_id == home_tenant,
                        c.c.client_id == client_id,
                        c.c.multi_tenant.is_(True),
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                return None
            rows = conn.execute(
                sa.select(cs).where(cs.c.tenant_id == home_tenant, cs.c.client_id == client_id)
            ).mappings()
            secrets = tuple(SECRET.record(r) for r in rows)
        return CLIENT.record(row), secrets

    @retried
    def home_encrypted_secrets(
        self, home_tenant: str, client_id: str, now: int
    ) -> list[tuple[str, bytes]]:
        cs = t.client_secrets
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(cs.c.id, cs.c.secret_encrypted).where(
                    cs.c.tenant_id == home_tenant,
                    cs.c.client_id == client_id,
                    cs.c.secret_encrypted.is_not(None),
                    cs.c.revoked_at.is_(None),
                    sa.or_(cs.c.expires_at.is_(None), cs.c.expires_at > now),
                )
            ).all()
        return [(r.id, bytes(r.secret_encrypted)) for r in rows]

    @retried
    def presences(self, home_tenant: str, client_id: str) -> list[str]:
        ac = t.admin_consents
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(ac.c.tenant_id)
                .where(ac.c.client_id == client_id, ac.c.home_tenant == home_tenant)
                .order_by(ac.c.tenant_id)
            ).all()
        return [str(r.tenant_id) for r in rows]

    def end_presence(self, tenant: str, client_id: str) -> bool:
        ac = t.admin_consents
        with self.db.write() as conn:
            found = conn.execute(
                sa.select(ac.c.client_id).where(
                    ac.c.tenant_id == tenant,
                    ac.c.client_id == client_id,
                    ac.c.home_tenant.is_not(None),
                )
            ).first()
            if found is None:
                return False
            for table in OWNED_BY_CLIENT:
                conn.execute(
                    table.delete().where(
                        table.c.tenant_id == tenant, table.c.client_id == client_id
                    )
                )
        return True
