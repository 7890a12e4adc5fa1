"""What the embedded SQLite database needs from gatehouse: its connection settings, write
transactions that take the lock up front, and a busy wait finer than SQLite's own."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sqlalchemy.engine import Connection

# How long a statement waits for SQLite's write lock before it fails with "database is
# locked". The same for every statement; lean ones wait in finer steps
# (execute_waiting_for_locks).
SQLITE_BUSY_TIMEOUT_MS = 10_000
_FIRST_BUSY_PAUSE = 20e-6  # seconds; doubled after each try, up to
_LAST_BUSY_PAUSE = 1e-3
_BUSY_TIMEOUT_KEY = "gatehouse_sqlite_busy_timeout_ms"


def on_connect(dbapi_connection: Any, record: Any) -> None:
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


def set_busy_timeout(fairy: Any, milliseconds: int) -> None:
    """SQLite's busy timeout on a pooled connection, changed only when it differs: the
    lean path (``Database.fetch_one`` and co.) waits for locks itself and runs with 0,
    everything else with SQLITE_BUSY_TIMEOUT_MS. The setting lives with the connection, so
    it is remembered in its pool record's ``info``."""
    if fairy.info.get(_BUSY_TIMEOUT_KEY) != milliseconds:
        fairy.dbapi_connection.execute(f"PRAGMA busy_timeout={milliseconds}")
        fairy.info[_BUSY_TIMEOUT_KEY] = milliseconds


def on_begin(conn: Connection) -> None:
    set_busy_timeout(conn.connection, SQLITE_BUSY_TIMEOUT_MS)
    # A write transaction takes the write lock up front: a deferred one that reads and then
    # writes can fail with SQLITE_BUSY when another process committed in between.
    write = conn.get_execution_options().get("gatehouse_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def execute_waiting_for_locks(cursor: Any, sql: str, params: Any) -> None:
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
