"""Device authorization requests (``DeviceAuthorizationRepository``, RFC 8628).

Every change is one conditional UPDATE whose row count decides: a poll only if the last
poll is the one the caller read (compare and set), an answer only while the request is
pending and unexpired, a redemption only once. A device polls every few seconds for as long
as its person takes, so the poll's two statements are lean (compiled once, run on the
driver's cursor, sql/lean.py): building them per call cost four times their running.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from gatehouse.storage.records import DeviceApproval, DeviceAuthorization
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.base import SqlRepository, retried
from gatehouse.storage.sql.columns import RecordColumns
from gatehouse.storage.sql.lean import LeanStatement

DEVICE = RecordColumns(DeviceAuthorization, t.device_authorizations)
_d = t.device_authorizations
_THIS_REQUEST = (
    _d.c.tenant_id == sa.bindparam("p_tenant"),
    _d.c.device_code_hash == sa.bindparam("p_hash"),
)
_LEAN_BY_DEVICE_CODE = LeanStatement(sa.select(*DEVICE.columns()).where(*_THIS_REQUEST))


def _lean_poll(unchanged: sa.ColumnElement[bool]) -> LeanStatement:
    """Record a poll while the request is pending and its last poll is still ``unchanged``."""
    return LeanStatement(
        _d.update()
        .where(*_THIS_REQUEST, unchanged, _d.c.status == sa.bindparam("p_pending"))
        .values(last_polled_at=sa.bindparam("p_now"), poll_interval=sa.bindparam("p_interval"))
    )


_LEAN_FIRST_POLL = _lean_poll(_d.c.last_polled_at.is_(None))
_LEAN_NEXT_POLL = _lean_poll(_d.c.last_polled_at == sa.bindparam("p_previous"))


class SqlDeviceAuthorizationRepository(SqlRepository):
    @retried
    def create(self, authorization: DeviceAuthorization) -> bool:
        with self.db.write() as conn:
            # Insert or do nothing: a user code still held by another request is a refusal
            # (the caller draws another), not an error that would abort the transaction.
            insert = (
                postgresql.insert(_d) if conn.dialect.name == "postgresql" else sqlite.insert(_d)
            )
            values = DEVICE.values(authorization, tenant_id=self.tenant_id)
            statement = (
                insert.values(values).on_conflict_do_nothing().returning(_d.c.device_code_hash)
            )
            return conn.execute(statement).first() is not None

    def by_device_code(self, device_code_hash: str) -> DeviceAuthorization | None:
        row = self.db.fetch_one(
            _LEAN_BY_DEVICE_CODE, {"p_tenant": self.tenant_id, "p_hash": device_code_hash}
        )
        return None if row is None else DEVICE.record(row)

    def by_user_code(self, user_code_hash: str) -> DeviceAuthorization | None:
        return self._one(_d.c.user_code_hash == user_code_hash)

    @retried
    def _one(self, condition: sa.ColumnElement[bool]) -> DeviceAuthorization | None:
        with self.db.read() as conn:
            row = (
                conn.execute(
                    sa.select(*DEVICE.columns()).where(_d.c.tenant_id == self.tenant_id, condition)
                )
                .mappings()
                .first()
            )
        return None if row is None else DEVICE.record(row)

    def record_poll(
        self, device_code_hash: str, previous_poll: int | None, now: int, interval: int
    ) -> bool:
        params = {
            "p_tenant": self.tenant_id,
            "p_hash": device_code_hash,
            "p_previous": previous_poll,
            "p_now": now,
            "p_interval": interval,
            "p_pending": "pending",
        }
        if previous_poll is None:
            del params["p_previous"]
            return self.db.execute_count(_LEAN_FIRST_POLL, params) == 1
        return self.db.execute_count(_LEAN_NEXT_POLL, params) == 1

    def approve(self, device_code_hash: str, approval: DeviceApproval, now: int) -> bool:
        return self._update(
            device_code_hash,
            (_d.c.status == "pending", _d.c.expires_at > now),
            status="approved",
            decided_at=now,
            user_id=approval.user_id,
            grant_id=approval.grant_id,
            auth_time=approval.auth_time,
            amr=list(approval.amr),
            acr=approval.acr,
        )

    def deny(self, device_code_hash: str, user_id: str | None, now: int) -> bool:
        return self._update(
            device_code_hash,
            (_d.c.status == "pending", _d.c.expires_at > now),
            status="denied",
            decided_at=now,
            user_id=user_id,
        )

    def redeem(self, device_code_hash: str, now: int) -> bool:
        # Not @retried: a lost answer may have spent the request (the module docstring).
        return self._update(
            device_code_hash,
            (_d.c.status == "approved", _d.c.redeemed_at.is_(None), _d.c.expires_at > now),
            redeemed_at=now,
        )

    def _update(
        self, device_code_hash: str, conditions: tuple[sa.ColumnElement[bool], ...], **values: Any
    ) -> bool:
        """One conditional UPDATE of the request; whether it changed it."""
        with self.db.write() as conn:
            result = conn.execute(
                _d.update()
                .where(
                    _d.c.tenant_id == self.tenant_id,
                    _d.c.device_code_hash == device_code_hash,
                    *conditions,
                )
                .values(**values)
            )
            return result.rowcount == 1
