"""One HTTP/1.1 connection: uvicorn's httptools (llhttp) protocol with the limits a server
that faces the internet needs, so gatehouse is safe without a proxy in front.

httptools on uvloop costs ~90 µs less CPU per request than uvicorn's pure-Python h11
(docs/benchmarks.md), but unlike h11 it bounds neither the size of a request's head nor the
time a client may take to send a request. This protocol adds both:

- the head: a request target over ``MAX_TARGET_BYTES`` is answered 414 (RFC 9110 §15.5.15),
  a request line and headers over ``MAX_HEAD_BYTES`` 431 (RFC 6585 §5);
- a header deadline: the head must be complete within ``header_timeout`` of the connection
  opening or of the first bytes of a later request on it;
- a body deadline: the body must be complete within ``body_timeout`` of the head's end.

A late request is answered 408 (RFC 9110 §15.5.9); a connection that sent nothing is closed
silently. Both deadlines are totals, not gaps between reads, so trickling a byte at a time
does not extend them. A refused request's connection is always closed. Idle keep-alive
connections are closed by uvicorn's own ``timeout_keep_alive``; body sizes are the web
layer's (web/http.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any, ClassVar

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from gatehouse.web.http import MAX_TARGET_BYTES
from gatehouse.web.security import STATIC_HEADERS

# The whole head (request line and header fields), as h11's buffer limit bounded it before.
MAX_HEAD_BYTES = 64 * 1024

log = logging.getLogger("gatehouse.http")


@dataclass(frozen=True)
class ConnectionLimits:
    header_timeout: float  # seconds
    body_timeout: float  # seconds
    max_head_bytes: int = MAX_HEAD_BYTES
    max_target_bytes: int = MAX_TARGET_BYTES


class _Refused(Exception):
    """Raised from a parser callback to stop parsing a request that is refused."""


class LimitedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with head limits and deadlines (``limits``, set on the
    subclass ``protocol_class`` makes)."""

    limits: ClassVar[ConnectionLimits]

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.transport = CoalescingTransport(transport, self.loop)
        self._head_bytes = 0  # bytes received towards the current head
        self._in_head = False  # a request has begun and its head is not complete
        self._in_body = False  # its head is complete and its body is not
        self._refusal: tuple[int, str] | None = None
        # The first request's head is due from now: a connection that never sends anything
        # does not get to hold its socket.
        self._deadline: asyncio.TimerHandle | None = self.loop.call_later(
            self.limits.header_timeout, self._header_deadline_passed
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # uvicorn's data_received, with refusals answered as such and Upgrade ignored.
        self._unset_keepalive_if_required()
        if not self._in_body:
            self._head_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # Nothing to upgrade to: the request is served as HTTP/1.1 (RFC 9110 §7.8 lets
            # a server ignore Upgrade).
            pass
        except httptools.HttpParserError as exc:
            # llhttp's reason names the rule broken (e.g. "Invalid header value char"), never
            # the request's bytes.
            refusal = self._refusal or (400, f"the request is not valid HTTP/1.1: {exc}")
            self._refuse(*refusal, current=self._in_body)
            return
        if self._in_head:
            if self._head_bytes > self.limits.max_head_bytes:
                self._refuse_oversized_head()
            elif self._deadline is None:
                self._deadline = self.loop.call_later(
                    self.limits.header_timeout, self._header_deadline_passed
                )
        elif self._in_body and self._deadline is None:
            self._deadline = self.loop.call_later(
                self.limits.body_timeout, self._body_deadline_passed
            )

    # -- parser callbacks -----------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > self.limits.max_target_bytes:
            self._refusal = _target_too_long(self.limits)
            raise _Refused

    def on_headers_complete(self) -> None:
        head = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if head > self.limits.max_head_bytes:
            self._refusal = _head_too_large(self.limits)
            raise _Refused
        self._in_head, self._in_body = False, True
        self._head_bytes = 0
        self._cancel_deadline()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_body = False
        self._cancel_deadline()
        super().on_message_complete()

    # -- deadlines and refusals -----------------------------------------------------------

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _header_deadline_passed(self) -> None:
        self._deadline = None
        if self._in_head or self._head_bytes:
            seconds = self.limits.header_timeout
            self._refuse(408, f"the request headers did not arrive within {seconds:g} s")
        elif self.cycle is None and not self.transport.is_closing():
            self.transport.close()  # a connection that never sent a request

    def _body_deadline_passed(self) -> None:
        self._deadline = None
        if self.flow.read_paused and not self.cycle.response_complete:
            # The server stopped reading (a pipelined request waits for the one before it,
            # or the app has not read what came): the wait is not the client's.
            self._deadline = self.loop.call_later(
                self.limits.body_timeout, self._body_deadline_passed
            )
            return
        seconds = self.limits.body_timeout
        self._refuse(408, f"the request body did not arrive within {seconds:g} s", current=True)

    def _refuse_oversized_head(self) -> None:
        too_long = len(self.url) > self.limits.max_target_bytes
        self._refuse(*(_target_too_long if too_long else _head_too_large)(self.limits))

    def _refuse(self, status: int, description: str, *, current: bool = False) -> None:
        """Answer ``status`` and close the connection. ``current``: the refused request is
        ``self.cycle``'s, whose app then sees a disconnect. When another response is on its
        way (or already started), the connection is only closed."""
        if self.transport.is_closing():
            return
        cycle = self.cycle
        log.info("%s %s (client %s)", status, description, _address(self.client))
        if cycle is not None and not cycle.response_complete:
            if not current or cycle.response_started or self.pipeline:
                self.transport.close()
                return
            cycle.disconnected = True  # the app's receive() now says so; its send() is dropped
            cycle.message_event.set()
        self.transport.write(_response(status, description))
        self.transport.close()


class CoalescingTransport(asyncio.Transport):
    """A connection's transport whose writes within one event-loop step go out as one.

    uvicorn writes a response as its head, then its body: two send() calls and, with Nagle's
    algorithm off, two TCP segments. Joined, they are one of each. Order is kept; ``close``
    sends what is pending first."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(bytes(data))

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        if pending and not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending = []
        self._transport.abort()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._pending))


def protocol_class(limits: ConnectionLimits) -> type[LimitedHttpProtocol]:
    """The protocol class to give uvicorn (``Config(http=...)``) for these limits."""

    class Limited(LimitedHttpProtocol):
        pass

    Limited.limits = limits
    return Limited


def _target_too_long(limits: ConnectionLimits) -> tuple[int, str]:
    return 414, f"the request URI is longer than {limits.max_target_bytes} bytes"


def _head_too_large(limits: ConnectionLimits) -> tuple[int, str]:
    return 431, f"the request line and headers are longer than {limits.max_head_bytes} bytes"


def _address(client: tuple[str, int] | None) -> str:
    return f"{client[0]}:{client[1]}" if client else "unknown"


def _response(status: int, description: str) -> bytes:
    """A complete response in the shape of the app's errors (RFC 6749 §5.2 JSON), with the
    headers every gatehouse response carries, and Connection: close."""
    error = {"error": "invalid_request", "error_description": description}
    body = json.dumps(error, separators=(",", ":")).encode()
    headers = [
        *STATIC_HEADERS,
        (b"cache-control", b"no-store"),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    return (
        b"".join(
            [STATUS_LINE[status], *(name + b": " + value + b"\r\n" for name, value in headers)]
        )
        + b"\r\n"
        + body
    )
