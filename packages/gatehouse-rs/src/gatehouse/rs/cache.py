"""One remote JSON document (discovery, JWK Set), cached, refreshed politely.

The rules, which keep an API available and its issuer unhammered:

- a document younger than ``max_age`` is used as is;
- an older one is refetched; if that fails, the old one is still used (keys do not vanish
  because the issuer blinked) and the next attempt waits ``retry_interval``;
- a forced refetch (an unknown ``kid``, OIDC Core §10.1.1) happens at most once per
  ``refetch_interval``, so a flood of tokens with made-up ``kid`` values costs the issuer at
  most one request per interval;
- callers arriving while a fetch is in flight join it rather than starting another.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from gatehouse.rs.errors import IssuerUnavailable
from gatehouse.rs.sansio import FetchError, HttpRequest, Plan

T = TypeVar("T")
Clock = Callable[[], float]


@dataclass(frozen=True)
class CachePolicy:
    """How long discovery and JWK Set documents are trusted, and how often they may be fetched.

    ``max_age``: refetch a document older than this (seconds). ``refetch_interval``: the least
    time between two fetches of the JWK Set triggered by an unknown ``kid``. ``retry_interval``:
    after a failed fetch, the least time before the next attempt.
    """

    max_age: float = 3600.0
    refetch_interval: float = 30.0
    retry_interval: float = 5.0

    def __post_init__(self) -> None:
        if min(self.max_age, self.refetch_interval, self.retry_interval) < 0:
            raise ValueError("cache intervals cannot be negative")


class RemoteDocument(Generic[T]):
    """A document at one URL, parsed once per fetch by ``parse``. Thread-safe: state changes
    happen under a lock that is never held across a yield."""

    def __init__(
        self,
        channel: str,
        what: str,
        parse: Callable[[dict[str, Any]], T],
        policy: CachePolicy,
        clock: Clock,
    ) -> None:
        self._channel, self._what, self._parse = channel, what, parse
        self._policy, self._clock = policy, clock
        self._lock = threading.Lock()
        self._value: T | None = None
        self._loaded_at = 0.0
        self._attempted_at = float("-inf")
        self._last_error: str | None = None
        self._generation = 0
        self._in_flight: int | None = None

    def fresh(self) -> T | None:
        """The cached value if it is younger than max_age, else None. No I/O."""
        value = self._value
        if value is not None and self._clock() - self._loaded_at < self._policy.max_age:
            return value
        return None

    def get(self, url: str) -> Plan[T]:
        """The document, fetched if missing or older than max_age (a stale copy is kept when
        the refresh fails). Raises IssuerUnavailable when there is nothing usable."""
        value = self.fresh()
        if value is not None:
            return value
        if self._may_fetch(self._policy.retry_interval if self._last_error else 0.0):
            yield from self._fetch(url)
        return self._current()

    def refetch(self, url: str) -> Plan[bool]:
        """Fetch again now, unless the last fetch is younger than refetch_interval and none is
        in flight. Returns whether a fetch happened (joined or started)."""
        if not self._may_fetch(self._policy.refetch_interval):
            return False
        yield from self._fetch(url)
        return True

    def _may_fetch(self, interval: float) -> bool:
        with self._lock:
            return self._in_flight is not None or self._clock() - self._attempted_at >= interval

    def _current(self) -> T:
        if self._value is None:
            raise IssuerUnavailable(
                f"the issuer's {self._what} is unavailable: {self._last_error or 'not fetched'}"
            )
        return self._value

    def _fetch(self, url: str) -> Plan[None]:
        with self._lock:
            generation, previous_attempt = self._generation, self._attempted_at
            started = self._in_flight is None  # else this call joins the flight in progress
            if started:
                self._in_flight = generation
                self._attempted_at = self._clock()
        try:
            response = yield HttpRequest("GET", url, flight=(self._channel, generation))
            if self._generation != generation:
                return  # a caller on the same flight already parsed and recorded this answer
            value = self._parse(response.json_object())
        except FetchError as exc:
            self._settle(generation, None, str(exc))
        except IssuerUnavailable as exc:  # parsed, but unusable (wrong issuer, no keys)
            self._settle(generation, None, exc.description)
        else:
            self._settle(generation, value, None)
        finally:
            with self._lock:
                if started and self._generation == generation:
                    # Abandoned mid-flight (the caller was cancelled): nothing was recorded,
                    # so the next caller may start a fetch without waiting an interval.
                    self._in_flight = None
                    self._attempted_at = previous_attempt

    def _settle(self, generation: int, value: T | None, error: str | None) -> None:
        """The first caller back from a flight records its outcome; callers that joined the
        same flight got the same answer and have nothing to add."""
        with self._lock:
            if self._generation != generation:
                return
            self._generation += 1
            self._in_flight = None
            self._last_error = error
            if value is not None:
                self._value = value
                self._loaded_at = self._clock()
