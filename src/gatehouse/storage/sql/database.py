"""Engines from the plain database URLs users already have; gatehouse picks the driver.

``Database`` is the engine plus the ways gatehouse talks to it: ``read`` and ``write``
transactions, ``atomic`` blocks for all-or-nothing admin work, and the lean path
(``fetch_one``, ``fetch_all``, ``execute_count``) for hot-path statements.

A connection the server drops (a restart, a failover, ``pg_terminate_backend``) surfaces as
``DatabaseUnavailable``. A lean read is run once more here; whether other work may be run
again depends on what may have been committed: each thread counts the writes it may have
committed (``commits``), which ``@retried`` repository methods consult (storage/sql/base.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, Engine, make_url

from gatehouse import blocking
from gatehouse.storage.errors import DatabaseUnavailable
from gatehouse.storage.sql import sqlite as sqlite_setup
from gatehouse.storage.sql.lean import CompiledLean, LeanStatement

# Connections each process keeps open. The web layer runs request work in this many threads
# (web/threads.py), so under load requests reuse these instead of opening and closing
# overflow connections, a PostgreSQL backend fork each.
POOL_SIZE = 10
MAX_OVERFLOW = 20
# SQLite statements run in this process and hold the GIL for most of their time, so request
# threads beyond a few only contend for it: 4 threads spent ~10 % less CPU per token request
# than 10 (docs/benchmarks.md). PostgreSQL statements wait on the network, and more threads
# overlap those waits.
SQLITE_REQUEST_THREADS = 4


class DatabaseUrlError(ValueError):
    pass


def normalize_database_url(raw: str) -> URL:
    """Map ``sqlite:///file`` and ``postgres(ql)://…`` to the drivers gatehouse ships with."""
    try:
        url = make_url(raw)
    except sa.exc.ArgumentError as exc:
        raise DatabaseUrlError(f"not a database URL: {raw!r}") from exc
    backend = url.get_backend_name()
    if backend == "sqlite":
        return url.set(drivername="sqlite")
    if backend in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg")
    raise DatabaseUrlError(
        f"unsupported database {backend!r}: use sqlite:///path/to/file.db or "
        "postgresql://user:password@host:port/dbname"
    )


class _ThreadState(threading.local):
    """What one thread has going on with the database (class attributes: the defaults)."""

    atomic: Connection | None = None  # the connection of its atomic() block
    pinning: bool = False  # inside a pinned() block
    pinned: Any = None  # that block's pooled connection, once checked out
    # Writes this thread has sent that may have committed: a write transaction that reached
    # COMMIT, an autocommit statement. Only ever compared with an earlier value.
    commits: int = 0


