"""Per-process caches of what every request reads and rarely changes.

``ProcessCache`` keeps entries for a fixed lifetime (the lockout counters of storage/sql/
attempts.py). ``RegistryCache`` keeps one tenant's registry — client registrations with their
secrets, the API catalogue, app-role and exchange grants, the tenant's policy — until the
tenant's registry revision moves: every write to the registry raises that number in its own
transaction (``RegistryCache.write``), and ``RegistryRevisions`` reads every tenant's number in
one statement at most every ``CACHE_SECONDS``. So a write made through this process is seen
at once, and one made elsewhere (the CLI, another worker, another server) within
``CACHE_SECONDS``: a bound that is part of gatehouse's security contract (docs/security.md):
a revoked client secret, a removed API scope or a revoked app role stops working in every
running process within it. While nothing changes, nothing is read again, however many
tenants are in use (a lifetime per entry cost each process a reload per tenant every
``CACHE_SECONDS``: docs/benchmarks.md, "Tenants at scale").
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

import sqlalchemy as sa

from gatehouse.storage.sql.database import Database
from gatehouse.storage.sql.tenant_tables import tenants

CACHE_SECONDS = 5.0

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ProcessCache(Generic[K, V]):
    """Entries live ``seconds`` on ``clock``; at most ``max_entries`` (the whole cache is
    dropped when full: the hot set refills in one request each)."""

    def __init__(
        self,
        seconds: float = CACHE_SECONDS,
        max_entries: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self.clock = clock
        self._entries: dict[K, tuple[float, V]] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is not None and self.clock() < entry[0]:
            return entry[1]
        return None

    def generation(self) -> int:
        """Take this before reading from the database, and hand it to ``put``."""
        return self._generation

    def put(self, key: K, value: V, generation: int) -> None:
        """Keep ``value`` unless a write invalidated the cache since ``generation`` was
        taken (the value read may predate that write)."""
        with self._lock:
            if generation != self._generation:
                return
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (self.clock() + self.seconds, value)

    def invalidate(self) -> None:
        """Every write calls this after it committed."""
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def discard(self, key: K) -> None:
        """Drop one entry after a write that concerns it alone; as with ``invalidate``, a
        ``put`` whose read began before is not kept."""
        with self._lock:
            self._generation += 1
            self._entries.pop(key, None)


_REVISIONS = sa.select(tenants.c.id, tenants.c.registry_revision)
_RAISE_REVISION = (
    tenants.update()
    .where(tenants.c.id == sa.bindparam("p_tenant"))
    .values(registry_revision=tenants.c.registry_revision + 1)
)


class RegistryRevisions:
    """Every tenant's registry revision as this process last read it: one statement for all
    tenants, read again when ``seconds`` have passed since the last read began."""

    def __init__(
        self,
        database: Database,
        seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database = database
        self._seconds = seconds
        self._clock = clock
        self._revisions: dict[str, int] = {}
        self._until = float("-inf")
        self._lock = threading.Lock()

    def of(self, tenant_id: str) -> int | None:
        """``tenant_id``'s revision, read at most ``seconds`` ago; None for no such tenant."""
        if self._clock() >= self._until:
            with self._lock:
                if self._clock() >= self._until:
                    # The time before the read: a write committed after it began may be
                    # missed by it, and must be seen by the next, ``seconds`` later at most.
                    began = self._clock()
                    with self._database.read() as conn:
                        rows = conn.execute(_REVISIONS).all()
                    self._revisions = {row.id: row.registry_revision for row in rows}
                    self._until = began + self._seconds
        return self._revisions.get(tenant_id)


_SHARED: weakref.WeakKeyDictionary[Database, RegistryRevisions] = weakref.WeakKeyDictionary()
_SHARED_LOCK = threading.Lock()


def registry_revisions(database: Database) -> RegistryRevisions:
    """The one ``RegistryRevisions`` of ``database`` in this process: every tenant's store
    over it asks this one, so a process reads the revisions once however many tenants."""
    with _SHARED_LOCK:
        found = _SHARED.get(database)
        if found is None:
            found = _SHARED[database] = RegistryRevisions(database)
        return found


_NOT_READ = -1  # no revision is negative: the first ``get`` reads


class RegistryCache:
    """One tenant's registry in one process: ("client", client_id), ("apis",),
    ("roles", client_id, api), ("exchange", client_id) and ("policy",) -> what was read for
    them; one per store, shared by its client, API and policy repositories. At most
    ``max_entries`` (all are dropped when full: the hot set refills in one request each)."""

    def __init__(
        self,
        database: Database,
        tenant_id: str,
        revisions: RegistryRevisions,
        max_entries: int = 1024,
    ) -> None:
        self._database = database
        self._tenant_id = tenant_id
        self._revisions = revisions
        self.max_entries = max_entries
        self._entries: dict[tuple[str, ...], object] = {}
        self._revision: int | None = _NOT_READ  # the revision the entries were read under
        self._generation = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...]) -> object | None:
        revision = self._revisions.of(self._tenant_id)
        if revision != self._revision:
            self._moved_to(revision)
            return None
        return self._entries.get(key)

    def generation(self) -> int:
        """Take this before reading from the database, and hand it to ``put``."""
        return self._generation

    def put(self, key: tuple[str, ...], value: object, generation: int) -> None:
        """Keep ``value`` unless the registry changed since ``generation`` was taken (the
        value read may predate the change), or the tenant has no revision to trust."""
        with self._lock:
            if generation != self._generation or self._revision in (None, _NOT_READ):
                return
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = value

    def invalidate(self) -> None:
        """Drop every entry, and any value whose read began before."""
        with self._lock:
            self._generation += 1
            self._entries.clear()

    @contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """The one way to change the registry: a write transaction that raises the tenant's
        revision, so every other process drops what it cached within ``CACHE_SECONDS``, and
        this one at once. The revision is raised first: concurrent writers of one tenant's
        registry take its row in the same order, and cannot deadlock over it."""
        with self._database.write() as conn:
            conn.execute(_RAISE_REVISION, {"p_tenant": self._tenant_id})
            yield conn
        self.invalidate()

    def _moved_to(self, revision: int | None) -> None:
        with self._lock:
            if revision != self._revision:
                self._revision = revision
                self._generation += 1
                self._entries.clear()
