"""A tiny real HTTP server on 127.0.0.1 that publishes a client's JWK Set (for private_key_jwt
with a jwks_uri), counts its hits and can misbehave on request: answer slowly, trickle its
body, send too much, send something that is not JSON, send it gzip-compressed whatever was
asked, or fail. It remembers the Accept-Encoding of the last request."""

from __future__ import annotations

import contextlib
import gzip
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class JwksServer:
    """``mode`` is one of: ok, slow, trickle, huge, not_json, gzip, error. ``delay`` is how long
    "slow" waits (and a quarter of how long "trickle" goes on); ``pause`` is the time between
    two bytes of "trickle"."""

    def __init__(self) -> None:
        self.document: dict[str, Any] = {"keys": []}
        # Other documents by path (an issuer's discovery document); any other path gets
        # ``document``.
        self.paths: dict[str, dict[str, Any]] = {}
        self.mode = "ok"
        self.hits = 0
        self.delay = 5.0
        self.pause = 0.2
        self.accept_encoding: str | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with server._lock:
                    server.hits += 1
                    server.accept_encoding = self.headers.get("Accept-Encoding")
                    mode = server.mode
                    document = server.paths.get(self.path, server.document)
                with contextlib.suppress(OSError):  # the client gave up, as it should
                    server._answer(self, mode, document)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.url = f"{self.origin}/jwks.json"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _answer(self, handler: BaseHTTPRequestHandler, mode: str, document: dict[str, Any]) -> None:
        body = json.dumps(document).encode()
        if mode == "slow":
            self._stop.wait(self.delay)
        if mode == "error":
            handler.send_response(500)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        if mode == "huge":
            body = json.dumps({"keys": [], "padding": "x" * (1024 * 1024)}).encode()
        if mode == "not_json":
            body = b"<html>this is not a JWK Set</html>"
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        if mode == "gzip":
            body = gzip.compress(body)
            handler.send_header("Content-Encoding", "gzip")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if mode == "trickle":
            # A byte at a time, each well within any read timeout, for a long while.
            deadline = time.monotonic() + self.delay * 4
            for byte in body:
                if self._stop.is_set() or time.monotonic() > deadline:
                    return
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                self._stop.wait(self.pause)
            return
        handler.wfile.write(body)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=10)


@contextmanager
def jwks_server() -> Iterator[JwksServer]:
    server = JwksServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
