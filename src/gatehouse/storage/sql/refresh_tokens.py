"""Refresh tokens and their grants (token families) (``RefreshTokenRepository``).

Every statement of the refresh grant's hot path is one lean statement, atomic by itself: no
transaction holds SQLite's write lock across a thread switch. Rotation is a conditional
UPDATE whose row count decides the winner.
"""

from __future__ import annotations

import sqlalchemy as sa

from gatehouse.storage.records import OfflineGrant, RefreshToken, RefreshTokenState
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.base import SqlRepository, retried
from gatehouse.storage.sql.columns import RecordColumns
from gatehouse.storage.sql.lean import LeanStatement
from gatehouse.storage.sql.revocations import (
    deny_issued_access_tokens,
    grant_revoked,
    grants_of,
    revoke_grants_of,
)
from gatehouse.storage.sql.users import JOINED_USER, joined_user, with_user

REFRESH_TOKEN = RecordColumns(RefreshToken, t.refresh_tokens)

_rt = t.refresh_tokens
_INSERT_VALUES = REFRESH_TOKEN.bind_params("tenant_id")
_LEAN_INSERT_REFRESH = LeanStatement(_rt.insert().values(_INSERT_VALUES))
_LEAN_REFRESH_BY_HASH = LeanStatement(
    sa.select(*REFRESH_TOKEN.columns()).where(
        _rt.c.tenant_id == sa.bindparam("p_tenant"),
        _rt.c.token_hash == sa.bindparam("p_token_hash"),
    )
)
# The token, its user and whether its family was revoked, in one round trip.
_LEAN_REFRESH_STATE = LeanStatement(
    sa.select(*REFRESH_TOKEN.columns(), *JOINED_USER.labels(), grant_revoked(_rt))
    .select_from(with_user(_rt))
    .where(
        _rt.c.tenant_id == sa.bindparam("p_tenant"),
        _rt.c.token_hash == sa.bindparam("p_token_hash"),
    )
)
_MARK_REFRESH_USED = (
    _rt.update()
    .where(
        _rt.c.tenant_id == sa.bindparam("p_tenant"),
        _rt.c.token_hash == sa.bindparam("p_used_hash"),
        _rt.c.used_at.is_(None),
        _rt.c.revoked_at.is_(None),
    )
    # p_token_hash is the successor's hash (the parameters are the successor's record).
    .values(used_at=sa.bindparam("p_now"), successor_hash=sa.bindparam("p_token_hash"))
)
_LEAN_MARK_REFRESH_USED = LeanStatement(_MARK_REFRESH_USED)
_LEAN_DELETE_REFRESH = LeanStatement(
    _rt.delete().where(
        _rt.c.tenant_id == sa.bindparam("p_tenant"),
        _rt.c.token_hash == sa.bindparam("p_token_hash"),
    )
)
# WITH used AS (UPDATE … RETURNING) INSERT … SELECT … FROM used: the successor row exists
# only when the UPDATE marked the presented token, in one statement and one round trip.
_USED_REFRESH = _MARK_REFRESH_USED.returning(_rt.c.token_hash).cte("used")
_LEAN_PG_ROTATE_REFRESH = LeanStatement(
    _rt.insert()
    .from_select(
        list(_INSERT_VALUES), sa.select(*_INSERT_VALUES.values()).select_from(_USED_REFRESH)
    )
    .add_cte(_USED_REFRESH)
)


