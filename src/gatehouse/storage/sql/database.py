"""Engines from the plain database URLs users already have; gatehouse picks the driver."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url

from gatehouse import blocking

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
# How long a statement waits for SQLite's write lock before it fails with "database is
# locked". The same for every statement; lean ones wait in finer steps
# (_execute_waiting_for_locks).
SQLITE_BUSY_TIMEOUT_MS = 10_000
_FIRST_BUSY_PAUSE = 20e-6  # seconds; doubled after each try, up to
_LAST_BUSY_PAUSE = 1e-3
_BUSY_TIMEOUT_KEY = "gatehouse_sqlite_busy_timeout_ms"


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


def _on_sqlite_connect(dbapi_connection: Any, record: Any) -> None:
    # Take transaction control away from pysqlite so that writers can BEGIN IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the writer; NORMAL is durable across application crashes
    # and costs a fraction of FULL (shared/PERFORMANCE.md).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    record.info[_BUSY_TIMEOUT_KEY] = SQLITE_BUSY_TIMEOUT_MS
    # Copy the WAL back into the database every 10,000 pages (about 40 MB) instead of 1,000:
    # a refresh rotation writes several pages, and the same hot index pages are rewritten
    # many times between checkpoints, so fewer checkpoints write far fewer pages. Refresh
    # grants under load: +15-20 % (docs/benchmarks.md).
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    cursor.close()


def _set_busy_timeout(fairy: Any, milliseconds: int) -> None:
    """SQLite's busy timeout on a pooled connection, changed only when it differs: the
    lean path (``Database.fetch_one`` and co.) waits for locks itself and runs with 0,
    everything else with SQLITE_BUSY_TIMEOUT_MS. The setting lives with the connection, so
    it is remembered in its pool record's ``info``."""
    if fairy.info.get(_BUSY_TIMEOUT_KEY) != milliseconds:
        fairy.dbapi_connection.execute(f"PRAGMA busy_timeout={milliseconds}")
        fairy.info[_BUSY_TIMEOUT_KEY] = milliseconds


def _on_sqlite_begin(conn: Connection) -> None:
    _set_busy_timeout(conn.connection, SQLITE_BUSY_TIMEOUT_MS)
    # A write transaction takes the write lock up front: a deferred one that reads and then
    # writes can fail with SQLITE_BUSY when another process committed in between.
    options = conn.get_execution_options()
    if options.get("gatehouse_statement", False):
        return  # Database.statement(): autocommit, no transaction around the statement
    conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get("gatehouse_write", False) else "BEGIN")


@dataclass(frozen=True)
class _CompiledLean:
    sql: str
    positional: tuple[str, ...] | None  # parameter order for qmark drivers (SQLite)
    columns: tuple[str, ...]  # result column names of a SELECT
    json_columns: tuple[int, ...]  # their positions, decoded here when the driver does not
    json_params: frozenset[str]  # parameters bound to JSON columns, encoded here


class LeanStatement:
    """A hot-path Core statement run straight on the DBAPI cursor of a pooled connection.

    For a lookup by key, SQLAlchemy's execution pipeline costs several times the SQL itself;
    this compiles the statement once per dialect and skips the pipeline. Only for single
    statements that are atomic by themselves, with scalar, string and JSON columns (JSON
    parameters are sent as JSON text, which PostgreSQL's compiled SQL casts)."""

    def __init__(self, statement: sa.Select[Any] | sa.Update | sa.Insert | sa.Delete) -> None:
        self.statement = statement
        self._compiled: dict[str, _CompiledLean] = {}

    def compiled(self, dialect: sa.Dialect) -> _CompiledLean:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            selected = (
                list(self.statement.selected_columns)
                if isinstance(self.statement, sa.Select)
                else []
            )
            decode_json = not getattr(dialect, "supports_native_json_deserialization", False)
            found = _CompiledLean(
                sql=compiled.string,
                positional=tuple(compiled.positiontup or ()) if compiled.positional else None,
                columns=tuple(c.name for c in selected),
                json_columns=tuple(
                    i for i, c in enumerate(selected) if decode_json and isinstance(c.type, sa.JSON)
                ),
                json_params=frozenset(
                    name for name, bind in compiled.binds.items() if isinstance(bind.type, sa.JSON)
                ),
            )
            self._compiled[dialect.name] = found
        return found


