"""SSO sessions (``SessionRepository``) and the interactions that pause an authorization
request for the person to log in or consent (``InteractionRepository``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from gatehouse.storage.records import Interaction, SsoSession
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.base import SqlRepository, retried
from gatehouse.storage.sql.columns import RecordColumns
from gatehouse.storage.sql.lean import LeanStatement

SESSION = RecordColumns(SsoSession, t.sso_sessions)
INTERACTION = RecordColumns(Interaction, t.interactions)

# An SSO session is alive until it ends, reaches its absolute expiry or sits idle too long;
# one rule for looking a session up by its cookie and by its public sid.
_SESSION_ALIVE = (
    t.sso_sessions.c.ended_at.is_(None),
    t.sso_sessions.c.expires_at > sa.bindparam("p_now"),
    t.sso_sessions.c.last_seen_at > sa.bindparam("p_idle_since"),
)
_LEAN_ACTIVE_SESSION = LeanStatement(
    sa.select(*SESSION.columns()).where(
        t.sso_sessions.c.tenant_id == sa.bindparam("p_tenant"),
        t.sso_sessions.c.id_hash == sa.bindparam("p_id_hash"),
        *_SESSION_ALIVE,
    )
)
_LEAN_ACTIVE_SID = LeanStatement(
    sa.select(t.sso_sessions.c.sid).where(
        t.sso_sessions.c.tenant_id == sa.bindparam("p_tenant"),
        t.sso_sessions.c.sid == sa.bindparam("p_sid"),
        *_SESSION_ALIVE,
    )
)
_LEAN_TOUCH_SID = LeanStatement(
    t.sso_sessions.update()
    .where(
        t.sso_sessions.c.tenant_id == sa.bindparam("p_tenant"),
        t.sso_sessions.c.sid == sa.bindparam("p_sid"),
    )
    .values(last_seen_at=sa.bindparam("p_now"))
)


class SqlSessionRepository(SqlRepository):
    @retried
    def create(self, session_id_hash: str, session: SsoSession) -> None:
        values = SESSION.values(session, tenant_id=self.tenant_id, id_hash=session_id_hash)
        with self.db.write() as conn:
            conn.execute(t.sso_sessions.insert().values(values))

    def get_active(self, session_id_hash: str, now: int, idle_seconds: int) -> SsoSession | None:
        row = self.db.fetch_one(
            _LEAN_ACTIVE_SESSION,
            {
                "p_tenant": self.tenant_id,
                "p_id_hash": session_id_hash,
                "p_now": now,
                "p_idle_since": now - idle_seconds,
            },
        )
        return None if row is None else SESSION.record(row)

    def _update(self, *where: sa.ColumnElement[bool], **values: Any) -> int:
        s = t.sso_sessions
        with self.db.write() as conn:
            result = conn.execute(
                s.update().where(s.c.tenant_id == self.tenant_id, *where).values(**values)
            )
            return result.rowcount

    @retried
    def touch(self, session_id_hash: str, now: int) -> None:
        self._update(t.sso_sessions.c.id_hash == session_id_hash, last_seen_at=now)

    @retried
    def end(self, session_id_hash: str, now: int) -> None:
        s = t.sso_sessions
        self._update(s.c.id_hash == session_id_hash, s.c.ended_at.is_(None), ended_at=now)

    @retried
    def renew(
        self,
        session_id_hash: str,
        new_id_hash: str,
        user_id: str,
        amr: tuple[str, ...],
        acr: str | None,
        now: int,
        expires_at: int,
        idle_seconds: int,
    ) -> bool:
        s = t.sso_sessions
        with self.db.write() as conn:
            result = conn.execute(
                s.update()
                .where(
                    s.c.tenant_id == self.tenant_id,
                    s.c.id_hash == session_id_hash,
                    s.c.user_id == user_id,
                    *_SESSION_ALIVE,
                )
                .values(
                    id_hash=new_id_hash,
                    auth_time=now,
                    amr=list(amr),
                    acr=acr,
                    last_seen_at=now,
                    expires_at=expires_at,
                ),
                {"p_now": now, "p_idle_since": now - idle_seconds},
            )
            return result.rowcount == 1

    @retried
    def end_by_sid(self, sid: str, now: int) -> None:
        s = t.sso_sessions
        self._update(s.c.sid == sid, s.c.ended_at.is_(None), ended_at=now)

    def active_by_sid(self, sid: str, now: int, idle_seconds: int) -> bool:
        row = self.db.fetch_one(
            _LEAN_ACTIVE_SID,
            {"p_tenant": self.tenant_id, "p_sid": sid, "p_now": now,
             "p_idle_since": now - idle_seconds},
        )  # fmt: skip
        return row is not None

    def touch_sid(self, sid: str, now: int) -> None:
        self.db.execute_count(
            _LEAN_TOUCH_SID, {"p_tenant": self.tenant_id, "p_sid": sid, "p_now": now}
        )


class SqlInteractionRepository(SqlRepository):
    @retried
    def create(self, interaction: Interaction) -> None:
        values = INTERACTION.values(interaction, tenant_id=self.tenant_id)
        with self.db.write() as conn:
            conn.execute(t.interactions.insert().values(values))

    @retried
    def get(self, id_hash: str, now: int) -> Interaction | None:
        return self._get(id_hash, now, t.interactions.c.completed_at.is_(None))

    @retried
    def get_completed(self, id_hash: str, now: int) -> Interaction | None:
        return self._get(id_hash, now, t.interactions.c.completed_at.is_not(None))

    def _get(
        self, id_hash: str, now: int, completion: sa.ColumnElement[bool]
    ) -> Interaction | None:
        i = t.interactions
        with self.db.read() as conn:
            row = (
                conn.execute(
                    sa.select(*INTERACTION.columns()).where(
                        i.c.tenant_id == self.tenant_id,
                        i.c.id_hash == id_hash,
                        completion,
                        i.c.expires_at > now,
                    )
                )
                .mappings()
                .first()
            )
        return None if row is None else INTERACTION.record(row)

    def _set(self, id_hash: str, **values: Any) -> int:
        """Change an interaction not yet completed; how many rows changed (0 or 1)."""
        i = t.interactions
        with self.db.write() as conn:
            result = conn.execute(
                i.update()
                .where(
                    i.c.tenant_id == self.tenant_id,
                    i.c.id_hash == id_hash,
                    i.c.completed_at.is_(None),
                )
                .values(**values)
            )
            return result.rowcount

    @retried
    def mark_login(self, id_hash: str, now: int) -> None:
        self._set(id_hash, login_completed_at=now)

    @retried
    def mark_consent(self, id_hash: str) -> None:
        self._set(id_hash, consent_given=True)

    @retried
    def complete(self, id_hash: str, now: int) -> bool:
        return self._set(id_hash, completed_at=now) == 1

    @retried
    def record_factors(self, id_hash: str, user_id: str, amr: tuple[str, ...]) -> None:
        self._set(id_hash, user_id=user_id, amr=list(amr))

    def count_factor_failure(self, id_hash: str) -> int:
        # Not @retried: a lost answer may have counted, and counting twice is the safe side
        # only if nothing repeats it; the caller reads the count back instead.
        i = t.interactions
        if not self._set(id_hash, factor_failures=i.c.factor_failures + 1):
            return 0
        with self.db.read() as conn:
            count = conn.execute(
                sa.select(i.c.factor_failures).where(
                    i.c.tenant_id == self.tenant_id, i.c.id_hash == id_hash
                )
            ).scalar_one_or_none()
        return int(count or 0)
