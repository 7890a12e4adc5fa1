"""The signing keys of trusted external issuers (storage/trusted_issuers.py): fetched from
the issuer's jwks_uri, or from the jwks_uri its discovery document names, and cached like a
client's (keys/remote.py: refetched when an unknown kid shows up, at most every few seconds;
a failure remembered briefly).

A discovery document counts only if its ``issuer`` is exactly the issuer configured
(OpenID Connect Discovery 1.0 §4.3): a document copied or served elsewhere cannot lend its
keys to another issuer's name."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from gatehouse import blocking
from gatehouse.keys.jose import PublicKeySet
from gatehouse.keys.remote import (
    CACHE_SECONDS,
    MIN_REFETCH_SECONDS,
    JwksFetchError,
    RemoteJwksCache,
    download_json,
    download_jwks,
)

ISSUER_JWKS = "the issuer's jwks_uri"
ISSUER_DISCOVERY = "the issuer's discovery document"

Download = Callable[[str], dict[str, Any]]


def _issuer_jwks(uri: str) -> dict[str, Any]:
    return download_jwks(uri, source=ISSUER_JWKS)


def _issuer_discovery(uri: str) -> dict[str, Any]:
    return download_json(uri, source=ISSUER_DISCOVERY)


class IssuerKeys:
    """Keys of external issuers, one cache per process (the Provider holds it)."""

    def __init__(
        self,
        download_jwks: Download = _issuer_jwks,
        download_discovery: Download = _issuer_discovery,
    ) -> None:
        self._jwks = RemoteJwksCache(download_jwks)
        self._download_discovery = download_discovery
        # discovery URL -> (when, the jwks_uri it named, or why it could not be used)
        self._discovered: dict[str, tuple[float, str | JwksFetchError]] = {}
        # One lock per document: a slow issuer holds up only the requests that need it.
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def keys_for(
        self, issuer: str, *, jwks_uri: str | None, discovery_url: str | None, kid: str | None
    ) -> PublicKeySet:
        """The issuer's key set, holding ``kid`` if the issuer publishes it; JwksFetchError
        (a message safe to show) when the keys cannot be had."""
        if jwks_uri is None:
            if discovery_url is None:
                raise ValueError("a trusted issuer has a jwks_uri or a discovery URL")
            jwks_uri = self._discovered_jwks_uri(issuer, discovery_url)
        return self._jwks.keys_for(jwks_uri, kid)

    def _known(self, discovery_url: str) -> str | None:
        """The jwks_uri found lately; JwksFetchError if the last try failed a moment ago."""
        known = self._discovered.get(discovery_url)
        if known is None:
            return None
        age, outcome = time.monotonic() - known[0], known[1]
        if isinstance(outcome, JwksFetchError):
            if age < MIN_REFETCH_SECONDS:
                raise JwksFetchError(str(outcome))
            return None
        return outcome if age < CACHE_SECONDS else None

    def _discovered_jwks_uri(self, issuer: str, discovery_url: str) -> str:
        known = self._known(discovery_url)
        if known is not None:
            return known
        blocking.starts()  # a download, or a wait for another request's download
        with self._locks_guard:
            lock = self._locks.setdefault(discovery_url, threading.Lock())
        with lock:  # one download per document, however many requests wait for it
            known = self._known(discovery_url)
            if known is not None:
                return known
            try:
                found = _jwks_uri_of(issuer, self._download_discovery(discovery_url))
            except JwksFetchError as failure:
                self._discovered[discovery_url] = (time.monotonic(), failure)
                raise
            self._discovered[discovery_url] = (time.monotonic(), found)
            return found


def _jwks_uri_of(issuer: str, document: dict[str, Any]) -> str:
    named = document.get("issuer")
    if named != issuer:
        shown = repr(named[:200]) if isinstance(named, str) else "no issuer"
        raise JwksFetchError(
            f"{ISSUER_DISCOVERY} names {shown}, not {issuer!r} (OpenID Connect Discovery 1.0 "
            "§4.3: the issuer must be exactly the one configured)"
        )
    jwks_uri = document.get("jwks_uri")
    if not isinstance(jwks_uri, str):
        raise JwksFetchError(f"{ISSUER_DISCOVERY} has no jwks_uri")
    parts = urlsplit(jwks_uri)
    loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise JwksFetchError(f"the jwks_uri in {ISSUER_DISCOVERY} is not an https URL")
    return jwks_uri
