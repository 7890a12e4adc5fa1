"""Consents: the scopes each user granted each client (``ConsentRepository``)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from gatehouse.storage.records import Consent
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.base import SqlRepository, retried
from gatehouse.storage.sql.columns import RecordColumns
from gatehouse.storage.sql.lean import LeanStatement

CONSENT = RecordColumns(Consent, t.consents)

_LEAN_CONSENT = LeanStatement(
    sa.select(*CONSENT.columns()).where(
        t.consents.c.tenant_id == sa.bindparam("p_tenant"),
        t.consents.c.user_id == sa.bindparam("p_user_id"),
        t.consents.c.client_id == sa.bindparam("p_client_id"),
    )
)


class SqlConsentRepository(SqlRepository):
    def get(self, user_id: str, client_id: str) -> Consent | None:
        row = self.db.fetch_one(
            _LEAN_CONSENT,
            {"p_tenant": self.tenant_id, "p_user_id": user_id, "p_client_id": client_id},
        )
        return None if row is None else CONSENT.record(row)

    @retried
    def grant(
        self,
        user_id: str,
        client_id: str,
        scopes: frozenset[str],
        now: int,
        declined: frozenset[str] = frozenset(),
    ) -> Consent:
        c = t.consents
        where = (
            c.c.tenant_id == self.tenant_id,
            c.c.user_id == user_id,
            c.c.client_id == client_id,
        )
        declined = declined - scopes
        new = Consent(user_id, client_id, scopes, now, declined)
        with self.db.write() as conn:
            # Insert first and merge on conflict: a SELECT-then-INSERT let two concurrent
            # consent submissions both insert, and the loser failed on the primary key.
            insert = postgresql.insert(c) if conn.dialect.name == "postgresql" else sqlite.insert(c)
            values = CONSENT.values(new, tenant_id=self.tenant_id, updated_at=now)
            if conn.execute(insert.values(values).on_conflict_do_nothing()).rowcount == 1:
                return new
            stored = CONSENT.record(
                conn.execute(sa.select(*CONSENT.columns()).where(*where).with_for_update())
                .mappings()
                .one()
            )
            merged = Consent(
                user_id,
                client_id,
                (stored.scopes - declined) | scopes,
                stored.granted_at,
                (stored.declined_scopes - scopes) | declined,
            )
            conn.execute(c.update().where(*where).values(**CONSENT.values(merged, updated_at=now)))
        return merged

    @retried
    def revoke(self, user_id: str, client_id: str) -> bool:
        c = t.consents
        with self.db.write() as conn:
            result = conn.execute(
                c.delete().where(
                    c.c.tenant_id == self.tenant_id,
                    c.c.user_id == user_id,
                    c.c.client_id == client_id,
                )
            )
            return result.rowcount == 1

    @retried
    def list_for_user(self, user_id: str) -> list[Consent]:
        c = t.consents
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(*CONSENT.columns())
                .where(c.c.tenant_id == self.tenant_id, c.c.user_id == user_id)
                .order_by(c.c.client_id)
            ).mappings()
            return [CONSENT.record(r) for r in rows]
