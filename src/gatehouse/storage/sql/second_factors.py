"""People's second factors (``SecondFactorRepository``): TOTP authenticators and recovery
codes. What makes a code one-time is a conditional UPDATE, never a read then a write."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from gatehouse.storage.records import TotpAuthenticator
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.base import SqlRepository, retried
from gatehouse.storage.sql.columns import RecordColumns

TOTP = RecordColumns(TotpAuthenticator, t.totp_authenticators)


class SqlSecondFactorRepository(SqlRepository):
    def _mine(self, table: sa.Table, user_id: str) -> tuple[sa.ColumnElement[bool], ...]:
        return (table.c.tenant_id == self.tenant_id, table.c.user_id == user_id)

    @retried
    def totp(self, user_id: str) -> TotpAuthenticator | None:
        a = t.totp_authenticators
        with self.db.read() as conn:
            row = (
                conn.execute(sa.select(*TOTP.columns()).where(*self._mine(a, user_id)))
                .mappings()
                .first()
            )
        return None if row is None else TOTP.record(row)

    @retried
    def start_totp(self, authenticator: TotpAuthenticator) -> None:
        a = t.totp_authenticators
        with self.db.write() as conn:
            conn.execute(
                a.delete().where(*self._mine(a, authenticator.user_id), a.c.confirmed_at.is_(None))
            )
            exists = conn.execute(
                sa.select(a.c.user_id).where(*self._mine(a, authenticator.user_id))
            ).first()
            if exists is None:
                values = TOTP.values(authenticator, tenant_id=self.tenant_id)
                conn.execute(a.insert().values(values))

    @retried
    def confirm_totp(self, user_id: str, step: int, now: int) -> bool:
        a = t.totp_authenticators
        with self.db.write() as conn:
            result = conn.execute(
                a.update()
                .where(*self._mine(a, user_id), a.c.confirmed_at.is_(None))
                .values(confirmed_at=now, last_used_step=step)
            )
            return result.rowcount == 1

    def use_totp_step(self, user_id: str, step: int) -> bool:
        # Not @retried: a lost answer may have spent the step, and a second try would then
        # refuse a good code rather than accept a replay.
        a = t.totp_authenticators
        with self.db.write() as conn:
            result = conn.execute(
                a.update()
                .where(
                    *self._mine(a, user_id),
                    a.c.confirmed_at.is_not(None),
                    sa.or_(a.c.last_used_step.is_(None), a.c.last_used_step < step),
                )
                .values(last_used_step=step)
            )
            return result.rowcount == 1

    @retried
    def remove_totp(self, user_id: str) -> bool:
        a, r = t.totp_authenticators, t.recovery_codes
        with self.db.write() as conn:
            conn.execute(r.delete().where(*self._mine(r, user_id)))
            return conn.execute(a.delete().where(*self._mine(a, user_id))).rowcount == 1

    @retried
    def replace_recovery_codes(self, user_id: str, code_hashes: Sequence[str], now: int) -> None:
        r = t.recovery_codes
        with self.db.write() as conn:
            conn.execute(r.delete().where(*self._mine(r, user_id)))
            if code_hashes:
                conn.execute(
                    r.insert(),
                    [
                        {"tenant_id": self.tenant_id, "user_id": user_id, "code_hash": code_hash,
                         "created_at": now, "used_at": None}
                        for code_hash in code_hashes
                    ],
                )  # fmt: skip

    def use_recovery_code(self, user_id: str, code_hash: str, now: int) -> bool:
        # Not @retried, like use_totp_step.
        r = t.recovery_codes
        with self.db.write() as conn:
            result = conn.execute(
                r.update()
                .where(*self._mine(r, user_id), r.c.code_hash == code_hash, r.c.used_at.is_(None))
                .values(used_at=now)
            )
            return result.rowcount == 1

    @retried
    def unused_recovery_codes(self, user_id: str) -> int:
        r = t.recovery_codes
        with self.db.read() as conn:
            count = conn.execute(
                sa.select(sa.func.count())
                .select_from(r)
                .where(*self._mine(r, user_id), r.c.used_at.is_(None))
            ).scalar_one()
        return int(count)
