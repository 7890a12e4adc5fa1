"""Marking where blocking I/O starts, so request work can try the event loop first.

A request thread hop costs the token endpoint more CPU than a warm client_credentials
request itself (docs/benchmarks.md), yet such a request needs no I/O at all: the client,
its secret, the API, the app-role grants and the signing key all come from per-process
caches. So the web layer may run request work on the event loop inside ``forbidden()``;
every place that would block — checking out a database connection, fetching a client's
JWKS, waiting for a lock held across either — calls ``starts()`` first, which raises
``WouldBlock`` there. Nothing has been written at that point, so the web layer reruns the
whole request in a request thread and the result is the same as if it had gone there at
once. Outside ``forbidden()`` (request threads, the CLI, tests) ``starts()`` does nothing.

The embedded SQLite database is the one kind of I/O an attempt may be allowed
(``forbidden(embedded_database=True)``): its statements run in this process on a local
file and take tens of microseconds, less than the thread hop they would otherwise need
(docs/architecture.md). Such an attempt may write; once it has (``writes()``), it is
committed to finishing where it is — a rerun would repeat the write — so ``starts()`` lets
any later blocking I/O through instead of raising.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class _Attempt:
    embedded_database: bool  # SQLite work is allowed in this attempt
    wrote: bool = False  # it has written: it must not be rerun


_attempt: ContextVar[_Attempt | None] = ContextVar("gatehouse_inline_attempt", default=None)


class WouldBlock(BaseException):
    """Raised where blocking I/O would start inside ``forbidden()``.

    A BaseException, like GeneratorExit: it must travel through every ``except Exception``
    between the I/O and the web layer (a handler that maps a failed fetch to invalid_client,
    a server-error catch-all) untouched, since it is not an error of the request.
    """


class _Forbidden:
    """A class, not a @contextmanager generator: it is entered on every token request, and
    a generator's context manager costs about a microsecond more."""

    __slots__ = ("_embedded_database", "_token")

    def __init__(self, embedded_database: bool) -> None:
        self._embedded_database = embedded_database

    def __enter__(self) -> None:
        self._token = _attempt.set(_Attempt(embedded_database=self._embedded_database))

    def __exit__(self, *_: object) -> None:
        _attempt.reset(self._token)


def forbidden(*, embedded_database: bool = False) -> AbstractContextManager[None]:
    """Within the block, ``starts()`` raises ``WouldBlock`` — except for work on the
    embedded database when ``embedded_database`` is true, and after a write."""
    return _Forbidden(embedded_database)


def starts(*, embedded_database: bool = False) -> None:
    """Call before anything that may block; ``embedded_database`` when it is a statement on
    the embedded SQLite database. Raises ``WouldBlock`` where ``forbidden()`` says so."""
    attempt = _attempt.get()
    if attempt is None or attempt.wrote:
        return
    if embedded_database and attempt.embedded_database:
        return
    raise WouldBlock


def writes() -> None:
    """Call before writing to the database: from here on this attempt finishes where it is."""
    attempt = _attempt.get()
    if attempt is not None:
        attempt.wrote = True


def allows_embedded_database() -> bool:
    """Whether the current attempt may use the embedded database (for tests that watch
    where the database is used)."""
    attempt = _attempt.get()
    return attempt is not None and attempt.embedded_database
