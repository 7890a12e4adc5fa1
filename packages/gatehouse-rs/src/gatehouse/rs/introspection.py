"""Revocation checks through the issuer's introspection endpoint (RFC 7662).

A JWT access token stays valid until it expires even if it was revoked; an API that must
notice revocation sooner asks the issuer. Only tokens that already passed local validation
are introspected, so forged or foreign tokens never cost the issuer a request, and answers
are cached briefly: never longer than ``cache_ttl``, never past the token's ``exp``.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gatehouse.rs.errors import InvalidToken, IssuerUnavailable
from gatehouse.rs.sansio import FetchError, HttpRequest, HttpResponse, Plan
from gatehouse.rs.token import AccessToken


@dataclass(frozen=True)
class Introspection:
    """Turns on introspection. ``client_id``/``client_secret`` are the API's own credentials
    as a registered client (sent with client_secret_basic, RFC 6749 §2.3.1); ``endpoint``
    defaults to the discovery document's ``introspection_endpoint``."""

    client_id: str
    client_secret: str = field(repr=False)
    cache_ttl: float = 30.0
    max_entries: int = 10_000
    endpoint: str | None = None

    def __post_init__(self) -> None:
        if self.cache_ttl < 0 or self.max_entries < 0:
            raise ValueError("cache_ttl and max_entries cannot be negative")


class _AnswerCache:
    """Introspection answers by token digest, bounded, expiring; thread-safe. Tokens
    themselves are not kept, only their SHA-256."""

    def __init__(self, max_entries: int) -> None:
        self._max = max_entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[bytes, tuple[bool, float]] = OrderedDict()

    def get(self, key: bytes, now: float) -> bool | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if now >= entry[1]:
                del self._entries[key]
                return None
            return entry[0]

    def put(self, key: bytes, active: bool, until: float, now: float) -> None:
        if self._max == 0 or until <= now:
            return
        with self._lock:
            self._entries[key] = (active, until)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)


class Introspector:
    """Asks whether a locally valid token is still active."""

    def __init__(
        self,
        settings: Introspection,
        issuer: str,
        audiences: frozenset[str],
        clock: Callable[[], float],
    ) -> None:
        self._settings, self._issuer, self._audiences = settings, issuer, audiences
        self._clock = clock
        self._cache = _AnswerCache(settings.max_entries)

    def endpoint(self, advertised: str | None) -> str:
        endpoint = self._settings.endpoint or advertised
        if endpoint is None:
            raise IssuerUnavailable(
                "the issuer's discovery document has no introspection_endpoint (RFC 8414 §2); "
                "set Introspection(endpoint=...) or turn introspection off"
            )
        return endpoint

    def check(self, token: str, access: AccessToken, endpoint: str) -> Plan[None]:
        """RFC 7662 §2.1 request, §2.2 answer: an inactive token is invalid_token."""
        key = hashlib.sha256(token.encode()).digest()
        now = self._clock()
        active = self._cache.get(key, now)
        if active is None:
            request = HttpRequest(
                "POST",
                endpoint,
                form=(("token", token), ("token_type_hint", "access_token")),
                basic_auth=(self._settings.client_id, self._settings.client_secret),
            )
            try:
                response = yield request
            except FetchError as exc:
                raise IssuerUnavailable(f"token introspection failed: {exc}") from None
            active = self._interpret(response)
            until = min(now + self._settings.cache_ttl, access.expires_at)
            self._cache.put(key, active, until, now)
        if not active:
            raise InvalidToken("the token is no longer active (revoked or ended at the issuer)")

    def _interpret(self, response: HttpResponse) -> bool:
        if response.status in (401, 403):
            raise IssuerUnavailable(
                f"the introspection endpoint refused this API's client credentials"
                f" (HTTP {response.status}); check client_id and client_secret"
            )
        try:
            answer = response.json_object()
        except FetchError as exc:
            raise IssuerUnavailable(f"token introspection failed: {exc}") from None
        active = answer.get("active")
        if not isinstance(active, bool):
            raise IssuerUnavailable("the introspection answer has no boolean active member")
        return active and self._consistent(answer)

    def _consistent(self, answer: dict[str, Any]) -> bool:
        """RFC 7662 §2.2 members, when present, must agree with what this API accepts."""
        if "iss" in answer and answer["iss"] != self._issuer:
            return False
        aud = answer.get("aud")
        if aud is None:
            return True
        audiences = [aud] if isinstance(aud, str) else aud
        return isinstance(audiences, list) and not self._audiences.isdisjoint(
            a for a in audiences if isinstance(a, str)
        )
