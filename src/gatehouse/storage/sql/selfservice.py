"""Self-service accounts' storage (storage/selfservice.py): single-use email links, the
outgoing mail queue, and the email request log."""

from __future__ import annotations

import builtins

import sqlalchemy as sa

from gatehouse.storage.records import EmailToken, EmailTokenPurpose, OutgoingMail
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.base import SqlRepository, retried
from gatehouse.storage.sql.columns import RecordColumns

TOKEN = RecordColumns(EmailToken, t.email_tokens)
MAIL = RecordColumns(OutgoingMail, t.outgoing_mail)
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

    def _set(self, mail_id: str, **values: object) -> None:
        with self.db.write() as conn:
            conn.execute(t.outgoing_mail.update().where(*self._mine(mail_id)).values(**values))

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

    def claim_due(self, now: int, lease_seconds: int, limit: int) -> builtins.list[OutgoingMail]:
        mail = t.outgoing_mail
        waiting = (
            mail.c.tenant_id == self.tenant_id,
            mail.c.sent_at.is_(None),
            mail.c.failed_at.is_(None),
            mail.c.next_attempt_at <= now,
            sa.or_(mail.c.claimed_until.is_(None), mail.c.claimed_until <= now),
        )
        with self.db.read() as conn:
            candidates = (
                conn.execute(
                    sa.select(mail.c.id)
                    .where(*waiting)
                    .order_by(mail.c.next_attempt_at)
                    .limit(limit)
                )
                .scalars()
                .all()
            )
        claimed: builtins.list[OutgoingMail] = []
        for mail_id in candidates:
            # Each claim is one conditional UPDATE: another worker that read the same
            # candidates claims none of the ones this one won.
            with self.db.write() as conn:
                won = conn.execute(
                    mail.update()
                    .where(*self._mine(mail_id), *waiting)
                    .values(claimed_until=now + lease_seconds, attempts=mail.c.attempts + 1)
                ).rowcount
                if won == 1:
                    row = conn.execute(sa.select(*MAIL.columns()).where(*self._mine(mail_id)))
                    claimed.append(MAIL.record(row.mappings().one()))
        return claimed

    @retried
    def mark_sent(self, mail_id: str, now: int) -> None:
        self._set(mail_id, sent_at=now, content_encrypted=None, claimed_until=None, last_error=None)

    @retried
    def retry_later(self, mail_id: str, next_attempt_at: int, error: str) -> None:
        self._set(
            mail_id,
            next_attempt_at=next_attempt_at,
            claimed_until=None,
            last_error=error[:_ERROR_LENGTH],
        )

    @retried
    def give_up(self, mail_id: str, now: int, error: str) -> None:
        self._set(
            mail_id,
            failed_at=now,
            content_encrypted=None,
            claimed_until=None,
            last_error=error[:_ERROR_LENGTH],
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
