"""A short per-process cache for what every token request reads and administrators rarely
change: client registrations with their secrets, the API catalogue, app-role grants and the
tenant's policy.

Writes made through this process's repositories call ``invalidate`` after they commit, so
they are seen at once. Writes made elsewhere (the CLI, another worker process, another
server) are seen when an entry's lifetime is over — ``CACHE_SECONDS`` at most. That bound is
part of gatehouse's security contract (docs/security.md): a revoked client secret, a
removed API scope or a revoked app role stops working in every running process within it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

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


# The registry cache: ("client", client_id), ("apis",), ("roles", client_id, api) and
# ("policy",) -> what was read for them; one per store, shared by the client, API and
# policy repositories.
RegistryCache = ProcessCache[tuple[str, ...], object]
