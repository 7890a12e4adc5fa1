"""Authorization codes (``AuthorizationCodeRepository``).

Code redemption is the hot path of the code grant: every statement is one lean statement,
atomic by itself, and the one-time rule is one conditional UPDATE whose row count decides
the winner.
"""

from __future__ import annotations

import sqlalchemy as sa

from gatehouse.storage.records import AuthorizationCode, AuthorizationCodeState
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.base import SqlRepository
from gatehouse.storage.sql.columns import RecordColumns
from gatehouse.storage.sql.lean import LeanStatement
from gatehouse.storage.sql.revocations import grant_revoked
from gatehouse.storage.sql.users import JOINED_USER, joined_user, with_user

CODE = RecordColumns(AuthorizationCode, t.authorization_codes)

_codes = t.authorization_codes
_LEAN_INSERT_CODE = LeanStatement(_codes.insert().values(CODE.bind_params("tenant_id")))
_LEAN_CODE_BY_HASH = LeanStatement(
    sa.select(*CODE.columns()).where(
        _codes.c.tenant_id == sa.bindparam("p_tenant"),
        _codes.c.code_hash == sa.bindparam("p_code_hash"),
    )
)
# The code, its user and whether its grant was revoked, in one round trip.
_LEAN_CODE_STATE = LeanStatement(
    sa.select(*CODE.columns(), *JOINED_USER.labels(), grant_revoked(_codes))
    .select_from(with_user(_codes))
    .where(
        _codes.c.tenant_id == sa.bindparam("p_tenant"),
        _codes.c.code_hash == sa.bindparam("p_code_hash"),
    )
)
_LEAN_CONSUME_CODE = LeanStatement(
    _codes.update()
    .where(
        _codes.c.tenant_id == sa.bindparam("p_tenant"),
        _codes.c.code_hash == sa.bindparam("p_code_hash"),
        _codes.c.used_at.is_(None),
    )
    .values(
        used_at=sa.bindparam("p_now"),
        access_token_jti=sa.bindparam("p_jti"),
        access_token_expires_at=sa.bindparam("p_jti_expires_at"),
    )
)


class SqlAuthorizationCodeRepository(SqlRepository):
    def create(self, code: AuthorizationCode) -> None:
        # One INSERT, atomic by itself: no transaction holding SQLite's lock around it.
        self.db.execute_count(_LEAN_INSERT_CODE, CODE.params(code, tenant_id=self.tenant_id))

    def get(self, code_hash: str) -> AuthorizationCode | None:
        row = self.db.fetch_one(
            _LEAN_CODE_BY_HASH, {"p_tenant": self.tenant_id, "p_code_hash": code_hash}
        )
        return CODE.record(row) if row else None

    def get_state(self, code_hash: str) -> AuthorizationCodeState | None:
        row = self.db.fetch_one(
            _LEAN_CODE_STATE, {"p_tenant": self.tenant_id, "p_code_hash": code_hash}
        )
        if row is None:
            return None
        return AuthorizationCodeState(
            CODE.record(row), joined_user(row), bool(row["grant_revoked"])
        )

    def consume(self, code_hash: str, now: int, jti: str, jti_expires_at: int) -> bool:
        # One conditional UPDATE, atomic by itself: the row count says who won.
        count = self.db.execute_count(
            _LEAN_CONSUME_CODE,
            {
                "p_tenant": self.tenant_id,
                "p_code_hash": code_hash,
                "p_now": now,
                "p_jti": jti,
                "p_jti_expires_at": jti_expires_at,
            },
        )
        return count == 1
