"""Blocking and asyncio fetchers for plans: httpx, a hard size limit, a time limit, and
single-flight (identical concurrent requests share one exchange).

A resource server talks to its issuer rarely (discovery, JWK Set) or, with introspection,
once per token; either way a slow, huge or hostile answer must not stall or exhaust the API.
"""

from __future__ import annotations

import asyncio
import base64
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote_plus

import httpx

from gatehouse.rs.sansio import FetchError, HttpRequest, HttpResponse

USER_AGENT: Final = "gatehouse.rs"
#: The Accept-Encoding to send (RFC 9110 §12.5.3): the body as it is, so that a size limit
#: counts the bytes that are kept, not a compressed form that expands in memory afterwards.
IDENTITY: Final = "identity"


@dataclass(frozen=True)
class HttpOptions:
    """How the validator talks to the issuer.

    ``timeout`` bounds one fetch (connect and read); the asyncio fetcher enforces it as a
    hard deadline, the blocking one checks it between reads, so a server dripping bytes is
    cut off after at most about twice ``timeout``. ``max_response_bytes`` bounds the body;
    compressed answers are refused (``Accept-Encoding: identity``) so the limit is real.
    The validator's own clients ignore proxy and TLS settings from the environment; pass
    your own ``client`` / ``async_client`` for proxies or custom TLS (they are not closed by
    the validator). Redirects are never followed.
    """

    timeout: float = 5.0
    max_response_bytes: int = 256 * 1024
    client: httpx.Client | None = None
    async_client: httpx.AsyncClient | None = None

    def __post_init__(self) -> None:
        if self.timeout <= 0:
            raise ValueError("timeout must be positive")
        if self.max_response_bytes < 1024:
            raise ValueError("max_response_bytes must be at least 1024")


def basic_authorization(client_id: str, secret: str) -> str:
    """RFC 6749 §2.3.1: id and secret are form-urlencoded, joined by a colon, base64-encoded."""
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def content_coding(headers: httpx.Headers) -> str | None:
    """The content coding a body was sent in (RFC 9110 §8.4), or None for identity: an answer
    to ``Accept-Encoding: identity`` that is compressed anyway is to be refused unread.

    The server's fetch of a client's jwks_uri (gatehouse.keys.remote) shares it: the
    dependency runs from the server to gatehouse.rs only, never back."""
    encoding = headers.get("content-encoding", IDENTITY).strip().lower()
    return None if encoding in ("", IDENTITY) else encoding


def _headers(request: HttpRequest) -> dict[str, str]:
    headers = {
        "Accept": "application/json",
        "Accept-Encoding": IDENTITY,
        "User-Agent": USER_AGENT,
    }
    if request.basic_auth is not None:
        headers["Authorization"] = basic_authorization(*request.basic_auth)
    return headers


def _check_headers(response: httpx.Response, request: HttpRequest, limit: int) -> None:
    encoding = content_coding(response.headers)
    if encoding is not None:
        raise FetchError(f"{request.url} sent a {encoding}-compressed answer; identity was asked")
    length = response.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise FetchError(f"{request.url} answered more than the {limit} bytes allowed")