class SqlRefreshTokenRepository(SqlRepository):
    def create(self, token: RefreshToken) -> None:
        self.db.execute_count(
            _LEAN_INSERT_REFRESH, REFRESH_TOKEN.params(token, tenant_id=self.tenant_id)
        )

    def get(self, token_hash: str) -> RefreshToken | None:
        row = self.db.fetch_one(
            _LEAN_REFRESH_BY_HASH, {"p_tenant": self.tenant_id, "p_token_hash": token_hash}
        )
        return REFRESH_TOKEN.record(row) if row else None

    def get_state(self, token_hash: str) -> RefreshTokenState | None:
        row = self.db.fetch_one(
            _LEAN_REFRESH_STATE, {"p_tenant": self.tenant_id, "p_token_hash": token_hash}
        )
        if row is None:
            return None
        family_revoked = bool(row["grant_revoked"])
        return RefreshTokenState(REFRESH_TOKEN.record(row), joined_user(row), family_revoked)

    def rotate(self, used_hash: str, successor: RefreshToken, now: int) -> bool:
        # The conditional UPDATE's row count says who won; only the winner's successor is
        # kept. PostgreSQL: one statement (the UPDATE in a CTE feeding the INSERT).
        params = REFRESH_TOKEN.params(
            successor, tenant_id=self.tenant_id, tenant=self.tenant_id, used_hash=used_hash, now=now
        )
        if not self.db.is_sqlite:
            return self.db.execute_count(_LEAN_PG_ROTATE_REFRESH, params) == 1
        # SQLite: a transaction around both statements would hold the database's write lock
        # while this thread waits for the GIL between them (measured: p99 doubled). So the
        # successor is stored first and the presented token marked used after, each
        # atomic by itself; the loser of a race deletes its successor, whose value nobody
        # ever saw. A crash between the two leaves the presented token usable, never spent
        # without a successor.
        self.db.execute_count(_LEAN_INSERT_REFRESH, params)
        if self.db.execute_count(_LEAN_MARK_REFRESH_USED, params) == 1:
            return True
        self.db.execute_count(_LEAN_DELETE_REFRESH, params)
        return False

    @retried
    def replace_lost_successor(
        self, retried_hash: str, lost_hash: str, successor: RefreshToken, now: int
    ) -> bool:
        # Rare (a lost response), so one ordinary transaction rather than lean statements.
        with self.db.write() as conn:
            superseded = conn.execute(
                _rt.update()
                .where(
                    _rt.c.tenant_id == self.tenant_id,
                    _rt.c.token_hash == lost_hash,
                    _rt.c.used_at.is_(None),
                    _rt.c.revoked_at.is_(None),
                )
                # used, with no successor of its own: showing it later is reuse, never a retry
                .values(used_at=now)
            )
            if superseded.rowcount != 1:
                return False
            conn.execute(
                _rt.insert().values(REFRESH_TOKEN.values(successor, tenant_id=self.tenant_id))
            )
            conn.execute(
                _rt.update()
                .where(_rt.c.tenant_id == self.tenant_id, _rt.c.token_hash == retried_hash)
                .values(successor_hash=successor.token_hash)
            )
        return True

    @retried
    def extend_idle(
        self,
        token_hash: str,
        idle_expires_at: int,
        grant_id: str,
        access_token_jti: str,
        access_token_expires_at: int,
    ) -> None:
        with self.db.write() as conn:
            conn.execute(
                _rt.update()
                .where(_rt.c.tenant_id == self.tenant_id, _rt.c.token_hash == token_hash)
                .values(idle_expires_at=idle_expires_at)
            )
            conn.execute(
                t.refreshed_access_tokens.insert().values(
                    tenant_id=self.tenant_id,
                    jti=access_token_jti,
                    grant_id=grant_id,
                    expires_at=access_token_expires_at,
                )
            )

    @retried
    def revoke_for(self, user_id: str, client_id: str, now: int) -> int:
        with self.db.write() as conn:
            revoke_grants_of(
                conn, self.tenant_id, "consent_revoked", now, user_id=user_id, client_id=client_id
            )
            # The access tokens issued from those grants go on the deny-list too.
            deny_issued_access_tokens(
                conn,
                self.tenant_id,
                grants_of(self.tenant_id, user_id=user_id, client_id=client_id),
                now,
            )
            result = conn.execute(
                _rt.update()
                .where(
                    _rt.c.tenant_id == self.tenant_id,
                    _rt.c.user_id == user_id,
                    _rt.c.client_id == client_id,
                    _rt.c.revoked_at.is_(None),
                )
                .values(revoked_at=now)
            )
            return result.rowcount

    @retried
    def offline_for_user(self, user_id: str, now: int) -> list[OfflineGrant]:
        family = _rt.alias("family")
        first_issued = (
            sa.select(sa.func.min(family.c.created_at))
            .where(family.c.tenant_id == _rt.c.tenant_id, family.c.grant_id == _rt.c.grant_id)
            .scalar_subquery()
            .label("first_issued_at")
        )
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(*REFRESH_TOKEN.columns(), first_issued)
                .where(
                    _rt.c.tenant_id == self.tenant_id,
                    _rt.c.user_id == user_id,
                    _rt.c.sid.is_(None),
                    _rt.c.used_at.is_(None),
                    _rt.c.revoked_at.is_(None),
                    _rt.c.expires_at > now,
                    _rt.c.idle_expires_at > now,
                    ~sa.exists().where(
                        t.revoked_grants.c.tenant_id == _rt.c.tenant_id,
                        t.revoked_grants.c.grant_id == _rt.c.grant_id,
                    ),
                )
                .order_by(_rt.c.client_id, _rt.c.created_at.desc())
            ).mappings()
            return [OfflineGrant(REFRESH_TOKEN.record(r), r["first_issued_at"]) for r in rows]
