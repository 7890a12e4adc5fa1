"""Fetching a client's JWK Set from its jwks_uri (private_key_jwt): with a timeout, a size
limit and a cache, refetched when an unknown kid shows up (at most every few seconds, so a
flood of bogus kids cannot turn gatehouse into a request amplifier)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from gatehouse import blocking
from gatehouse.keys.jose import PublicKeySet, TokenVerificationError, public_keyset

MAX_JWKS_BYTES = 64 * 1024
TIMEOUT_SECONDS = 5.0
CACHE_SECONDS = 300.0
MIN_REFETCH_SECONDS = 10.0


class JwksFetchError(Exception):
    """The JWK Set could not be fetched or read; the message is safe to show the client."""


@dataclass
class _Entry:
    keys: PublicKeySet
    kids: frozenset[str]
    fetched_at: float


def _download(uri: str) -> dict[str, Any]:
    # httpx's timeout bounds each read, not the whole download: a server trickling a byte at a
    # time would otherwise hold the token request for minutes.
    deadline = time.monotonic() + TIMEOUT_SECONDS
    try:
        with (
            httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client,
            client.stream("GET", uri, headers={"Accept": "application/json"}) as response,
        ):
            if response.status_code != 200:
                raise JwksFetchError(f"the client's jwks_uri answered HTTP {response.status_code}")
            body = bytearray()
            for chunk in response.iter_bytes():
                if time.monotonic() > deadline:
                    raise JwksFetchError("the client's jwks_uri answered too slowly")
                body.extend(chunk)
                if len(body) > MAX_JWKS_BYTES:
                    raise JwksFetchError("the client's JWK Set is larger than 64 KiB")
    except httpx.HTTPError as exc:
        raise JwksFetchError(
            f"the client's jwks_uri could not be fetched ({type(exc).__name__})"
        ) from None
    import json

    try:
        document = json.loads(bytes(body))
    except ValueError:
        raise JwksFetchError("the client's jwks_uri did not return JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwksFetchError("the client's jwks_uri did not return a JWK Set")
    return document


class RemoteJwksCache:
    def __init__(self, download: Callable[[str], dict[str, Any]] = _download) -> None:
        self._download = download
        self._entries: dict[str, _Entry] = {}
        # One lock per jwks_uri: a slow key server holds up only its own client's requests.
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        # A failed fetch is remembered briefly, so that a client whose key server is down
        # cannot make gatehouse fetch it again on every token request.
        self._failures: dict[str, tuple[float, JwksFetchError]] = {}

    def _cached(self, uri: str, kid: str | None) -> PublicKeySet | None:
        entry = self._entries.get(uri)
        if entry is None:
            return None
        age = time.monotonic() - entry.fetched_at
        if age < CACHE_SECONDS and (kid is None or kid in entry.kids):
            return entry.keys
        if age < MIN_REFETCH_SECONDS:
            return entry.keys  # refetched very recently: do not hammer the client's server
        return None

    def _raise_recent_failure(self, uri: str) -> None:
        failed = self._failures.get(uri)
        if failed is not None and time.monotonic() - failed[0] < MIN_REFETCH_SECONDS:
            raise JwksFetchError(str(failed[1]))

    def keys_for(self, uri: str, kid: str | None) -> PublicKeySet:
        cached = self._cached(uri, kid)
        if cached is not None:
            return cached
        self._raise_recent_failure(uri)
        blocking.starts()  # a download, or a wait for another request's download
        with self._locks_guard:
            lock = self._locks.setdefault(uri, threading.Lock())
        with lock:
            cached = self._cached(uri, kid)  # fetched by a concurrent request meanwhile
            if cached is not None:
                return cached
            self._raise_recent_failure(uri)
            try:
                document = self._download(uri)
                try:
                    keys = public_keyset(document)
                except TokenVerificationError as exc:
                    raise JwksFetchError(str(exc)) from None
            except JwksFetchError as failure:
                self._failures[uri] = (time.monotonic(), failure)
                raise
            self._failures.pop(uri, None)
            kids = frozenset(
                str(k.get("kid")) for k in document["keys"] if isinstance(k, dict) and k.get("kid")
            )
            self._entries[uri] = _Entry(keys, kids, time.monotonic())
            return keys
