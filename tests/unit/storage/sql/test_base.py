"""storage.sql.base: a ``@retried`` repository method whose connection is lost runs once more
on a fresh one, only when nothing it sent may have committed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gatehouse.storage.errors import DatabaseUnavailable
from gatehouse.storage.sql.base import SqlRepository, retried
from gatehouse.storage.sql.database import Database


class Flaky(SqlRepository):
    """Loses its connection on the first ``failures`` calls, after ``commits`` writes."""

    def __init__(self, database: Database, failures: int, commits: int) -> None:
        super().__init__(database, "default")
        self.failures, self.commits, self.calls = failures, commits, 0

    @retried
    def work(self, value: str) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            self.db._thread.commits += self.commits  # as write() and execute_count() count
            raise DatabaseUnavailable("lost")
        return value


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path}/gh.db")
    yield database
    database.dispose()


def test_work_that_committed_nothing_runs_once_more(database: Database) -> None:
    flaky = Flaky(database, failures=1, commits=0)
    assert flaky.work("done") == "done"
    assert flaky.calls == 2


def test_it_runs_once_more_only(database: Database) -> None:
    flaky = Flaky(database, failures=2, commits=0)
    with pytest.raises(DatabaseUnavailable):
        flaky.work("done")
    assert flaky.calls == 2


def test_work_that_may_have_committed_is_not_repeated(database: Database) -> None:
    flaky = Flaky(database, failures=1, commits=1)
    with pytest.raises(DatabaseUnavailable):
        flaky.work("done")
    assert flaky.calls == 1


def test_writes_count_as_possibly_committed_and_reads_do_not(database: Database) -> None:
    before = database.commits()
    with database.read() as conn:
        conn.exec_driver_sql("SELECT 1")
    assert database.commits() == before
    with database.write() as conn:
        conn.exec_driver_sql("CREATE TABLE t (v INTEGER)")
    assert database.commits() == before + 1
    with pytest.raises(ZeroDivisionError), database.write():
        _ = 1 / 0  # failed before COMMIT: rolled back, nothing committed
    assert database.commits() == before + 1
