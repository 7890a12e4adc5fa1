"""Device authorization requests (``DeviceAuthorizationRepository``, RFC 8628).

Every change is one conditional UPDATE whose row count decides: a poll only if the last
poll is the one the caller read (compare and set), an answer only while the request is
pending and unexpired, a redemption only once.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from gatehouse.storage.records import DeviceApproval, DeviceAuthorization
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.base import SqlRepository, retried
from gatehouse.storage.sql.columns import RecordColumns

DEVICE = RecordColumns(DeviceAuthorization, t.device_authorizations)
_d = t.device_authorizations


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
        return self._one(_d.c.device_code_hash == device_code_hash)

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
        last = _d.c.last_polled_at
        unchanged = last.is_(None) if previous_poll is None else last == previous_poll
        return self._update(
            device_code_hash,
            (unchanged, _d.c.status == "pending"),
            last_polled_at=now,
            poll_interval=interval,
        )

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
