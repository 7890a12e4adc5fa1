"""The base of every SQL repository: one tenant's rows in one database, and the rule for a
connection lost mid-request.

When the database drops a connection while a request uses it (``DatabaseUnavailable``), the
work runs once more on a fresh connection if that is safe: if nothing it sent may have
committed. A lean read (``Database.fetch_one``, ``fetch_all``) is retried by ``Database``
itself, at no cost to the hot path; a repository method that uses ``read`` or ``write``
transactions is marked ``@retried``, and runs again when it only read or its write
transaction failed before COMMIT. A write that may have committed (a COMMIT or a lean
autocommit statement whose answer was lost) is never repeated: a one-time rule such as code
redemption would see its own first attempt and refuse. Then ``DatabaseUnavailable`` reaches
the caller, which answers 503 (web/http.py). Inside ``Database.atomic()`` nothing is
retried: the whole block's transaction is gone with the connection.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from gatehouse.storage.errors import DatabaseUnavailable
from gatehouse.storage.sql.database import Database

F = TypeVar("F", bound=Callable[..., Any])


def retried(method: F) -> F:
    """``method``, run once more on a fresh connection when its connection was lost and
    nothing it sent may have committed (the module docstring)."""

    @functools.wraps(method)
    def run(self: SqlRepository, *args: Any, **kwargs: Any) -> Any:
        committed_before = self.db.commits()
        try:
            return method(self, *args, **kwargs)
        except DatabaseUnavailable:
            if self.db.commits() != committed_before:
                raise
        return method(self, *args, **kwargs)

    return cast(F, run)


class SqlRepository:
    def __init__(self, database: Database, tenant_id: str) -> None:
        self.db = database
        self.tenant_id = tenant_id
