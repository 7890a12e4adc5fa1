"""An upstream identity provider's discovery document (OpenID Connect Discovery 1.0 §3),
fetched through keys/remote.py (one deadline, size limit, identity encoding) and cached per
process for CACHE_SECONDS; a failed fetch is remembered for MIN_REFETCH_SECONDS, so a person
pressing the button again does not make gatehouse hammer an upstream that is down.

Only what federation (protocol/federation/) uses is kept, each endpoint checked to be https
(plain http only on a loopback address, as everywhere in gatehouse)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from gatehouse import blocking
from gatehouse.keys.remote import CACHE_SECONDS, MIN_REFETCH_SECONDS, JwksFetchError, download_json

SOURCE = "the upstream's discovery document"
Download = Callable[[str], dict[str, Any]]
LOOPBACK = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class UpstreamEndpoints:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None
    userinfo_endpoint: str | None
    # RFC 8414 §2 default when the document names none: client_secret_basic.
    token_auth_methods: tuple[str, ...]


def _download(uri: str) -> dict[str, Any]:
    return download_json(uri, source=SOURCE)


class UpstreamMetadata:
    """Discovery documents of upstreams, one cache per process (the Provider holds it)."""

    def __init__(self, download: Download = _download) -> None:
        self._download = download
        self._known: dict[str, tuple[float, UpstreamEndpoints | JwksFetchError]] = {}
        self._lock = threading.Lock()

    def endpoints(self, discovery_url: str) -> UpstreamEndpoints:
        """The upstream's endpoints; JwksFetchError (a message safe to show) when its
        document cannot be had or is unusable."""
        known = self._cached(discovery_url)
        if known is None:
            blocking.starts()  # a download
            try:
                known = endpoints_of(self._download(discovery_url))
            except JwksFetchError as exc:
                known = exc
            with self._lock:
                self._known[discovery_url] = (time.monotonic(), known)
        if isinstance(known, JwksFetchError):
            raise JwksFetchError(str(known))
        return known

    def _cached(self, discovery_url: str) -> UpstreamEndpoints | JwksFetchError | None:
        with self._lock:
            entry = self._known.get(discovery_url)
        if entry is None:
            return None
        age, known = time.monotonic() - entry[0], entry[1]
        keep = MIN_REFETCH_SECONDS if isinstance(known, JwksFetchError) else CACHE_SECONDS
        return known if age < keep else None


def endpoints_of(document: dict[str, Any]) -> UpstreamEndpoints:
    """What federation needs of a discovery document, checked (OIDC Discovery 1.0 §3)."""
    issuer = document.get("issuer")
    if not isinstance(issuer, str) or not issuer:
        raise JwksFetchError(f"{SOURCE} names no issuer")
    methods = document.get("token_endpoint_auth_methods_supported")
    auth_methods = (
        tuple(m for m in methods if isinstance(m, str))
        if isinstance(methods, list)
        else ("client_secret_basic",)
    )
    end_session, userinfo = document.get("end_session_endpoint"), document.get("userinfo_endpoint")
    return UpstreamEndpoints(
        issuer=issuer,
        authorization_endpoint=_endpoint(document, "authorization_endpoint"),
        token_endpoint=_endpoint(document, "token_endpoint"),
        jwks_uri=_endpoint(document, "jwks_uri"),
        end_session_endpoint=(
            _endpoint(document, "end_session_endpoint") if end_session is not None else None
        ),
        userinfo_endpoint=_endpoint(document, "userinfo_endpoint")
        if userinfo is not None
        else None,
        token_auth_methods=auth_methods,
    )


def _endpoint(document: dict[str, Any], name: str) -> str:
    value = document.get(name)
    if not isinstance(value, str):
        raise JwksFetchError(f"the {name} of {SOURCE} is missing")
    parts = urlsplit(value)
    if not (parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK)):
        raise JwksFetchError(f"the {name} of {SOURCE} is not an https URL")
    if not parts.netloc or "#" in value:
        raise JwksFetchError(f"the {name} of {SOURCE} is not an absolute URL without fragment")
    return value
