"""Outbound HTTP, the one way gatehouse makes it: within one deadline for the whole
exchange. Fetching JWK Sets (in identity encoding, with a size limit on the bytes received),
and POSTing a form (back-channel logout tokens, protocol/backchannel_logout.py; an upstream
identity provider's token endpoint, protocol/federation/code_exchange.py).

A client's JWK Set (private_key_jwt with a jwks_uri) is cached and refetched when an unknown
kid shows up (at most every few seconds, so a flood of bogus kids cannot turn gatehouse
into a request amplifier). `token explain` and the demo fetch an issuer's with the same
limits."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import httpx

from gatehouse import blocking
from gatehouse.keys.jose import PublicKeySet, TokenVerificationError, public_keyset
from gatehouse.rs.http import IDENTITY, content_coding

MAX_JWKS_BYTES = 64 * 1024
TIMEOUT_SECONDS = 5.0
CACHE_SECONDS = 300.0
MIN_REFETCH_SECONDS = 10.0

# Identity only, as gatehouse.rs asks its issuer: a compressed body would expand in memory
# before the size limit could count it.
_HEADERS: Final = {"Accept": "application/json", "Accept-Encoding": IDENTITY}


_T = TypeVar("_T")


class JwksFetchError(Exception):
    """The JWK Set could not be fetched or read; the message is safe to show the client."""


@dataclass
class _Entry:
    keys: PublicKeySet
    kids: frozenset[str]
    fetched_at: float


CLIENT_JWKS = "the client's jwks_uri"


async def fetch_json(
    uri: str, *, source: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """The JSON object at ``uri`` (named ``source`` in errors): fetched within
    TIMEOUT_SECONDS all told, in identity encoding, at most MAX_JWKS_BYTES; ``headers``
    added to the request (an upstream's UserInfo needs its access token)."""
    body = await _body(uri, TIMEOUT_SECONDS, source, headers)
    try:
        document = json.loads(body)
    except ValueError:
        raise JwksFetchError(f"{source} did not return JSON") from None
    if not isinstance(document, dict):
        raise JwksFetchError(f"{source} did not return a JSON object")
    return document


async def fetch_jwks(uri: str, *, source: str) -> dict[str, Any]:
    """The JWK Set at ``uri``, within the limits of fetch_json: the one way gatehouse
    fetches a JWK Set (a client's, or an issuer's for `token explain` and the demo)."""
    document = await fetch_json(uri, source=source)
    if not isinstance(document.get("keys"), list):
        raise JwksFetchError(f"{source} did not return a JWK Set")
    return document


def issuer_jwks(issuer: str) -> dict[str, Any]:
    """From blocking code: the JWK Set an issuer's discovery document names (OIDC Discovery
    1.0 §3), each document fetched within the limits of fetch_json."""

    async def both() -> dict[str, Any]:
        discovery_uri = f"{issuer.rstrip('/')}/.well-known/openid-configuration"
        discovery = await fetch_json(discovery_uri, source="the issuer's discovery document")
        jwks_uri = discovery.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise JwksFetchError("the issuer's discovery document has no jwks_uri")
        return await fetch_jwks(jwks_uri, source="the issuer's jwks_uri")

    return _run(both)


def download_json(
    uri: str, *, source: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """From blocking code: the JSON object at ``uri``, within the limits of fetch_json."""
    return _run(lambda: fetch_json(uri, source=source, headers=headers))


def download_jwks(uri: str, *, source: str) -> dict[str, Any]:
    """From blocking code: the JWK Set at ``uri``, within the limits of fetch_json."""
    return _run(lambda: fetch_jwks(uri, source=source))


def _download(uri: str) -> dict[str, Any]:
    """A client's JWK Set, from blocking code."""
    return download_jwks(uri, source=CLIENT_JWKS)


def _run(make: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """Run a coroutine to its end from blocking code: on a loop of its own, or in a helper
    thread where this thread already runs one (never in gatehouse's request paths, which
    blocking.starts() keeps off the event loop; a second loop cannot run on a thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run_on_new_loop(make())
    with ThreadPoolExecutor(max_workers=1) as helper:
        return helper.submit(lambda: _run_on_new_loop(make())).result()


def _run_on_new_loop(coroutine: Coroutine[Any, Any, _T]) -> _T:
    # Not asyncio.run: its clean-up waits for the loop's executor threads, and a DNS lookup
    # stuck there (getaddrinfo cannot be cancelled) would outlast the deadline. close() lets
    # them finish on their own.
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


async def _body(
    uri: str, seconds: float, source: str, headers: dict[str, str] | None = None
) -> bytes:
    """The body of the answer, within one deadline for the whole exchange (name lookup,
    connect, headers, body). httpx's timeout bounds each step, not their sum: a server
    sending a byte just inside it would hold the token request for minutes."""
    try:
        async with asyncio.timeout(seconds):
            return await _exchange(uri, seconds, source, headers)
    except (TimeoutError, httpx.TimeoutException):
        raise JwksFetchError(f"{source} could not be fetched within {seconds:g} s") from None
    except httpx.HTTPError as exc:
        raise JwksFetchError(f"{source} could not be fetched ({type(exc).__name__})") from None


async def _exchange(
    uri: str, seconds: float, source: str, headers: dict[str, str] | None = None
) -> bytes:
    async with (
        httpx.AsyncClient(timeout=seconds, follow_redirects=False) as client,
        client.stream("GET", uri, headers={**_HEADERS, **(headers or {})}) as response,
    ):
        _check_answer(response, source)
        return await _limited_body(response, source)


def _check_answer(response: httpx.Response, source: str) -> None:
    if response.status_code != 200:
        raise JwksFetchError(f"{source} answered HTTP {response.status_code}")
    if content_coding(response.headers) is not None:
        # The coding's name is the other server's text: not echoed into the error.
        raise JwksFetchError(
            f"{source} sent a compressed answer; only identity encoding is accepted"
        )


async def _limited_body(response: httpx.Response, source: str) -> bytes:
    body = bytearray()
    async for chunk in response.aiter_raw():  # the bytes as received: nothing is decoded
        body.extend(chunk)
        if len(body) > MAX_JWKS_BYTES:
            raise JwksFetchError(f"the answer of {source} is larger than 64 KiB")
    return bytes(body)


class PostFailed(Exception):
    """A POST did not get a 2xx answer in time; the message names why (never the form)."""


def post_form(uri: str, form: dict[str, str], *, seconds: float) -> None:
    """From blocking code: POST ``form`` as application/x-www-form-urlencoded to ``uri``,
    within ``seconds`` all told; redirects are not followed and the answer's body is not
    read. Raises PostFailed unless the answer is 2xx."""

    async def send() -> None:
        try:
            async with asyncio.timeout(seconds):
                async with (
                    httpx.AsyncClient(timeout=seconds, follow_redirects=False) as client,
                    client.stream("POST", uri, data=form) as response,
                ):
                    status = response.status_code
        except (TimeoutError, httpx.TimeoutException):
            raise PostFailed(f"no answer within {seconds:g} s") from None
        except httpx.HTTPError as exc:
            raise PostFailed(f"the request failed ({type(exc).__name__})") from None
        if not 200 <= status < 300:
            raise PostFailed(f"answered HTTP {status}")

    _run(send)


def post_form_json(
    uri: str, form: dict[str, str], *, source: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """From blocking code: POST ``form`` to ``uri`` and read the JSON object it answers (an
    upstream identity provider's token endpoint), within the limits of fetch_json. An error
    answer's JSON (RFC 6749 §5.2: 400 or 401 with ``error``) is returned as well; any
    other status raises JwksFetchError."""

    async def send() -> dict[str, Any]:
        try:
            async with asyncio.timeout(TIMEOUT_SECONDS):
                async with (
                    httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client,
                    client.stream(
                        "POST", uri, data=form, headers={**_HEADERS, **(headers or {})}
                    ) as response,
                ):
                    if response.status_code not in (200, 400, 401):
                        raise JwksFetchError(f"{source} answered HTTP {response.status_code}")
                    if content_coding(response.headers) is not None:
                        raise JwksFetchError(f"{source} sent a compressed answer")
                    body = await _limited_body(response, source)
        except (TimeoutError, httpx.TimeoutException):
            raise JwksFetchError(f"{source} did not answer within {TIMEOUT_SECONDS:g} s") from None
        except httpx.HTTPError as exc:
            raise JwksFetchError(f"{source} could not be reached ({type(exc).__name__})") from None
        try:
            document = json.loads(body)
        except ValueError:
            raise JwksFetchError(f"{source} did not answer JSON") from None
        if not isinstance(document, dict):
            raise JwksFetchError(f"{source} did not answer a JSON object")
        return document

    return _run(send)


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
