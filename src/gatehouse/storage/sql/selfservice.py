"""Self-service accounts' storage (storage/selfservice.py): single-use email links, the
outgoing mail queue, and the email request log."""

from __future__ import annotations

import builtins

import sqlalchemy as sa

from gatehouse.storage.records import EmailToken, EmailTokenPurpose, OutgoingMail
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.base import SqlRepository, retried
from gatehouse.storage.sql.columns import RecordColumns
from gatehouse.storage.sql.leased_queue import LeasedQueue

TOKEN = RecordColumns(EmailToken, t.email_tokens)
MAIL = RecordColumns(OutgoingMail, t.outgoing_mail)
MAIL_QUEUE = LeasedQueue(t.outgoing_mail, done_at="sent_at", given_up_at="failed_at")
_ERROR_LENGTH = 255


class SqlEmailTokenRepository(SqlRepository):
    def _key(self, token_hash: str, purpose: str) -> tuple[sa.ColumnElement[bool], ...]:
        tokens = t.email_tokens
        return (
            tokens.c.tenant_id == self.tenant_id,
            tokens.c.token_hash == token_hash,
            tokens.c.purpose == purpose,
        )

    @retried
    def create(self, token: EmailToken) -> None:
        with self.db.write() as conn:
            conn.execute(
                t.email_tokens.insert().values(TOKEN.values(token, tenant_id=self.tenant_id))
            )

    @retried
    def get(self, token_hash: str, purpose: EmailTokenPurpose) -> EmailToken | None:
        with self.db.read() as conn:
            row = (
                conn.execute(sa.select(*TOKEN.columns()).where(*self._key(token_hash, purpose)))
                .mappings()
                .first()
            )
        return TOKEN.record(row) if row else None

    def consume(self, token_hash: str, purpose: EmailTokenPurpose, now: int) -> EmailToken | None:
        # Not @retried: a lost answer to the UPDATE may have committed the one use.
        tokens = t.email_tokens
        with self.db.write() as conn:
            won = conn.execute(
                tokens.update()
                .where(
                    *self._key(token_hash, purpose),
                    tokens.c.used_at.is_(None),
                    tokens.c.expires_at > now,
                )
                .values(used_at=now)
            ).rowcount
            if won != 1:
                return None
            row = (
                conn.execute(sa.select(*TOKEN.columns()).where(*self._key(token_hash, purpose)))
                .mappings()
                .one()
            )
        return TOKEN.record(row)

    @retried
    def retire(self, user_id: str, purpose: EmailTokenPurpose, now: int) -> int:
        tokens = t.email_tokens
        with self.db.write() as conn:
            return conn.execute(
                tokens.update()
                .where(
                    tokens.c.tenant_id == self.tenant_id,
                    tokens.c.user_id == user_id,
                    tokens.c.purpose == purpose,
                    tokens.c.used_at.is_(None),
                )
                .values(used_at=now)
            ).rowcount


class SqlOutboxRepository(SqlRepository):
    def _mine(self, mail_id: str) -> tuple[sa.ColumnElement[bool], ...]:
        mail = t.outgoing_mail
        return (mail.c.tenant_id == self.tenant_id, mail.c.id == mail_id)

    @retried
    def enqueue(self, mail: OutgoingMail) -> None:
        with self.db.write() as conn:
            conn.execute(
                t.outgoing_mail.insert().values(MAIL.values(mail, tenant_id=self.tenant_id))
            )

    @retried
    def get(self, mail_id: str) -> OutgoingMail | None:
        with self.db.read() as conn:
            row = conn.execute(sa.select(*MAIL.columns()).where(*self._mine(mail_id))).mappings()
            found = row.first()
        return MAIL.record(found) if found else None

    @retried
    def claim_due(self, now: int, lease_seconds: int, limit: int) -> builtins.list[OutgoingMail]:
        claimed = MAIL_QUEUE.claim(self.db, self.tenant_id, now, now + lease_seconds, limit)
        return [mail for mail_id in claimed if (mail := self.get(mail_id)) is not None]

    def _settle(self, mail: OutgoingMail, **values: object) -> bool:
        return MAIL_QUEUE.settle(self.db, self.tenant_id, mail.id, mail.lease_id, **values)

    @retried
    def mark_sent(self, mail: OutgoingMail, now: int) -> bool:
        return self._settle(mail, sent_at=now, content_encrypted=None, last_error=None)

    @retried
    def retry_later(self, mail: OutgoingMail, next_attempt_at: int, error: str) -> bool:
        return self._settle(mail, next_attempt_at=next_attempt_at, last_error=error[:_ERROR_LENGTH])

    @retried
    def give_up(self, mail: OutgoingMail, now: int, error: str) -> bool:
        return self._settle(
            mail, failed_at=now, content_encrypted=None, last_error=error[:_ERROR_LENGTH]
        )


class SqlEmailRequestRepository(SqlRepository):
    @retried
    def record(self, ip: str | None, email_normalized: str, now: int) -> None:
        with self.db.write() as conn:
            conn.execute(
                t.email_requests.insert().values(
                    tenant_id=self.tenant_id,
                    ip=ip,
                    email_normalized=email_normalized,
                    requested_at=now,
                )
            )

    @retried
    def count_since(
        self, since: int, *, ip: str | None = None, email_normalized: str | None = None
    ) -> int:
        requests = t.email_requests
        where = [requests.c.tenant_id == self.tenant_id, requests.c.requested_at >= since]
        if ip is not None:
            where.append(requests.c.ip == ip)
        if email_normalized is not None:
            where.append(requests.c.email_normalized == email_normalized)
        with self.db.read() as conn:
            return int(conn.execute(sa.select(sa.func.count()).where(*where)).scalar_one())
