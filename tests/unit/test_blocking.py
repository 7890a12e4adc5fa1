"""gatehouse.blocking: inside ``forbidden()`` every place that would block raises WouldBlock
before it has read or written anything (the web layer then reruns the work in a request
thread; tests/unit/web/test_threads.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from gatehouse import blocking
from gatehouse.runtime import Runtime
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.database import LeanStatement


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
        in_transaction(database.statement),
        in_transaction(database.atomic),
        lambda: database.fetch_one(TENANT_IDS, {"id": "default"}),
        lambda: database.fetch_all(TENANT_IDS, {"id": "default"}),
        lambda: database.execute_count(
            LeanStatement(sa.delete(t.tenants).where(t.tenants.c.id == sa.bindparam("id"))),
            {"id": "nobody"},
        ),
        pinned_lean,
    ]


def test_no_database_connection_is_taken_inside_forbidden(runtime: Runtime) -> None:
    pool = runtime.database.engine.pool
    checkouts: list[object] = []

    def on_checkout(*args: object) -> None:
        checkouts.append(args)

    sa.event.listen(pool, "checkout", on_checkout)
    try:
        for reach in _every_way_to_reach_the_database(runtime):
            with blocking.forbidden(), pytest.raises(blocking.WouldBlock):
                reach()
            assert checkouts == []
            reach()  # and outside, each of them does reach the database
            assert len(checkouts) == 1
            checkouts.clear()
    finally:
        sa.event.remove(pool, "checkout", on_checkout)
    assert pool.checkedout() == 0  # type: ignore[attr-defined]
