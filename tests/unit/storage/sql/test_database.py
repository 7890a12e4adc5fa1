"""storage.sql.database: plain database URLs mapped to the drivers gatehouse ships with."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
import sqlalchemy as sa

from gatehouse.storage.sql import sqlite as sqlite_module
from gatehouse.storage.sql.database import Database, DatabaseUrlError, normalize_database_url
from gatehouse.storage.sql.lean import LeanStatement


@pytest.mark.parametrize(
    ("raw", "driver", "database"),
    [
        ("sqlite:////var/lib/gatehouse/gatehouse.db", "sqlite", "/var/lib/gatehouse/gatehouse.db"),
        ("sqlite:///gatehouse-data/gatehouse.db", "sqlite", "gatehouse-data/gatehouse.db"),
        ("sqlite+pysqlite:///x.db", "sqlite", "x.db"),
        ("sqlite://", "sqlite", None),
        ("postgresql://gh:pw@db.internal:5433/gatehouse", "postgresql+psycopg", "gatehouse"),
        ("postgres://gh:pw@db.internal:5433/gatehouse", "postgresql+psycopg", "gatehouse"),
        ("postgresql+psycopg2://gh@db/gatehouse", "postgresql+psycopg", "gatehouse"),
        ("postgresql+psycopg://gh@db/gatehouse", "postgresql+psycopg", "gatehouse"),
    ],
)
def test_normalize_database_url(raw: str, driver: str, database: str | None) -> None:
    url = normalize_database_url(raw)
    assert url.drivername == driver
    assert url.database == database


def test_postgres_url_keeps_credentials_host_port_and_query() -> None:
    url = normalize_database_url("postgres://gh:p%40ss@db.internal:5433/gatehouse?sslmode=require")
    assert (url.username, url.password, url.host, url.port) == ("gh", "p@ss", "db.internal", 5433)
    assert dict(url.query) == {"sslmode": "require"}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("mysql://x", "unsupported database 'mysql'"),
        ("mysql+pymysql://u@h/db", "unsupported database 'mysql'"),
        ("oracle://u@h/db", "unsupported database 'oracle'"),
        ("mssql://u@h/db", "unsupported database 'mssql'"),
        ("not a url", "not a database URL"),
        ("", "not a database URL"),
        ("/var/lib/gatehouse.db", "not a database URL"),
    ],
)
def test_unsupported_or_malformed_urls(raw: str, message: str) -> None:
    with pytest.raises(DatabaseUrlError, match=message):
        normalize_database_url(raw)


def test_unsupported_url_error_says_what_to_use() -> None:
    with pytest.raises(DatabaseUrlError, match=r"sqlite:///path/to/file\.db or postgresql://"):
        normalize_database_url("mysql://x")


def test_database_does_not_connect_until_used() -> None:
    # An engine for an unreachable server is created without touching the network.
    database = Database("postgresql://gh@127.0.0.1:1/gatehouse")
    assert not database.is_sqlite
    database.dispose()


def test_sqlite_database_runs_in_wal_mode_with_foreign_keys(tmp_path: object) -> None:
    database = Database(f"sqlite:///{tmp_path}/nested/dir/gh.db")
    try:
        with database.read() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 10000
    finally:
        database.dispose()


def _table(database: Database) -> None:
    with database.write() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS t (v INTEGER)")


def _values(database: Database) -> list[int]:
    with database.read() as conn:
        return [row[0] for row in conn.exec_driver_sql("SELECT v FROM t ORDER BY v")]


def test_atomic_commits_everything_inside_it(tmp_path: object) -> None:
    database = Database(f"sqlite:///{tmp_path}/gh.db")
    _table(database)
    with database.atomic():
        with database.write() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        assert _values(database) == [1]  # reads inside the block see its writes
        with database.write() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (2)")
    assert _values(database) == [1, 2]
    database.dispose()


def test_atomic_rolls_everything_back_on_an_exception(tmp_path: object) -> None:
    database = Database(f"sqlite:///{tmp_path}/gh.db")
    _table(database)
    with pytest.raises(ZeroDivisionError), database.atomic():
        with database.write() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        with database.write() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (2)")
        _ = 1 / 0
    assert _values(database) == []
    # The database works normally afterwards.
    with database.write() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (3)")
    assert _values(database) == [3]
    database.dispose()


def test_an_inner_atomic_block_joins_the_outer_one(tmp_path: object) -> None:
    """An admin service that makes its own change all-or-nothing (client update) can run
    inside ``gatehouse apply``'s transaction: the outer block decides for both."""
    database = Database(f"sqlite:///{tmp_path}/gh.db")
    with database.write() as conn:
        conn.exec_driver_sql("CREATE TABLE t (v INTEGER)")
    with pytest.raises(ZeroDivisionError), database.atomic():
        with database.atomic(), database.write() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        _ = 1 / 0  # after the inner block ended: its write is rolled back too
    assert _values(database) == []
    with database.atomic(), database.atomic(), database.write() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (2)")
    assert _values(database) == [2]
    database.dispose()


