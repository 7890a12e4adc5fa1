"""Passkeys (WebAuthn credentials) and the one-time challenges of their ceremonies
(``PasskeyRepository``)."""

from __future__ import annotations

import builtins

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from gatehouse.storage.records import Passkey, PasskeyChallenge
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.base import SqlRepository, retried
from gatehouse.storage.sql.columns import RecordColumns

PASSKEY = RecordColumns(Passkey, t.passkeys)
CHALLENGE = RecordColumns(PasskeyChallenge, t.passkey_challenges)


class SqlPasskeyRepository(SqlRepository):
    @retried
    def add(self, passkey: Passkey) -> bool:
        p = t.passkeys
        with self.db.write() as conn:
            # Insert or do nothing: a credential id already registered (by anyone) is a
            # refusal, not an error that would abort a surrounding transaction.
            insert = postgresql.insert(p) if conn.dialect.name == "postgresql" else sqlite.insert(p)
            values = PASSKEY.values(passkey, tenant_id=self.tenant_id)
            # RETURNING, not rowcount: psycopg reports -1 for this statement with a bytea value.
            statement = insert.values(values).on_conflict_do_nothing().returning(p.c.id)
            return conn.execute(statement).first() is not None

    @retried
    def get_by_credential_id(self, credential_id: str) -> Passkey | None:
        p = t.passkeys
        with self.db.read() as conn:
            row = (
                conn.execute(
                    sa.select(*PASSKEY.columns()).where(
                        p.c.tenant_id == self.tenant_id, p.c.credential_id == credential_id
                    )
                )
                .mappings()
                .first()
            )
        return None if row is None else PASSKEY.record(row)

    @retried
    def list_for_user(self, user_id: str) -> builtins.list[Passkey]:
        p = t.passkeys
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(*PASSKEY.columns())
                .where(p.c.tenant_id == self.tenant_id, p.c.user_id == user_id)
                .order_by(p.c.created_at, p.c.name, p.c.id)
            ).mappings()
            return [PASSKEY.record(row) for row in rows]

    @retried
    def record_use(self, passkey_id: str, sign_count: int, backed_up: bool, now: int) -> bool:
        p = t.passkeys
        # The counter must grow, unless the authenticator keeps none (0 then and now).
        grows = sa.or_(
            p.c.sign_count < sign_count, sa.and_(p.c.sign_count == 0, sa.literal(sign_count) == 0)
        )
        with self.db.write() as conn:
            result = conn.execute(
                p.update()
                .where(p.c.tenant_id == self.tenant_id, p.c.id == passkey_id, grows)
                .values(sign_count=sign_count, backed_up=backed_up, last_used_at=now)
            )
            return result.rowcount == 1

    @retried
    def remove(self, user_id: str, passkey_id: str) -> Passkey | None:
        p = t.passkeys
        mine = (p.c.tenant_id == self.tenant_id, p.c.user_id == user_id, p.c.id == passkey_id)
        with self.db.write() as conn:
            row = conn.execute(sa.select(*PASSKEY.columns()).where(*mine)).mappings().first()
            if row is None:
                return None
            conn.execute(p.delete().where(*mine))
        return PASSKEY.record(row)

    def add_challenge(self, challenge: PasskeyChallenge) -> None:
        values = CHALLENGE.values(challenge, tenant_id=self.tenant_id)
        with self.db.write() as conn:
            conn.execute(t.passkey_challenges.insert().values(values))

    def spend_challenge(
        self, challenge_hash: str, ceremony: str, browser_hash: str, now: int
    ) -> PasskeyChallenge | None:
        # Not @retried: a lost answer may have spent the challenge, and a second attempt
        # would then be refused anyway.
        c = t.passkey_challenges
        this = (c.c.tenant_id == self.tenant_id, c.c.challenge_hash == challenge_hash)
        with self.db.write() as conn:
            spent = conn.execute(
                c.update()
                .where(
                    *this,
                    c.c.ceremony == ceremony,
                    c.c.browser_hash == browser_hash,
                    c.c.used_at.is_(None),
                    c.c.expires_at > now,
                )
                .values(used_at=now)
            )
            if spent.rowcount != 1:
                return None
            row = conn.execute(sa.select(*CHALLENGE.columns()).where(*this)).mappings().one()
        return CHALLENGE.record(row)
