"""Request threads (web/threads.py): sized by the database the app runs on."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from gatehouse.runtime import Runtime
from gatehouse.storage.sql.database import POOL_SIZE, SQLITE_REQUEST_THREADS
from gatehouse.web import threads
from gatehouse.web.app import create_app


@pytest.fixture(autouse=True)
def restore_default() -> Iterator[None]:
    yield
    threads.configure(POOL_SIZE)


def peak_concurrency(calls: int) -> int:
    """How many calls run at once when ``calls`` blocking calls are submitted together."""
    running = 0
    peak = 0
    lock = threading.Lock()
    release = threading.Event()

    def work() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        release.wait(0.2)
        with lock:
            running -= 1

    async def main() -> None:
        await asyncio.gather(*(threads.run_in_threadpool(work) for _ in range(calls)))

    asyncio.run(main())
    return peak


def test_the_app_runs_request_work_in_as_many_threads_as_its_database_wants(
    runtime: Runtime,
) -> None:
    create_app(runtime)
    expected = SQLITE_REQUEST_THREADS if runtime.database.is_sqlite else POOL_SIZE
    assert runtime.database.request_threads == expected
    assert peak_concurrency(POOL_SIZE + 5) == expected


def test_request_threads_never_outnumber_pooled_connections() -> None:
    threads.configure(POOL_SIZE * 3)
    assert peak_concurrency(POOL_SIZE * 3) == POOL_SIZE
    threads.configure(0)
    assert peak_concurrency(3) == 1