# -- lean writes wait for SQLite's write lock in fine steps ----------------------------------

_T = sa.Table("t", sa.MetaData(), sa.Column("v", sa.Integer))
INSERT_V = LeanStatement(sa.insert(_T).values(v=sa.bindparam("v")))
BUSY_TIMEOUT = LeanStatement(
    sa.select(sa.column("timeout")).select_from(sa.table("pragma_busy_timeout"))
)


def _hold_the_write_lock(path: str, seconds: float) -> threading.Thread:
    """Another connection (as another process would) holds SQLite's write lock a while."""
    held = threading.Event()

    def hold() -> None:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        held.set()
        threading.Event().wait(seconds)  # not time.sleep, which the tests below watch
        other.execute("COMMIT")
        other.close()

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait()
    return holder


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every pause a lean write takes while the write lock is taken."""
    taken: list[float] = []
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:
        taken.append(seconds)
        real_sleep(seconds)

    monkeypatch.setattr(sqlite_module.time, "sleep", sleep)
    return taken


def test_a_lean_write_waits_for_the_write_lock_in_fine_steps(
    tmp_path: object, pauses: list[float]
) -> None:
    path = f"{tmp_path}/gh.db"
    database = Database(f"sqlite:///{path}")
    _table(database)
    holder = _hold_the_write_lock(path, 0.05)
    assert database.execute_count(INSERT_V, {"v": 7}) == 1  # its own row count
    holder.join()
    assert _values(database) == [7]
    # Its own waits, starting far below SQLite's first sleep of a whole millisecond.
    assert pauses[0] < 0.0001
    assert max(pauses) <= 0.001
    # The lean path runs its connections with SQLite's own waiting off; a transaction on
    # the same pooled connection afterwards has it on again.
    assert database.fetch_one(BUSY_TIMEOUT, {}) == {"timeout": 0}
    with database.read() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
    assert database.fetch_one(BUSY_TIMEOUT, {}) == {"timeout": 0}
    database.dispose()


def test_a_lean_write_gives_up_after_the_busy_timeout(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = f"{tmp_path}/gh.db"
    database = Database(f"sqlite:///{path}")
    _table(database)
    monkeypatch.setattr(sqlite_module, "SQLITE_BUSY_TIMEOUT_MS", 30)
    holder = _hold_the_write_lock(path, 0.3)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            database.execute_count(INSERT_V, {"v": 7})
    finally:
        holder.join()
    assert _values(database) == []
    assert database.execute_count(INSERT_V, {"v": 8}) == 1  # the pool is fine afterwards
    database.dispose()


def test_other_errors_of_a_lean_write_are_not_retried(
    tmp_path: object, pauses: list[float]
) -> None:
    database = Database(f"sqlite:///{tmp_path}/gh.db")  # no table t: "no such table"
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        database.execute_count(INSERT_V, {"v": 1})
    assert pauses == []
    database.dispose()
