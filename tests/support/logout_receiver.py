"""A relying party's back-channel logout endpoint on loopback (OIDC Back-Channel Logout 1.0
§2.5, §2.6): it records every logout token POSTed to it, answers with the status it is set
to (503 plays a client that is up but failing), and validates a token the way the
specification tells a client to, against the issuer's published JWK Set. Given a ``hold``
event, it plays a relying party that hangs: each POST is recorded, then answered only once
the event is set."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from tests.support.live_server import HOST

EVENT = "http://schemas.openid.net/event/backchannel-logout"


@dataclass
class LogoutReceiver:
    path: str = "/backchannel-logout"
    status: int = 200
    tokens: list[str] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)
    received: threading.Event = field(default_factory=threading.Event)
    hold: threading.Event | None = None
    _server: ThreadingHTTPServer | None = None
    _port: int = 0

    @property
    def uri(self) -> str:
        return f"http://{HOST}:{self._port}{self.path}"

    def start(self, port: int = 0) -> LogoutReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = parse_qs(self.rfile.read(length).decode())
                receiver.content_types.append(self.headers.get("Content-Type", ""))
                receiver.tokens.extend(form.get("logout_token", []))
                if receiver.hold is not None:
                    receiver.hold.wait(30)  # bounded: a forgotten hold cannot hang the run
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                receiver.received.set()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer((HOST, port), Handler)
        self._server.daemon_threads = True
        self._port = self._server.server_address[1]
        # A short poll: stop() (shutdown) returns within it.
        serve = functools.partial(self._server.serve_forever, poll_interval=0.05)
        threading.Thread(target=serve, daemon=True).start()
        return self

    def stop(self) -> None:
        """Down: connections to its port are refused until start(port) again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait(self, count: int, seconds: float) -> bool:
        """Whether ``count`` tokens arrived within ``seconds``."""
        deadline = threading.Event()
        timer = threading.Timer(seconds, deadline.set)
        timer.start()
        try:
            while len(self.tokens) < count and not deadline.is_set():
                self.received.wait(0.01)
                self.received.clear()
            return len(self.tokens) >= count
        finally:
            timer.cancel()


def validate_logout_token(
    token: str, jwks: dict[str, Any], *, issuer: str, client_id: str, alg: str = "RS256"
) -> dict[str, Any]:
    """§2.6, as a client does it: the signature with the algorithm it expects for ID tokens
    (never the token's own choice), typ, iss, aud, iat, the events member, sub or sid, and
    no nonce. Returns the claims; raises AssertionError on any failure."""
    decoded = jwt.decode(token, KeySet.import_key_set(jwks), registry=JWSRegistry(algorithms=[alg]))
    header, claims = decoded.header, decoded.claims
    assert header["typ"] == "logout+jwt", header
    assert claims["iss"] == issuer
    assert claims["aud"] == client_id
    assert isinstance(claims["iat"], int) and claims["exp"] > claims["iat"]
    assert claims["events"] == {EVENT: {}}
    assert "sub" in claims or "sid" in claims
    assert "nonce" not in claims
    assert isinstance(claims["jti"], str) and claims["jti"]
    return dict(claims)