class Database:
    def __init__(self, raw_url: str) -> None:
        url = normalize_database_url(raw_url)
        self.url = url
        if url.get_backend_name() == "sqlite":
            pool: dict[str, Any] = {}
            if url.database and url.database != ":memory:":
                Path(url.database).parent.mkdir(parents=True, exist_ok=True)
                pool = {"pool_size": POOL_SIZE, "max_overflow": MAX_OVERFLOW}
            # (An in-memory database has one connection per thread and no pool to size.)
            self.engine: Engine = sa.create_engine(
                url, connect_args={"check_same_thread": False}, **pool
            )
            sa.event.listen(self.engine, "connect", sqlite_setup.on_connect)
            sa.event.listen(self.engine, "begin", sqlite_setup.on_begin)
        else:
            self.engine = sa.create_engine(
                url, pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW, pool_pre_ping=True
            )
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._thread = _ThreadState()

    @property
    def request_threads(self) -> int:
        """How many threads should run request work against this database (at most
        POOL_SIZE: each may hold a pooled connection)."""
        return SQLITE_REQUEST_THREADS if self.is_sqlite else POOL_SIZE

    def commits(self) -> int:
        """How many writes this thread has sent that may have committed, so far: equal
        before and after some work, that work committed nothing."""
        return self._thread.commits

    @contextmanager
    def read(self) -> Iterator[Connection]:
        joined = self._thread.atomic
        if joined is not None:
            yield joined
            return
        blocking.starts(embedded_database=self.is_sqlite)
        with self._lost_connections_reported(), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        joined = self._thread.atomic
        if joined is not None:
            yield joined
            return
        blocking.starts(embedded_database=self.is_sqlite)
        blocking.writes()
        with self._lost_connections_reported(), self.engine.connect() as conn:
            conn = conn.execution_options(gatehouse_write=True)
            with conn.begin():
                yield conn
                # COMMIT follows: a connection lost from here on leaves its outcome unknown.
                self._thread.commits += 1

    @contextmanager
    def atomic(self) -> Iterator[Connection]:
        """One write transaction for everything this thread does inside the block: ``read``
        and ``write`` join it, and an exception rolls all of it back. For all-or-nothing
        admin operations such as ``gatehouse apply``; request paths do not use it. A block
        inside another joins it: the outer block's end commits or rolls back everything."""
        if self._thread.atomic is not None:
            yield self._thread.atomic
            return
        with self.write() as conn:
            self._thread.atomic = conn
            try:
                yield conn
            finally:
                self._thread.atomic = None

    @contextmanager
    def _lost_connections_reported(self) -> Iterator[None]:
        """SQLAlchemy's errors for a connection the server dropped, or could not open, as
        ``DatabaseUnavailable``."""
        try:
            yield
        except sa.exc.DBAPIError as error:
            if error.connection_invalidated or (
                not self.is_sqlite
                and isinstance(error.orig, self._dbapi_operational_error)
                and _while_connecting(error)
            ):
                raise DatabaseUnavailable(_lost_message(error)) from error
            raise

    @property
    def _dbapi_operational_error(self) -> type[Exception]:
        return cast(type[Exception], self.engine.dialect.loaded_dbapi.OperationalError)

    # -- the lean path ------------------------------------------------------------------------

    def fetch_one(self, lean: LeanStatement, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """The first row of a lean SELECT as a dict, or None (autocommit: no transaction
        around it). A read: run once more on a fresh connection if its connection is lost."""
        compiled = lean.compiled(self.engine.dialect)
        try:
            rows = self._fetch(compiled, params, one=True)
        except DatabaseUnavailable:
            rows = self._fetch(compiled, params, one=True)
        return compiled.row_dict(rows[0]) if rows else None

    def fetch_all(self, lean: LeanStatement, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every row of a lean SELECT as dicts (autocommit; retried like ``fetch_one``)."""
        compiled = lean.compiled(self.engine.dialect)
        try:
            rows = self._fetch(compiled, params, one=False)
        except DatabaseUnavailable:
            rows = self._fetch(compiled, params, one=False)
        return [compiled.row_dict(row) for row in rows]

    def _fetch(
        self, compiled: CompiledLean, params: Mapping[str, Any], *, one: bool
    ) -> Sequence[Sequence[Any]]:
        with self._lean_cursor() as cursor:
            self._execute_lean(cursor, compiled, params)
            if one:
                row = cursor.fetchone()
                return () if row is None else (row,)
            rows: Sequence[Sequence[Any]] = cursor.fetchall()
            return rows

    def execute_count(self, lean: LeanStatement, params: Mapping[str, Any]) -> int:
        """Run a lean INSERT, UPDATE or DELETE (autocommit, so the database lock is held
        only while it runs, and no BEGIN or COMMIT round trip); the row count."""
        compiled = lean.compiled(self.engine.dialect)
        with self._lean_cursor() as cursor:
            blocking.writes()
            # Autocommit: once sent, it may have committed, whatever comes back.
            self._thread.commits += 1
            self._execute_lean(cursor, compiled, params)
            return int(cursor.rowcount)

    def _execute_lean(self, cursor: Any, compiled: CompiledLean, params: Mapping[str, Any]) -> None:
        if self.is_sqlite and self._thread.atomic is None:
            sqlite_setup.execute_waiting_for_locks(cursor, compiled.sql, compiled.bind(params))
        else:  # PostgreSQL, or inside atomic(), whose transaction holds the lock already
            cursor.execute(compiled.sql, compiled.bind(params))

    def pinned(self) -> AbstractContextManager[None]:
        """Lean statements run by this thread inside the block share one pooled connection,
        checked out (and pre-pinged) at the first of them: one checkout per request instead
        of one per statement. Request threads are at most as many as pooled connections
        (web/threads.py), so a pinned connection plus one for an ordinary transaction
        cannot exhaust the pool (POOL_SIZE + MAX_OVERFLOW)."""
        return _Pinned(self)

    def _checkout_lean(self) -> Any:
        blocking.starts(embedded_database=self.is_sqlite)
        try:
            fairy = self.engine.pool.connect()  # pre-ping as configured
        except self._dbapi_operational_error as error:
            if self.is_sqlite:
                raise
            raise DatabaseUnavailable(_lost_message(error)) from error
        try:
            if self.is_sqlite:  # in autocommit mode already; lean statements wait themselves
                sqlite_setup.set_busy_timeout(fairy, 0)
            else:
                connection = fairy.dbapi_connection
                assert connection is not None  # a checked-out connection has one
                connection.autocommit = True
        except BaseException:
            fairy.invalidate()
            fairy.close()
            raise
        return fairy

    def _release_lean(self, fairy: Any) -> None:
        try:
            if not self.is_sqlite:
                fairy.dbapi_connection.autocommit = False
        except BaseException:
            fairy.invalidate()  # never hand a connection in an unknown state to the pool
            raise
        finally:
            fairy.close()

    @contextmanager
    def _lean_cursor(self) -> Iterator[Any]:
        joined = self._thread.atomic
        if joined is not None:  # inside atomic(): its connection, its transaction
            cursor = joined.connection.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
            return
        thread = self._thread
        pinned = thread.pinning
        fairy = (thread.pinned if pinned else None) or self._checkout_lean()
        if pinned:
            thread.pinned = fairy
        try:
            cursor = fairy.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
        except BaseException as error:
            if pinned:
                thread.pinned = None  # the next statement checks out a fresh one
            lost = not self.is_sqlite and self._is_disconnect(error, fairy)
            fairy.invalidate()  # never hand a connection in an unknown state to the pool
            fairy.close()
            if lost:
                raise DatabaseUnavailable(_lost_message(error)) from error
            raise
        if not pinned:
            self._release_lean(fairy)

    def _is_disconnect(self, error: BaseException, fairy: Any) -> bool:
        dialect = self.engine.dialect
        return isinstance(error, dialect.loaded_dbapi.Error) and dialect.is_disconnect(
            error,
            fairy.dbapi_connection,
            None,
        )

    def dispose(self) -> None:
        self.engine.dispose()


def _while_connecting(error: sa.exc.DBAPIError) -> bool:
    """Whether SQLAlchemy raised ``error`` opening a connection rather than running a
    statement on one (it names no statement then)."""
    return error.statement is None


def _lost_message(error: BaseException) -> str:
    # The class name only: a driver's message may quote a statement's parameters.
    return f"the database connection was lost or could not be opened ({type(error).__name__})"


def insert_ignoring_duplicates(
    conn: Connection,
    table: sa.Table,
    *,
    select: sa.Select[Any] | None = None,
    columns: Sequence[str] = (),
    **values: Any,
) -> None:
    """INSERT … ON CONFLICT DO NOTHING: idempotent writes that race safely. One row from
    ``values``, or the rows of ``select`` into ``columns``."""
    insert = postgresql.insert(table) if conn.dialect.name == "postgresql" else sqlite.insert(table)
    statement = (
        insert.from_select(list(columns), select) if select is not None else insert.values(**values)
    )
    conn.execute(statement.on_conflict_do_nothing())


class _Pinned:
    """``Database.pinned()``. A class, not a @contextmanager generator: every request enters
    one, and a generator's context manager costs about a microsecond more."""

    __slots__ = ("_database", "_owner")

    def __init__(self, database: Database) -> None:
        self._database = database
        self._owner = False

    def __enter__(self) -> None:
        thread = self._database._thread
        # Nested: the outer block owns the connection.
        self._owner = not thread.pinning
        if self._owner:
            thread.pinning, thread.pinned = True, None

    def __exit__(self, *_: object) -> None:
        if not self._owner:
            return
        thread = self._database._thread
        fairy = thread.pinned
        thread.pinning, thread.pinned = False, None
        if fairy is not None:
            self._database._release_lean(fairy)
