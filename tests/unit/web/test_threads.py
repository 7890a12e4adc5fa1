"""Request threads (web/threads.py): sized by the database the app runs on."""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Iterator

import pytest

from gatehouse import blocking
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


# -- Trying the event loop first ------------------------------------------------------------


def test_work_without_blocking_io_runs_on_the_event_loop() -> None:
    async def main() -> threading.Thread:
        return await threads.run_inline_or_in_threadpool(threading.current_thread)

    assert asyncio.run(main()) is threading.current_thread()


def test_work_that_would_block_is_rerun_in_a_request_thread() -> None:
    attempts: list[str] = []

    def work(label: str) -> str:
        attempts.append(threading.current_thread().name)
        blocking.starts()
        return f"{label} in {threading.current_thread().name}"

    result = asyncio.run(threads.run_inline_or_in_threadpool(functools.partial(work, "done")))
    assert attempts[0] == threading.current_thread().name
    assert attempts[1].startswith("gatehouse-request")
    assert result == f"done in {attempts[1]}"
    assert len(attempts) == 2


def test_an_error_on_the_event_loop_is_the_answer_and_is_not_rerun() -> None:
    attempts: list[str] = []

    def work() -> None:
        attempts.append(threading.current_thread().name)
        raise ValueError("bad request")

    with pytest.raises(ValueError, match="bad request"):
        asyncio.run(threads.run_inline_or_in_threadpool(work))
    assert attempts == [threading.current_thread().name]
