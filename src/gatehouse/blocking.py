"""Marking where blocking I/O starts, so request work can try the event loop first.

A request thread hop costs the token endpoint more CPU than a warm client_credentials
request itself (docs/benchmarks.md), yet such a request needs no I/O at all: the client,
its secret, the API, the app-role grants and the signing key all come from per-process
caches. So the web layer may run request work on the event loop inside ``forbidden()``;
every place that would block — checking out a database connection, fetching a client's
JWKS, waiting for a lock held across either — calls ``starts()`` first, which raises
``WouldBlock`` there. Nothing has been read or written at that point, so the web layer
reruns the whole request in a request thread and the result is the same as if it had gone
there at once. Outside ``forbidden()`` (request threads, the CLI, tests) ``starts()`` does
nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_forbidden: ContextVar[bool] = ContextVar("gatehouse_blocking_io_forbidden", default=False)


class WouldBlock(BaseException):
    """Raised where blocking I/O would start inside ``forbidden()``.

    A BaseException, like GeneratorExit: it must travel through every ``except Exception``
    between the I/O and the web layer (a handler that maps a failed fetch to invalid_client,
    a server-error catch-all) untouched, since it is not an error of the request.
    """


@contextmanager
def forbidden() -> Iterator[None]:
    """Within the block, ``starts()`` raises ``WouldBlock``."""
    token = _forbidden.set(True)
    try:
        yield
    finally:
        _forbidden.reset(token)


def starts() -> None:
    """Call before anything that may block: raises ``WouldBlock`` inside ``forbidden()``."""
    if _forbidden.get():
        raise WouldBlock
