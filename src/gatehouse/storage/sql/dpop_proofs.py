"""DPoP proofs seen (``DPoPProofRepository``): the replay store of RFC 9449 §11.1.

One lean INSERT … ON CONFLICT DO NOTHING per proof, autocommitted: its row count says
whether the proof is new, so two servers that receive the same proof at once cannot both
accept it, and a DPoP request costs one round trip more than a bearer one.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.base import SqlRepository
from gatehouse.storage.sql.lean import LeanStatement

_VALUES: dict[str, sa.BindParameter[Any]] = {
    "tenant_id": sa.bindparam("p_tenant"),
    "jti_hash": sa.bindparam("p_jti_hash"),
    "expires_at": sa.bindparam("p_expires_at"),
}
_LEAN_RECORD = {
    "sqlite": LeanStatement(
        sqlite.insert(t.used_dpop_proofs).values(_VALUES).on_conflict_do_nothing()
    ),
    "postgresql": LeanStatement(
        postgresql.insert(t.used_dpop_proofs).values(_VALUES).on_conflict_do_nothing()
    ),
}


class SqlDPoPProofRepository(SqlRepository):
    def record(self, jti_hash: str, expires_at: int) -> bool:
        statement = _LEAN_RECORD["sqlite" if self.db.is_sqlite else "postgresql"]
        params = {"p_tenant": self.tenant_id, "p_jti_hash": jti_hash, "p_expires_at": expires_at}
        return self.db.execute_count(statement, params) == 1
