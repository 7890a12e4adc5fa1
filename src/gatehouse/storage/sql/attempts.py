"""Brute-force protection's state (``AttemptRepository``, ``KnownBrowserRepository``).

Failures are counted by an upsert per counter, ``INSERT … ON CONFLICT DO UPDATE SET
failures = failures + 1 … RETURNING``: on PostgreSQL the conflicting row is locked for the
update, on SQLite the write lock is held for the transaction (``BEGIN IMMEDIATE``), so no
failure is lost to a race and each one sees its own count. Counters are written only when
an attempt fails; a success deletes its own counter only when one exists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from gatehouse.storage.attempts import CounterKey
from gatehouse.storage.records import FailureCounter
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.base import SqlRepository, retried
from gatehouse.storage.sql.cache import ProcessCache
from gatehouse.storage.sql.columns import RecordColumns
from gatehouse.storage.sql.database import Database
from gatehouse.storage.sql.lean import LeanStatement

COUNTER = RecordColumns(FailureCounter, t.failed_attempts)
# counters_of_subject answers with at most this many counters; more are looked up one by one.
SUBJECT_COUNTERS = 16
_KEYS_PER_CHECK = 3  # (account, source), (account, every source), (every account, address)

_fa = t.failed_attempts


def _live(*where: sa.ColumnElement[bool]) -> sa.Select[Any]:
    return sa.select(*COUNTER.columns()).where(
        _fa.c.tenant_id == sa.bindparam("p_tenant"),
        _fa.c.factor == sa.bindparam("p_factor"),
        _fa.c.expires_at > sa.bindparam("p_now"),
        *where,
    )


_LEAN_COUNTERS = LeanStatement(
    _live(
        sa.or_(
            *(
                sa.and_(
                    _fa.c.subject == sa.bindparam(f"p_subject{i}"),
                    _fa.c.source == sa.bindparam(f"p_source{i}"),
                )
                for i in range(_KEYS_PER_CHECK)
            )
        )
    )
)
_LEAN_SUBJECT_COUNTERS = LeanStatement(
    _live(_fa.c.subject == sa.bindparam("p_subject"))
    .limit(sa.bindparam("p_limit"))
    .offset(sa.bindparam("p_offset"))  # SQLite's LIMIT always comes with one
)
_LEAN_KNOWN_BROWSER = LeanStatement(
    sa.select(t.known_browsers.c.user_id).where(
        t.known_browsers.c.tenant_id == sa.bindparam("p_tenant"),
        t.known_browsers.c.user_id == sa.bindparam("p_user"),
        t.known_browsers.c.device_hash == sa.bindparam("p_device"),
        t.known_browsers.c.expires_at > sa.bindparam("p_now"),
    )
)


def _upsert(conn: sa.Connection) -> Any:
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


class SqlAttemptRepository(SqlRepository):
    def __init__(
        self, database: Database, tenant_id: str, cache_clock: Callable[[], float] | None = None
    ) -> None:
        super().__init__(database, tenant_id)
        # (factor, subject) -> (the subject's live counters, or None: too many,)
        self._subjects: ProcessCache[tuple[str, str], tuple[tuple[FailureCounter, ...] | None]]
        self._subjects = ProcessCache(clock=cache_clock) if cache_clock else ProcessCache()

    def counters(self, factor: str, keys: Sequence[CounterKey], now: int) -> list[FailureCounter]:
        if not 1 <= len(keys) <= _KEYS_PER_CHECK:
            raise ValueError(f"between 1 and {_KEYS_PER_CHECK} counters per check")
        padded = [*keys, *[keys[0]] * (_KEYS_PER_CHECK - len(keys))]
        params: dict[str, Any] = {"p_tenant": self.tenant_id, "p_factor": factor, "p_now": now}
        for i, (subject, source) in enumerate(padded):
            params[f"p_subject{i}"], params[f"p_source{i}"] = subject, source
        return [COUNTER.record(row) for row in self.db.fetch_all(_LEAN_COUNTERS, params)]

    def counters_of_subject(
        self, factor: str, subject: str, now: int
    ) -> tuple[FailureCounter, ...] | None:
        cached = self._subjects.get((factor, subject))
        if cached is not None:
            return tuple(c for c in cached[0] if c.expires_at > now) if cached[0] else cached[0]
        generation = self._subjects.generation()
        rows = self.db.fetch_all(
            _LEAN_SUBJECT_COUNTERS,
            {
                "p_tenant": self.tenant_id,
                "p_factor": factor,
                "p_subject": subject,
                "p_now": now,
                "p_limit": SUBJECT_COUNTERS + 1,
                "p_offset": 0,
            },
        )
        found = (
            tuple(COUNTER.record(row) for row in rows) if len(rows) <= SUBJECT_COUNTERS else None
        )
        self._subjects.put((factor, subject), (found,), generation)
        return found

    # Not @retried: a lost answer may have committed, and a failure counted twice is not
    # a failure that happened twice.
    def count_failure(
        self, factor: str, thresholds: Sequence[tuple[CounterKey, int]], now: int, duration: int
    ) -> list[FailureCounter]:
        counted = []
        with self.db.write() as conn:
            for (subject, source), threshold in sorted(thresholds):  # one lock order
                counted.append(self._count(conn, factor, subject, source, threshold, now, duration))
        for subject in {c.subject for c in counted}:
            self._subjects.discard((factor, subject))
        return counted

    def _count(
        self,
        conn: sa.Connection,
        factor: str,
        subject: str,
        source: str,
        threshold: int,
        now: int,
        duration: int,
    ) -> FailureCounter:
        lock_until = now + duration
        insert = _upsert(conn)(_fa).values(
            tenant_id=self.tenant_id,
            factor=factor,
            subject=subject,
            source=source,
            failures=1,
            last_failed_at=now,
            locked_until=lock_until if threshold <= 1 else None,
            expires_at=now + duration,
        )
        # A counter whose lock has ended, or that went quiet for a whole duration, starts
        # again: a lock lasts its duration, not for as long as an attacker keeps trying.
        restarts = sa.or_(_fa.c.expires_at <= now, _fa.c.locked_until <= now)
        statement = insert.on_conflict_do_update(
            index_elements=["tenant_id", "subject", "factor", "source"],
            set_={
                "failures": sa.case((restarts, 1), else_=_fa.c.failures + 1),
                "locked_until": sa.case(
                    (restarts, insert.excluded.locked_until),
                    (_fa.c.locked_until.is_not(None), _fa.c.locked_until),
                    (_fa.c.failures + 1 >= threshold, lock_until),
                    else_=sa.null(),
                ),
                "last_failed_at": now,
                "expires_at": now + duration,
            },
        ).returning(*COUNTER.columns())
        return COUNTER.record(conn.execute(statement).mappings().one())

    @retried
    def clear(self, factor: str, key: CounterKey) -> None:
        subject, source = key
        with self.db.write() as conn:
            conn.execute(
                _fa.delete().where(
                    _fa.c.tenant_id == self.tenant_id,
                    _fa.c.factor == factor,
                    _fa.c.subject == subject,
                    _fa.c.source == source,
                )
            )
        self._subjects.discard((factor, subject))

    @retried
    def of_subjects(self, subjects: Sequence[str], now: int) -> list[FailureCounter]:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(*COUNTER.columns())
                .where(
                    _fa.c.tenant_id == self.tenant_id,
                    _fa.c.subject.in_(list(subjects)),
                    _fa.c.expires_at > now,
                )
                .order_by(_fa.c.factor, _fa.c.subject, _fa.c.source)
            ).mappings()
            return [COUNTER.record(row) for row in rows]

    @retried
    def clear_subjects(self, subjects: Sequence[str]) -> int:
        with self.db.write() as conn:
            result = conn.execute(
                _fa.delete().where(
                    _fa.c.tenant_id == self.tenant_id, _fa.c.subject.in_(list(subjects))
                )
            )
        self._subjects.invalidate()
        return int(result.rowcount)


class SqlKnownBrowserRepository(SqlRepository):
    def is_known(self, user_id: str, device_hash: str, now: int) -> bool:
        params = {
            "p_tenant": self.tenant_id,
            "p_user": user_id,
            "p_device": device_hash,
            "p_now": now,
        }
        return self.db.fetch_one(_LEAN_KNOWN_BROWSER, params) is not None

    @retried
    def remember(self, user_id: str, device_hash: str, now: int, expires_at: int) -> None:
        kb = t.known_browsers
        with self.db.write() as conn:
            insert = _upsert(conn)(kb).values(
                tenant_id=self.tenant_id,
                user_id=user_id,
                device_hash=device_hash,
                created_at=now,
                last_seen_at=now,
                expires_at=expires_at,
            )
            conn.execute(
                insert.on_conflict_do_update(
                    index_elements=["tenant_id", "user_id", "device_hash"],
                    set_={"last_seen_at": now, "expires_at": expires_at},
                )
            )
