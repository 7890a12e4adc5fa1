"""The threads request work runs in.

Storage is synchronous, so adapters run the protocol core and page logic in a thread.
Starlette's ``run_in_threadpool`` goes through anyio's worker threads (a Python queue and
condition variable, a capacity limiter, cancel scopes): about 100 µs of CPU per call at the
token endpoint under load, where a ``concurrent.futures`` pool (a C queue) reached through
``loop.run_in_executor`` costs a fraction of that. Anyio's default of 40 threads was also
four times the pooled database connections, so busy requests kept opening and closing
overflow connections (a PostgreSQL backend fork each). One pool per process, with as many
threads as the database wants (``Runtime.request_threads``: the pooled connections for
PostgreSQL, fewer for SQLite), set by ``configure`` when the app is built.

Work that usually needs no I/O at all can skip the hop: ``run_inline_or_in_threadpool``
tries it on the event loop first, where any blocking I/O it would start raises instead
(gatehouse/blocking.py), and reruns it in a request thread then. On the embedded SQLite
database the token endpoint's grants and the authorization endpoint run there with their
statements too: a statement takes tens of microseconds in this process, less than the hop to
a thread and back.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from gatehouse import blocking
from gatehouse.runtime import MAX_REQUEST_THREADS

P = ParamSpec("P")
T = TypeVar("T")

_pool: ThreadPoolExecutor | None = None
_threads = MAX_REQUEST_THREADS
_lock = threading.Lock()


def configure(threads: int) -> None:
    """The number of request threads; a pool of another size is replaced (its running work
    completes)."""
    global _pool, _threads
    threads = max(1, min(threads, MAX_REQUEST_THREADS))
    with _lock:
        if _pool is not None and threads != _threads:
            _pool.shutdown(wait=False)
            _pool = None
        _threads = threads


def _executor() -> ThreadPoolExecutor:
    global _pool
    pool = _pool
    if pool is None:
        with _lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(_threads, thread_name_prefix="gatehouse-request")
            pool = _pool
    return pool


async def run_in_threadpool(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args, **kwargs)`` in the process's request threads. A cancelled caller stops
    waiting; work already running completes."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor(), functools.partial(fn, *args, **kwargs))


async def run_inline_or_in_threadpool(fn: Callable[[], T], *, embedded_database: bool = False) -> T:
    """``fn()`` on the event loop if it completes without blocking I/O; otherwise in the
    request threads. ``fn`` must be safe to start twice: everything it does before its
    first blocking I/O is repeated (reads from caches, parsing, checks).

    With ``embedded_database``, statements on the embedded SQLite database count as not
    blocking (gatehouse/blocking.py): such work may read and write on the event loop, and
    once it has written it is never rerun."""
    try:
        with blocking.forbidden(embedded_database=embedded_database):
            return fn()
    except blocking.WouldBlock:
        return await run_in_threadpool(fn)
