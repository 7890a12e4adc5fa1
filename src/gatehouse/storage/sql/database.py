"""Engines from the plain database URLs users already have; gatehouse picks the driver."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url


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


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from pysqlite so that writers can BEGIN IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the writer; NORMAL is durable across application crashes
    # and costs a fraction of FULL (shared/PERFORMANCE.md).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _on_sqlite_begin(conn: Connection) -> None:
    # A write transaction takes the write lock up front: a deferred one that reads and then
    # writes can fail with SQLITE_BUSY when another process committed in between.
    options = conn.get_execution_options()
    if options.get("gatehouse_statement", False):
        return  # Database.statement(): autocommit, no transaction around the statement
    conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get("gatehouse_write", False) else "BEGIN")


class Database:
    """The engine plus the two kinds of transaction gatehouse uses: ``read`` and ``write``."""

    def __init__(self, raw_url: str) -> None:
        url = normalize_database_url(raw_url)
        self.url = url
        if url.get_backend_name() == "sqlite":
            if url.database and url.database != ":memory:":
                Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = sa.create_engine(url, connect_args={"check_same_thread": False})
            sa.event.listen(self.engine, "connect", _on_sqlite_connect)
            sa.event.listen(self.engine, "begin", _on_sqlite_begin)
        else:
            self.engine = sa.create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
        self._atomic = threading.local()  # the connection of this thread's atomic() block

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def read(self) -> Iterator[Connection]:
        joined = getattr(self._atomic, "conn", None)
        if joined is not None:
            yield joined
            return
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        joined = getattr(self._atomic, "conn", None)
        if joined is not None:
            yield joined
            return
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
        with self.engine.connect() as conn:
            if self.is_sqlite:
                conn.execution_options(gatehouse_statement=True)
            else:
                conn.execution_options(isolation_level="AUTOCOMMIT")
            with conn.begin():
                yield conn

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


def insert_ignoring_duplicates(conn: Connection, table: sa.Table, **values: Any) -> None:
    """INSERT … ON CONFLICT DO NOTHING: idempotent writes that race safely."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        conn.execute(pg_insert(table).values(**values).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        conn.execute(sqlite_insert(table).values(**values).on_conflict_do_nothing())
