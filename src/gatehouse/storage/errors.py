"""What storage raises that a caller may act on."""

from __future__ import annotations


class DatabaseUnavailable(Exception):
    """The database could not be reached, or dropped the connection while a request used it
    (a server restart, a failover, ``pg_terminate_backend``), and the work could not safely
    be run again on a fresh connection: something of it may have been committed. A transient
    failure: the request may be retried in a moment (the web layer answers 503 with
    Retry-After). The message is safe to log; it holds no values of the request."""


class AlreadyExists(Exception):
    """A row the caller inserted collides with one that exists (a unique username or
    email taken by a concurrent request between the caller's check and its insert)."""