class _Body:
    """Accumulates a body, refusing it once it passes the limit or the deadline."""

    def __init__(self, request: HttpRequest, limit: int, deadline: float) -> None:
        self._request, self._limit, self._deadline = request, limit, deadline
        self._chunks: list[bytes] = []
        self._size = 0

    def add(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size > self._limit:
            raise FetchError(
                f"{self._request.url} answered more than the {self._limit} bytes allowed"
            )
        if time.monotonic() > self._deadline:
            raise _too_slow(self._request, None)
        self._chunks.append(chunk)

    def response(self, status: int) -> HttpResponse:
        return HttpResponse(status, b"".join(self._chunks), self._request.url)


def _too_slow(request: HttpRequest, timeout: float | None) -> FetchError:
    within = f" within {timeout:g} s" if timeout is not None else " in time"
    return FetchError(f"{request.url} did not answer{within}")


def _failure(request: HttpRequest, exc: httpx.HTTPError) -> FetchError:
    return FetchError(f"{request.url} could not be fetched: {type(exc).__name__}: {exc}")


class _Outcome:
    """What the last flight on a channel produced, for callers that joined it."""

    __slots__ = ("error", "generation", "response")

    def __init__(
        self, generation: int, response: HttpResponse | None, error: FetchError | None
    ) -> None:
        self.generation, self.response, self.error = generation, response, error

    def result(self) -> HttpResponse:
        if self.error is not None:
            raise FetchError(str(self.error))
        assert self.response is not None  # one of the two is always set
        return self.response


def _outcome_of(generation: int, call: Callable[[], HttpResponse]) -> _Outcome:
    try:
        return _Outcome(generation, call(), None)
    except FetchError as exc:
        return _Outcome(generation, None, exc)


class SyncFetcher:
    """Blocking fetches with httpx.Client; safe to share between threads."""

    def __init__(self, options: HttpOptions) -> None:
        self._options = options
        self._owned: httpx.Client | None = None
        self._guard = threading.Lock()
        self._channel_locks: dict[str, threading.Lock] = {}
        self._outcomes: dict[str, _Outcome] = {}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.flight is None:
            return self._fetch(request)
        channel, generation = request.flight
        with self._guard:
            lock = self._channel_locks.setdefault(channel, threading.Lock())
        with lock:
            outcome = self._outcomes.get(channel)
            if outcome is None or outcome.generation != generation:
                outcome = _outcome_of(generation, lambda: self._fetch(request))
                self._outcomes[channel] = outcome
        return outcome.result()

    def _client(self) -> httpx.Client:
        if self._options.client is not None:
            return self._options.client
        with self._guard:
            if self._owned is None:
                self._owned = httpx.Client(follow_redirects=False, trust_env=False)
            return self._owned

    def _fetch(self, request: HttpRequest) -> HttpResponse:
        options = self._options
        deadline = time.monotonic() + options.timeout
        try:
            with self._client().stream(
                request.method,
                request.url,
                data=dict(request.form) if request.form else None,
                headers=_headers(request),
                timeout=options.timeout,
                follow_redirects=False,
            ) as response:
                _check_headers(response, request, options.max_response_bytes)
                body = _Body(request, options.max_response_bytes, deadline)
                try:
                    for chunk in response.iter_raw():
                        body.add(chunk)
                except httpx.StreamConsumed:  # a mock transport's response, already in memory
                    body.add(response.content)
                return body.response(response.status_code)
        except httpx.TimeoutException:
            raise _too_slow(request, options.timeout) from None
        except httpx.HTTPError as exc:
            raise _failure(request, exc) from None

    def close(self) -> None:
        with self._guard:
            owned, self._owned = self._owned, None
        if owned is not None:
            owned.close()


class _LoopState:
    """What an asyncio fetcher keeps per event loop: asyncio locks and an httpx.AsyncClient
    belong to the loop they were first used on."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.client: httpx.AsyncClient | None = None
        self.locks: dict[str, asyncio.Lock] = {}


class AsyncFetcher:
    """asyncio fetches with httpx.AsyncClient, with a hard deadline per fetch."""

    def __init__(self, options: HttpOptions) -> None:
        self._options = options
        self._state: _LoopState | None = None
        self._outcomes: dict[str, _Outcome] = {}

    def _loop_state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        if self._state is None or self._state.loop is not loop:
            # A new loop (a test, or a restarted app): the old loop's client and locks are
            # unusable here. Its client was closed by aclose(), or dies with its loop.
            self._state = _LoopState(loop)
        return self._state

    async def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.flight is None:
            return await self._fetch(request)
        channel, generation = request.flight
        state = self._loop_state()
        lock = state.locks.setdefault(channel, asyncio.Lock())
        async with lock:
            outcome = self._outcomes.get(channel)
            if outcome is None or outcome.generation != generation:
                try:
                    outcome = _Outcome(generation, await self._fetch(request), None)
                except FetchError as exc:
                    outcome = _Outcome(generation, None, exc)
                self._outcomes[channel] = outcome
        return outcome.result()

    def _client(self) -> httpx.AsyncClient:
        if self._options.async_client is not None:
            return self._options.async_client
        state = self._loop_state()
        if state.client is None:
            state.client = httpx.AsyncClient(follow_redirects=False, trust_env=False)
        return state.client

    async def _fetch(self, request: HttpRequest) -> HttpResponse:
        options = self._options
        deadline = time.monotonic() + options.timeout
        try:
            async with asyncio.timeout(options.timeout):
                async with self._client().stream(
                    request.method,
                    request.url,
                    data=dict(request.form) if request.form else None,
                    headers=_headers(request),
                    timeout=options.timeout,
                    follow_redirects=False,
                ) as response:
                    _check_headers(response, request, options.max_response_bytes)
                    body = _Body(request, options.max_response_bytes, deadline)
                    try:
                        async for chunk in response.aiter_raw():
                            body.add(chunk)
                    except httpx.StreamConsumed:  # a mock transport's response, in memory
                        body.add(response.content)
                    return body.response(response.status_code)
        except (TimeoutError, httpx.TimeoutException):
            raise _too_slow(request, options.timeout) from None
        except httpx.HTTPError as exc:
            raise _failure(request, exc) from None

    async def aclose(self) -> None:
        state, self._state = self._state, None
        if state is not None and state.client is not None:
            await state.client.aclose()


Fetch = Callable[[HttpRequest], HttpResponse]
AsyncFetch = Callable[[HttpRequest], Awaitable[HttpResponse]]
