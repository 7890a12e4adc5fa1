"""Users: accounts, their profiles and passwords (``UserRepository``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from gatehouse.storage.errors import AlreadyExists
from gatehouse.storage.groups import Principal
from gatehouse.storage.records import User, UserProfile, normalized_login
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.base import SqlRepository, retried
from gatehouse.storage.sql.columns import RecordColumns
from gatehouse.storage.sql.groups import forget_principal
from gatehouse.storage.sql.lean import LeanStatement

USER = RecordColumns(User, t.users)
PROFILE = RecordColumns(UserProfile, t.users)
# A row read together with its user: the user's columns labelled user__<name>.
JOINED_USER = USER.prefixed("user__")

_LEAN_USER_BY_ID = LeanStatement(
    sa.select(t.users).where(
        t.users.c.tenant_id == sa.bindparam("p_tenant"), t.users.c.id == sa.bindparam("p_id")
    )
)


def with_user(table: sa.Table) -> sa.Join:
    """``table`` LEFT JOIN the user of its rows (select ``JOINED_USER.labels()``)."""
    return table.outerjoin(
        t.users,
        sa.and_(t.users.c.tenant_id == table.c.tenant_id, t.users.c.id == table.c.user_id),
    )


def joined_user(row: dict[str, Any]) -> User | None:
    """The user of a ``with_user`` read, or None when the user is gone."""
    return None if row["user__id"] is None else JOINED_USER.record(row)


class SqlUserRepository(SqlRepository):
    def get(self, user_id: str) -> User | None:
        row = self.db.fetch_one(_LEAN_USER_BY_ID, {"p_tenant": self.tenant_id, "p_id": user_id})
        return USER.record(row) if row else None

    @retried
    def find_by_login(self, login: str) -> User | None:
        normalized = normalized_login(login)
        users = t.users
        with self.db.read() as conn:
            row = (
                conn.execute(
                    sa.select(users).where(
                        users.c.tenant_id == self.tenant_id,
                        sa.or_(
                            users.c.username_normalized == normalized,
                            users.c.email_normalized == normalized,
                        ),
                    )
                )
                .mappings()
                .first()
            )
        return USER.record(row) if row else None

    @retried
    def list(self) -> list[User]:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(t.users)
                .where(t.users.c.tenant_id == self.tenant_id)
                .order_by(t.users.c.username_normalized)
            ).mappings()
            return [USER.record(r) for r in rows]

    @retried
    def insert(self, user: User) -> None:
        values = USER.values(
            user,
            tenant_id=self.tenant_id,
            username_normalized=normalized_login(user.username),
            email_normalized=_normalized_email(user.email),
        )
        try:
            with self.db.write() as conn:
                conn.execute(t.users.insert().values(values))
        except sa.exc.IntegrityError as exc:
            raise AlreadyExists("the username or email is taken") from exc

    def _set(self, user_id: str, values: dict[str, Any]) -> None:
        with self.db.write() as conn:
            conn.execute(
                t.users.update()
                .where(t.users.c.tenant_id == self.tenant_id, t.users.c.id == user_id)
                .values(values)
            )

    @retried
    def update_profile(self, user_id: str, profile: UserProfile, now: int) -> None:
        self._set(
            user_id,
            PROFILE.values(
                profile, email_normalized=_normalized_email(profile.email), updated_at=now
            ),
        )

    @retried
    def set_password(self, user_id: str, password_hash: str, now: int) -> None:
        self._set(
            user_id,
            {"password_hash": password_hash, "password_changed_at": now, "updated_at": now},
        )

    @retried
    def update_password_hash(self, user_id: str, password_hash: str) -> None:
        self._set(user_id, {"password_hash": password_hash})

    @retried
    def set_disabled(self, user_id: str, disabled: bool, now: int) -> None:
        self._set(user_id, {"disabled": disabled, "updated_at": now})

    @retried
    def delete(self, user_id: str) -> bool:
        with self.db.write() as conn:
            for table in (
                t.sso_sessions,
                t.consents,
                t.refresh_tokens,
                t.authorization_codes,
                t.totp_authenticators,
                t.recovery_codes,
                t.passkeys,
                t.known_browsers,
            ):
                conn.execute(
                    table.delete().where(
                        table.c.tenant_id == self.tenant_id, table.c.user_id == user_id
                    )
                )
            forget_principal(conn, self.tenant_id, Principal("user", user_id))
            result = conn.execute(
                t.users.delete().where(
                    t.users.c.tenant_id == self.tenant_id, t.users.c.id == user_id
                )
            )
            return result.rowcount == 1


def _normalized_email(email: str | None) -> str | None:
    return None if email is None else normalized_login(email)
