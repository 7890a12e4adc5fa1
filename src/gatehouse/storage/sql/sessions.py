"""SSO sessions (``SessionRepository``) and the interactions that pause an authorization
request for the person to log in or consent (``InteractionRepository``)."""

from __future__ import annotations

import builtins
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from gatehouse.observability.audit import Actor
from gatehouse.storage.records import EndedSession, Interaction, SessionSelector, SsoSession
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.base import SqlRepository, retried
from gatehouse.storage.sql.columns import RecordColumns
from gatehouse.storage.sql.database import Database
from gatehouse.storage.sql.lean import LeanStatement
from gatehouse.storage.sql.logout_deliveries import QueueSignal
from gatehouse.storage.sql.sign_outs import end_sessions

SESSION = RecordColumns(SsoSession, t.sso_sessions)
INTERACTION = RecordColumns(Interaction, t.interactions)


def idle_since(
    now: sa.ColumnElement[Any] | int, default_idle: sa.ColumnElement[Any] | int
) -> sa.ColumnElement[bool]:
    """A session unseen for longer than its idle lifetime: its own, or ``default_idle`` for
    a session started before sessions recorded theirs. Also the purge's rule."""
    s = t.sso_sessions
    return s.c.last_seen_at <= now - sa.func.coalesce(s.c.idle_lifetime, default_idle)


# An SSO session is alive until it ends, reaches its absolute expiry or sits idle too long;
# one rule for looking a session up by its cookie and by its public sid.
_SESSION_ALIVE = (
    t.sso_sessions.c.ended_at.is_(None),
    t.sso_sessions.c.expires_at > sa.bindparam("p_now"),
    ~idle_since(sa.bindparam("p_now"), sa.bindparam("p_idle")),
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

# A client took part in a session: recorded once however many codes it is issued, by an
# INSERT ... ON CONFLICT DO NOTHING in each dialect's spelling.
_LEAN_RECORD_CLIENT = {
    name: LeanStatement(
        insert(t.session_clients)
        .values(
            tenant_id=sa.bindparam("p_tenant"),
            sid=sa.bindparam("p_sid"),
            client_id=sa.bindparam("p_client_id"),
            created_at=sa.bindparam("p_now"),
        )
        .on_conflict_do_nothing()
    )
    for name, insert in (("sqlite", sqlite.insert), ("postgresql", postgresql.insert))
}


class SqlSessionRepository(SqlRepository):
    def __init__(self, database: Database, tenant_id: str, queued: QueueSignal) -> None:
        super().__init__(database, tenant_id)
        self._queued = queued  # rung when a sign-out queued back-channel logouts

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
                "p_idle": idle_seconds,
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
    def end_sessions(
        self, which: SessionSelector, now: int, reason: str, actor: Actor
    ) -> builtins.list[EndedSession]:
        with self.db.write() as conn:
            ended = end_sessions(conn, self.tenant_id, which, now, reason, actor)
        if any(session.backchannel_client_ids for session in ended):
            self._queued.ring()  # committed (or, inside atomic(), at the block's end)
        return ended

    def record_client(self, sid: str, client_id: str, now: int) -> None:
        self.db.execute_count(
            _LEAN_RECORD_CLIENT[self.db.engine.dialect.name],
            {"p_tenant": self.tenant_id, "p_sid": sid, "p_client_id": client_id, "p_now": now},
        )

    @retried
    def renew(
        self, session_id_hash: str, new_id_hash: str, renewed: SsoSession, idle_seconds: int
    ) -> bool:
        s = t.sso_sessions
        values = SESSION.values(renewed)
        for kept in ("sid", "user_id", "created_at"):
            del values[kept]
        now = renewed.last_seen_at
        with self.db.write() as conn:
            result = conn.execute(
                s.update()
                .where(
                    s.c.tenant_id == self.tenant_id,
                    s.c.id_hash == session_id_hash,
                    s.c.user_id == renewed.user_id,
                    *_SESSION_ALIVE,
                )
                .values(id_hash=new_id_hash, **values),
                {"p_now": now, "p_idle": idle_seconds},
            )
            return result.rowcount == 1

    def active_by_sid(self, sid: str, now: int, idle_seconds: int) -> bool:
        row = self.db.fetch_one(
            _LEAN_ACTIVE_SID,
            {"p_tenant": self.tenant_id, "p_sid": sid, "p_now": now, "p_idle": idle_seconds},
        )  # fmt: skip
        return row is not None

    @retried
    def list_for_user(self, user_id: str, now: int, idle_seconds: int) -> list[SsoSession]:
        s = t.sso_sessions
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(*SESSION.columns())
                .where(s.c.tenant_id == self.tenant_id, s.c.user_id == user_id, *_SESSION_ALIVE)
                .order_by(s.c.last_seen_at.desc(), s.c.sid),
                {"p_now": now, "p_idle": idle_seconds},
            ).mappings()
            return [SESSION.record(r) for r in rows]

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
    def mark_consent(self, id_hash: str, granted_scopes: tuple[str, ...]) -> None:
        self._set(id_hash, consent_given=True, granted_scopes=list(granted_scopes))

    @retried
    def complete(self, id_hash: str, now: int) -> bool:
        return self._set(id_hash, completed_at=now) == 1

    @retried
    def record_factors(
        self,
        id_hash: str,
        user_id: str,
        amr: tuple[str, ...],
        remember_me: bool = False,
        device: str | None = None,
    ) -> None:
        self._set(id_hash, user_id=user_id, amr=list(amr), remember_me=remember_me, device=device)

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
