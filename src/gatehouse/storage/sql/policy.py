"""Each tenant's policy (``TenantPolicyRepository``): a JSON column of its tenant row."""

from __future__ import annotations

from typing import cast

import sqlalchemy as sa

from gatehouse.policy import TenantPolicy
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.base import SqlRepository, retried
from gatehouse.storage.sql.cache import RegistryCache
from gatehouse.storage.sql.database import Database

_KEY = ("policy",)


class SqlTenantPolicyRepository(SqlRepository):
    def __init__(self, database: Database, tenant_id: str, cache: RegistryCache) -> None:
        super().__init__(database, tenant_id)
        self._cache = cache

    def get(self) -> TenantPolicy:
        cached = self._cache.get(_KEY)
        if cached is not None:
            return cast(TenantPolicy, cached)
        return self._read()

    @retried
    def _read(self) -> TenantPolicy:
        generation = self._cache.generation()
        with self.db.read() as conn:
            stored = conn.execute(
                sa.select(t.tenants.c.policy).where(t.tenants.c.id == self.tenant_id)
            ).scalar_one_or_none()
        policy = TenantPolicy.from_stored(stored)
        self._cache.put(_KEY, policy, generation)
        return policy

    @retried
    def update(self, policy: TenantPolicy) -> None:
        with self._cache.write() as conn:
            conn.execute(
                t.tenants.update()
                .where(t.tenants.c.id == self.tenant_id)
                .values(policy=policy.as_stored() or None)
            )
