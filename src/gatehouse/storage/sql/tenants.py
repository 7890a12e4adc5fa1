"""The tenants themselves (``TenantRepository``), across every tenant of the database."""

from __future__ import annotations

import builtins
from typing import Any

import sqlalchemy as sa

from gatehouse.storage.records import StoredKey
from gatehouse.storage.sql.base import retried
from gatehouse.storage.sql.database import Database
from gatehouse.storage.sql.keys import KEY
from gatehouse.storage.sql.logout_deliveries import QUEUE as LOGOUT_QUEUE
from gatehouse.storage.sql.metadata import metadata
from gatehouse.storage.sql.selfservice import MAIL_QUEUE
from gatehouse.storage.sql.tables import signing_keys
from gatehouse.storage.sql.tenant_tables import tenants
from gatehouse.storage.tenants import Tenant
from gatehouse.tenancy import DEFAULT_TENANT, TenantProfile

_COLUMNS = (tenants.c.id, tenants.c.created_at, tenants.c.revision, tenants.c.profile)


def _tenant(row: Any) -> Tenant:
    return Tenant(
        id=row.id,
        created_at=row.created_at,
        revision=row.revision,
        profile=TenantProfile.from_stored(row.profile),
    )


class SqlTenantRepository:
    def __init__(self, database: Database) -> None:
        self.db = database
        self._changes = 0

    def changes(self) -> int:
        return self._changes

    @retried
    def get(self, tenant_id: str) -> Tenant | None:
        with self.db.read() as conn:
            row = conn.execute(sa.select(*_COLUMNS).where(tenants.c.id == tenant_id)).first()
        return _tenant(row) if row is not None else None

    @retried
    def list(self) -> list[Tenant]:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(*_COLUMNS).order_by(tenants.c.id != DEFAULT_TENANT, tenants.c.id)
            ).all()
        return [_tenant(row) for row in rows]

    @retried
    def revisions(self) -> dict[str, int]:
        with self.db.read() as conn:
            rows = conn.execute(sa.select(tenants.c.id, tenants.c.revision)).all()
        return {row.id: row.revision for row in rows}

    @retried
    def signing_keys(self) -> dict[str, builtins.list[StoredKey]]:
        k = signing_keys
        found: dict[str, builtins.list[StoredKey]] = {}
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(k.c.tenant_id, *KEY.columns()).order_by(k.c.tenant_id, k.c.created_at)
            ).mappings()
            for row in rows:
                found.setdefault(row["tenant_id"], []).append(KEY.record(row))
        return found

    @retried
    def with_logouts_due(self, now: int) -> builtins.list[str]:
        return LOGOUT_QUEUE.tenants_with_due(self.db, now)

    @retried
    def with_mail_due(self, now: int) -> builtins.list[str]:
        return MAIL_QUEUE.tenants_with_due(self.db, now)

    def create(self, tenant_id: str, profile: TenantProfile, now: int) -> bool:
        # The primary key makes a name one tenant's, whoever creates it at the same time.
        try:
            with self.db.write() as conn:
                conn.execute(
                    tenants.insert().values(
                        id=tenant_id,
                        tenant_id=tenant_id,
                        issuer=None,
                        created_at=now,
                        profile=profile.as_stored() or None,
                        revision=1,
                    )
                )
        except sa.exc.IntegrityError:
            return False
        self._changes += 1
        return True

    def update(self, tenant_id: str, profile: TenantProfile) -> bool:
        with self.db.write() as conn:
            result = conn.execute(
                tenants.update()
                .where(tenants.c.id == tenant_id)
                .values(profile=profile.as_stored() or None, revision=tenants.c.revision + 1)
            )
        self._changes += 1
        return result.rowcount == 1

    def delete(self, tenant_id: str) -> dict[str, int] | None:
        deleted: dict[str, int] = {}
        with self.db.atomic() as conn:
            exists = conn.execute(sa.select(tenants.c.id).where(tenants.c.id == tenant_id)).first()
            if exists is None:
                return None
            # Rows that others refer to go last: children first, in the schema's order.
            for table in reversed(metadata.sorted_tables):
                if table is tenants:
                    continue
                result = conn.execute(table.delete().where(table.c.tenant_id == tenant_id))
                if result.rowcount:
                    deleted[table.name] = result.rowcount
            conn.execute(tenants.delete().where(tenants.c.id == tenant_id))
        self._changes += 1
        return deleted
