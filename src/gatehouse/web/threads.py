"""A lean thread pool for request work on the hot path.

Storage is synchronous, so adapters run the protocol core in a thread. Starlette's
``run_in_threadpool`` goes through anyio's worker threads (a Python queue and condition
variable, a capacity limiter, cancel scopes), which cost about 100 µs of CPU per call at the
token endpoint under load; a ``concurrent.futures`` pool (a C queue) reached through
``loop.run_in_executor`` costs a fraction of that. One pool per process, with as many
threads as pooled database connections.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def _executor(size: int) -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        with _lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="gatehouse-request")
    return _pool


async def run_sync(size: int, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args, **kwargs)`` in the process's request pool (``size`` threads, fixed by the
    first call). A cancelled caller stops waiting; work already running completes."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor(size), functools.partial(fn, *args, **kwargs))
