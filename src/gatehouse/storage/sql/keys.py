"""Signing keys (``KeyRepository``): public records, private halves encrypted at rest."""

from __future__ import annotations

import sqlalchemy as sa

from gatehouse.storage.records import StoredKey
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.base import SqlRepository, retried
from gatehouse.storage.sql.columns import RecordColumns

KEY = RecordColumns(StoredKey, t.signing_keys)


class SqlKeyRepository(SqlRepository):
    @retried
    def all(self) -> list[StoredKey]:
        k = t.signing_keys
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(*KEY.columns())
                .where(k.c.tenant_id == self.tenant_id)
                .order_by(k.c.created_at)
            ).mappings()
            return [KEY.record(row) for row in rows]

    @retried
    def private_key(self, kid: str) -> bytes:
        k = t.signing_keys
        with self.db.read() as conn:
            blob = conn.execute(
                sa.select(k.c.private_key_encrypted).where(
                    k.c.tenant_id == self.tenant_id, k.c.kid == kid
                )
            ).scalar_one()
        return bytes(blob)

    @retried
    def add(self, key: StoredKey, private_key_encrypted: bytes) -> None:
        values = KEY.values(
            key, tenant_id=self.tenant_id, private_key_encrypted=private_key_encrypted
        )
        with self.db.write() as conn:
            conn.execute(t.signing_keys.insert().values(values))

    @retried
    def retire(self, retirements: list[tuple[str, int, int]]) -> None:
        k = t.signing_keys
        with self.db.write() as conn:
            for kid, retired_at, published_until in retirements:
                conn.execute(
                    k.update()
                    .where(k.c.tenant_id == self.tenant_id, k.c.kid == kid)
                    .values(retired_at=retired_at, published_until=published_until)
                )
