"""Admin consents (``AdminConsentRepository``): one row per client, and the grants that
withdrawing one must look at."""

from __future__ import annotations

import builtins

import sqlalchemy as sa

from gatehouse.storage.admin_consents import AdminConsent, LiveGrant
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.base import SqlRepository, retried
from gatehouse.storage.sql.columns import RecordColumns

ADMIN_CONSENT = RecordColumns(AdminConsent, t.admin_consents)


class SqlAdminConsentRepository(SqlRepository):
    @retried
    def get(self, client_id: str) -> AdminConsent | None:
        ac = t.admin_consents
        with self.db.read() as conn:
            row = (
                conn.execute(
                    sa.select(*ADMIN_CONSENT.columns()).where(
                        ac.c.tenant_id == self.tenant_id, ac.c.client_id == client_id
                    )
                )
                .mappings()
                .first()
            )
        return None if row is None else ADMIN_CONSENT.record(row)

    @retried
    def list(self) -> builtins.list[AdminConsent]:
        ac = t.admin_consents
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(*ADMIN_CONSENT.columns())
                .where(ac.c.tenant_id == self.tenant_id)
                .order_by(ac.c.client_id)
            ).mappings()
            return [ADMIN_CONSENT.record(r) for r in rows]

    @retried
    def save(self, consent: AdminConsent) -> None:
        ac = t.admin_consents
        where = (ac.c.tenant_id == self.tenant_id, ac.c.client_id == consent.client_id)
        with self.db.write() as conn:
            if conn.execute(sa.select(ac.c.client_id).where(*where)).first() is None:
                values = ADMIN_CONSENT.values(consent, tenant_id=self.tenant_id)
                conn.execute(ac.insert().values(values))
            else:
                conn.execute(ac.update().where(*where).values(ADMIN_CONSENT.values(consent)))

    @retried
    def delete(self, client_id: str) -> bool:
        ac = t.admin_consents
        with self.db.write() as conn:
            result = conn.execute(
                ac.delete().where(ac.c.tenant_id == self.tenant_id, ac.c.client_id == client_id)
            )
            return result.rowcount == 1

    @retried
    def live_grants(self, client_id: str, now: int) -> builtins.list[LiveGrant]:
        rt, codes = t.refresh_tokens, t.authorization_codes
        live = sa.union_all(
            sa.select(rt.c.grant_id, rt.c.user_id, rt.c.scopes).where(
                rt.c.tenant_id == self.tenant_id,
                rt.c.client_id == client_id,
                rt.c.used_at.is_(None),
                rt.c.revoked_at.is_(None),
                rt.c.expires_at > now,
                rt.c.idle_expires_at > now,
            ),
            sa.select(codes.c.grant_id, codes.c.user_id, codes.c.scopes).where(
                codes.c.tenant_id == self.tenant_id,
                codes.c.client_id == client_id,
                codes.c.used_at.is_(None),
                codes.c.expires_at > now,
            ),
        )
        grants: dict[str, LiveGrant] = {}
        with self.db.read() as conn:
            for row in conn.execute(live).mappings():
                found = grants.get(row["grant_id"])
                scopes = frozenset(row["scopes"]) | (found.scopes if found else frozenset())
                grants[row["grant_id"]] = LiveGrant(row["grant_id"], row["user_id"], scopes)
        return sorted(grants.values(), key=lambda g: g.grant_id)