class Database:
    """The engine plus the two kinds of transaction gatehouse uses: ``read`` and ``write``."""

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
            sa.event.listen(self.engine, "connect", _on_sqlite_connect)
            sa.event.listen(self.engine, "begin", _on_sqlite_begin)
        else:
            self.engine = sa.create_engine(
                url, pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW, pool_pre_ping=True
            )
        self._atomic = threading.local()  # the connection of this thread's atomic() block
        self._pinned = threading.local()  # this thread's pinned() block, if any

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def request_threads(self) -> int:
        """How many threads should run request work against this database (at most
        POOL_SIZE: each may hold a pooled connection)."""
        return SQLITE_REQUEST_THREADS if self.is_sqlite else POOL_SIZE

    @contextmanager
    def read(self) -> Iterator[Connection]:
        joined = getattr(self._atomic, "conn", None)
        if joined is not None:
            yield joined
            return
        blocking.starts(embedded_database=self.is_sqlite)
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        joined = getattr(self._atomic, "conn", None)
        if joined is not None:
            yield joined
            return
        blocking.starts(embedded_database=self.is_sqlite)
        blocking.writes()
        with self.engine.connect() as conn:
            conn = conn.execution_options(gatehouse_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def statement(self) -> Iterator[Connection]:
        """For one statement that is atomic by itself (a lookup by key, a conditional UPDATE),
        run without a transaction around it: SQLite in autocommit mode, so a write holds the
        database lock only while the statement runs (never while its thread waits for the
        GIL), PostgreSQL in autocommit too (no BEGIN and COMMIT round trips). The hot paths
        use it; several statements that must agree still use ``read`` or ``write``."""
        joined = getattr(self._atomic, "conn", None)
        if joined is not None:
            yield joined
            return
        blocking.starts(embedded_database=self.is_sqlite)
        blocking.writes()  # it may write
        with self.engine.connect() as conn:
            if self.is_sqlite:
                conn.execution_options(gatehouse_statement=True)
            else:
                conn.execution_options(isolation_level="AUTOCOMMIT")
            with conn.begin():
                yield conn

    def fetch_one(self, lean: LeanStatement, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """The first row of a lean SELECT as a dict, or None (autocommit, like ``statement``)."""
        compiled = lean.compiled(self.engine.dialect)
        with self._lean_cursor() as cursor:
            self._execute_lean(cursor, compiled, params)
            row = cursor.fetchone()
        return None if row is None else _row_dict(compiled, row)

    def fetch_all(self, lean: LeanStatement, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every row of a lean SELECT as dicts (autocommit, like ``statement``)."""
        compiled = lean.compiled(self.engine.dialect)
        with self._lean_cursor() as cursor:
            self._execute_lean(cursor, compiled, params)
            rows = cursor.fetchall()
        return [_row_dict(compiled, row) for row in rows]

    def execute_count(self, lean: LeanStatement, params: Mapping[str, Any]) -> int:
        """Run a lean INSERT, UPDATE or DELETE (autocommit, like ``statement``); the row
        count."""
        compiled = lean.compiled(self.engine.dialect)
        with self._lean_cursor() as cursor:
            blocking.writes()
            self._execute_lean(cursor, compiled, params)
            return int(cursor.rowcount)

    def _execute_lean(
        self, cursor: Any, compiled: _CompiledLean, params: Mapping[str, Any]
    ) -> None:
        if self.is_sqlite and getattr(self._atomic, "conn", None) is None:
            _execute_waiting_for_locks(cursor, compiled.sql, _bind(compiled, params))
        else:  # PostgreSQL, or inside atomic(), whose transaction holds the lock already
            cursor.execute(compiled.sql, _bind(compiled, params))

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Lean statements run by this thread inside the block share one pooled connection,
        checked out (and pre-pinged) at the first of them: one checkout per request instead
        of one per statement. Request threads are at most as many as pooled connections
        (web/threads.py), so a pinned connection plus one for an ordinary transaction
        cannot exhaust the pool (POOL_SIZE + MAX_OVERFLOW)."""
        if getattr(self._pinned, "active", False):
            yield  # nested: the outer block owns the connection
            return
        self._pinned.active, self._pinned.fairy = True, None
        try:
            yield
        finally:
            fairy = self._pinned.fairy
            self._pinned.active, self._pinned.fairy = False, None
            if fairy is not None:
                self._release_lean(fairy)

    def _checkout_lean(self) -> Any:
        blocking.starts(embedded_database=self.is_sqlite)
        fairy = self.engine.pool.connect()  # pre-ping as configured
        try:
            if self.is_sqlite:  # in autocommit mode already; lean statements wait themselves
                _set_busy_timeout(fairy, 0)
            else:
                fairy.dbapi_connection.autocommit = True
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
        joined = getattr(self._atomic, "conn", None)
        if joined is not None:  # inside atomic(): its connection, its transaction
            cursor = joined.connection.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
            return
        pinned = getattr(self._pinned, "active", False)
        fairy = (self._pinned.fairy if pinned else None) or self._checkout_lean()
        if pinned:
            self._pinned.fairy = fairy
        try:
            cursor = fairy.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
        except BaseException:
            if pinned:
                self._pinned.fairy = None  # the next statement checks out a fresh one
            fairy.invalidate()  # never hand a connection in an unknown state to the pool
            fairy.close()
            raise
        if not pinned:
            self._release_lean(fairy)

    @contextmanager
    def atomic(self) -> Iterator[Connection]:
        """One write transaction for everything this thread does inside the block: ``read``
        and ``write`` join it, and an exception rolls all of it back. For all-or-nothing
        admin operations such as ``gatehouse apply``; request paths do not use it."""
        if getattr(self._atomic, "conn", None) is not None:
            raise RuntimeError("atomic() blocks do not nest")
        with self.write() as conn:
            self._atomic.conn = conn
            try:
                yield conn
            finally:
                self._atomic.conn = None

    def dispose(self) -> None:
        self.engine.dispose()


def _execute_waiting_for_locks(cursor: Any, sql: str, params: Any) -> None:
    """One autocommit statement on a connection whose busy timeout is 0 (the lean path),
    waiting for SQLite's locks in steps of tens of microseconds instead of SQLite's own
    busy handler, whose first wait is a whole millisecond and whose later ones grow to
    100 ms.

    A write holds the lock for tens of microseconds, and with two worker processes writing
    one file, about one write in ten under load finds it taken: SQLite's handler then
    slept at least 1 ms, and on the event loop (web/threads.py) that stalls the whole
    worker. Retrying here is safe: a statement that found the lock taken changed nothing,
    and outside a transaction there is nothing else to roll back."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    pause = _FIRST_BUSY_PAUSE
    while True:
        try:
            cursor.execute(sql, params)
            return
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:  # extended codes too
                raise
            if time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, _LAST_BUSY_PAUSE)


def _row_dict(compiled: _CompiledLean, row: Sequence[Any]) -> dict[str, Any]:
    values = list(row)
    for i in compiled.json_columns:
        if isinstance(values[i], str):
            values[i] = json.loads(values[i])
    return dict(zip(compiled.columns, values, strict=True))


def _bind(compiled: _CompiledLean, params: Mapping[str, Any]) -> Any:
    if compiled.json_params:
        params = {
            k: json.dumps(v) if k in compiled.json_params and v is not None else v
            for k, v in params.items()
        }
    if compiled.positional is not None:
        return tuple(params[name] for name in compiled.positional)
    return params


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
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    insert = dialect_insert(table)
    statement = (
        insert.from_select(list(columns), select) if select is not None else insert.values(**values)
    )
    conn.execute(statement.on_conflict_do_nothing())
