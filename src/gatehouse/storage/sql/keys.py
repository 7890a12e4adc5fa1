"""SQL storage of signing keys."""

from __future__ import annotations

import sqlalchemy as sa

from gatehouse.keys.keyring import StoredKey
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.database import Database


class SqlKeyRepository:
    def __init__(self, database: Database, tenant_id: str) -> None:
        self.db = database
        self.tenant_id = tenant_id

    def all(self) -> list[StoredKey]:
        k = t.signing_keys
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(
                    k.c.kid,
                    k.c.alg,
                    k.c.public_jwk,
                    k.c.created_at,
                    k.c.activates_at,
                    k.c.retired_at,
                    k.c.published_until,
                )
                .where(k.c.tenant_id == self.tenant_id)
                .order_by(k.c.created_at)
            )
            return [StoredKey(**row._mapping) for row in rows]

    def private_key(self, kid: str) -> bytes:
        k = t.signing_keys
        with self.db.read() as conn:
            blob = conn.execute(
                sa.select(k.c.private_key_encrypted).where(
                    k.c.tenant_id == self.tenant_id, k.c.kid == kid
                )
            ).scalar_one()
        return bytes(blob)

    def add(self, key: StoredKey, private_key_encrypted: bytes) -> None:
        with self.db.write() as conn:
            conn.execute(
                t.signing_keys.insert().values(
                    tenant_id=self.tenant_id,
                    kid=key.kid,
                    alg=key.alg,
                    public_jwk=key.public_jwk,
                    private_key_encrypted=private_key_encrypted,
                    created_at=key.created_at,
                    activates_at=key.activates_at,
                    retired_at=key.retired_at,
                    published_until=key.published_until,
                )
            )

    def retire(self, retirements: list[tuple[str, int, int]]) -> None:
        k = t.signing_keys
        with self.db.write() as conn:
            for kid, retired_at, published_until in retirements:
                conn.execute(
                    k.update()
                    .where(k.c.tenant_id == self.tenant_id, k.c.kid == kid)
                    .values(retired_at=retired_at, published_until=published_until)
                )
