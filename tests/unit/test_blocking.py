"""gatehouse.blocking: inside ``forbidden()`` every place that would block raises WouldBlock
before it has read or written anything (the web layer then reruns the work in a request
thread; tests/unit/web/test_threads.py) — except statements on the embedded SQLite database
where the attempt allows them, and anything after a write."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from gatehouse import blocking
from gatehouse.runtime import Runtime
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.lean import LeanStatement


def test_starts_does_nothing_outside_forbidden() -> None:
    blocking.starts()


def test_starts_raises_inside_forbidden_and_not_after() -> None:
    with blocking.forbidden(), pytest.raises(blocking.WouldBlock):
        blocking.starts()
    blocking.starts()


def test_would_block_passes_through_except_exception() -> None:
    # Handlers that turn failures into OAuth errors or server errors must not swallow it.
    def handler() -> None:
        try:
            blocking.starts()
        except Exception:  # the point of the test
            pytest.fail("WouldBlock was caught as an Exception")

    with blocking.forbidden(), pytest.raises(blocking.WouldBlock):
        handler()


def test_the_embedded_database_is_allowed_only_where_the_attempt_says_so() -> None:
    with blocking.forbidden(embedded_database=True):
        blocking.starts(embedded_database=True)  # a SQLite statement: allowed
        with pytest.raises(blocking.WouldBlock):
            blocking.starts()  # anything else (a download, a lock wait): not
    with blocking.forbidden(), pytest.raises(blocking.WouldBlock):
        blocking.starts(embedded_database=True)


def test_after_a_write_an_attempt_finishes_where_it_is() -> None:
    # Rerunning it in a request thread would repeat the write (redeem a code twice).
    with blocking.forbidden(embedded_database=True):
        blocking.writes()
        blocking.starts()  # no WouldBlock any more
    with blocking.forbidden(), pytest.raises(blocking.WouldBlock):
        blocking.starts()  # the next attempt starts afresh


def test_writes_outside_an_attempt_does_nothing() -> None:
    blocking.writes()
    with blocking.forbidden(), pytest.raises(blocking.WouldBlock):
        blocking.starts()


TENANT_IDS = LeanStatement(sa.select(t.tenants.c.id).where(t.tenants.c.id == sa.bindparam("id")))


def _every_way_to_reach_the_database(runtime: Runtime) -> list[Callable[[], Any]]:
    database = runtime.database

    def in_transaction(begin: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            with begin() as conn:
                return conn.execute(sa.select(t.tenants.c.id)).all()

        return run

    def pinned_lean() -> Any:
        with database.pinned():
            return database.fetch_one(TENANT_IDS, {"id": "default"})

    return [
        in_transaction(database.read),
        in_transaction(database.write),
        in_transaction(database.atomic),
        lambda: database.fetch_one(TENANT_IDS, {"id": "default"}),
        lambda: database.fetch_all(TENANT_IDS, {"id": "default"}),
        lambda: database.execute_count(
            LeanStatement(sa.delete(t.tenants).where(t.tenants.c.id == sa.bindparam("id"))),
            {"id": "nobody"},
        ),
        pinned_lean,
    ]


@pytest.fixture
def checkouts(runtime: Runtime) -> Iterator[list[object]]:
    """Every connection checkout from the runtime's pool; none left checked out after."""
    pool = runtime.database.engine.pool
    taken: list[object] = []

    def on_checkout(*args: object) -> None:
        taken.append(args)

    sa.event.listen(pool, "checkout", on_checkout)
    yield taken
    sa.event.remove(pool, "checkout", on_checkout)
    assert pool.checkedout() == 0  # type: ignore[attr-defined]


def test_no_database_connection_is_taken_inside_forbidden(
    runtime: Runtime, checkouts: list[object]
) -> None:
    for reach in _every_way_to_reach_the_database(runtime):
        with blocking.forbidden(), pytest.raises(blocking.WouldBlock):
            reach()
        assert checkouts == []
        reach()  # and outside, each of them does reach the database
        assert len(checkouts) == 1
        checkouts.clear()


def test_only_sqlite_is_reached_inside_an_attempt_that_allows_the_embedded_database(
    runtime: Runtime, checkouts: list[object]
) -> None:
    for reach in _every_way_to_reach_the_database(runtime):
        with blocking.forbidden(embedded_database=True):
            if runtime.database.is_sqlite:
                reach()
                assert len(checkouts) == 1
            else:  # PostgreSQL is a network round trip: never on the event loop
                with pytest.raises(blocking.WouldBlock):
                    reach()
                assert checkouts == []
        checkouts.clear()
