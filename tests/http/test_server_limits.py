"""The limits `gatehouse serve` enforces on every connection, tested against a real server
over raw sockets (web/http_connection.py): head sizes, slow clients, and the framing a
fuzzer or a smuggler tries. httptools (llhttp) is not h11: each case the old stack refused
is checked on this one."""

from __future__ import annotations

import contextlib
import json
import select
import socket
import time
from collections.abc import Iterator
from http.client import HTTPConnection

import pytest
from starlette.testclient import TestClient

from tests.support.live_server import LiveServer, start_server

HEADER_TIMEOUT = 1
BODY_TIMEOUT = 2
FORM = b"Content-Type: application/x-www-form-urlencoded\r\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    workdir = tmp_path_factory.mktemp("limits")
    live = start_server(
        f"sqlite:///{workdir / 'gatehouse.db'}",
        workdir,
        settings={
            "GATEHOUSE_REQUEST_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
            "GATEHOUSE_REQUEST_BODY_TIMEOUT": str(BODY_TIMEOUT),
        },
    )
    yield live
    live.stop()


def connect(server: LiveServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def read_until_closed(sock: socket.socket, limit: float = 10.0) -> bytes:
    """Everything the server sends until it closes the connection (at most ``limit`` s)."""
    sock.settimeout(limit)
    chunks = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
    raise AssertionError("the server did not close the connection")


def status_of(response: bytes) -> int:
    assert response.startswith(b"HTTP/1.1 "), response[:200]
    return int(response.split(b" ", 2)[1])


def json_of(response: bytes) -> dict[str, str]:
    return dict(json.loads(response.split(b"\r\n\r\n", 1)[1]))


def exchange(server: LiveServer, request: bytes) -> bytes:
    with connect(server) as sock:
        sock.sendall(request)
        return read_until_closed(sock)


def assert_still_serving(server: LiveServer) -> None:
    response = exchange(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status_of(response) == 200


# -- sizes ------------------------------------------------------------------------------------


def test_a_100_kb_query_string_is_414_uri_too_long(server: LiveServer) -> None:
    target = b"/authorize?client_id=web&state=" + b"a" * 100_000
    response = exchange(server, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status_of(response) == 414
    assert json_of(response) == {
        "error": "invalid_request",
        "error_description": "the request URI is longer than 32768 bytes",
    }
    assert b"body" not in response
    assert b"x-frame-options: DENY" in response and b"connection: close" in response


def test_a_query_string_over_the_limit_in_the_app_says_so_too(http: TestClient) -> None:
    """Served by another ASGI server (here Starlette's TestClient), the app says the same."""
    response = http.get("/authorize", params={"client_id": "web", "state": "a" * 40_000})
    assert response.status_code == 400
    assert "the request URI is longer than 32768 bytes" in response.text
    assert "request body" not in response.text


def test_oversized_headers_are_431(server: LiveServer) -> None:
    for headers in (
        b"X-Big: " + b"h" * 70_000 + b"\r\n",  # one huge field
        b"".join(b"X-%d: %s\r\n" % (i, b"v" * 1000) for i in range(70)),  # many fields
    ):
        response = exchange(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
        assert status_of(response) == 431
    assert_still_serving(server)


def test_a_head_that_never_ends_is_refused_before_it_fills_memory(server: LiveServer) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Endless: ")
        with contextlib.suppress(OSError):  # reset or broken pipe once the server closes
            for _ in range(8):
                sock.sendall(b"a" * 65536)
        try:
            response = read_until_closed(sock)
        except ConnectionResetError:  # closed with our bytes unread: the answer may be lost
            response = b""
    assert response == b"" or status_of(response) == 431
    assert "431 the request line and headers are longer than 65536 bytes" in server.log()
    assert_still_serving(server)


def test_a_body_over_64_kib_is_still_refused(server: LiveServer) -> None:
    body = b"grant_type=client_credentials&x=" + b"a" * 70_000
    request = b"POST /token HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + FORM
    response = exchange(server, request + b"Content-Length: %d\r\n\r\n" % len(body) + body)
    assert status_of(response) == 400
    assert json_of(response)["error_description"] == "the request body is too large"


# -- framing ----------------------------------------------------------------------------------

BAD_REQUESTS = {
    "non-ASCII digits in Content-Length": b"Content-Length: \xb2\r\n\r\n",
    "a negative Content-Length": b"Content-Length: -1\r\n\r\n",
    "two different Content-Lengths": b"Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
    "Content-Length and chunked": (
        b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    ),
    "a chunk size that is not hex": b"Transfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n",
    "a NUL in a header value": b"X-Nul: a\x00b\r\n\r\n",
    "a space before the colon": b"Content-Length : 3\r\n\r\nabc",
    "a line folded header": b"X-Folded: a\r\n b\r\n\r\n",
    "a bare LF": b"X-Bare: a\nX-Other: b\r\n\r\n",
}


@pytest.mark.parametrize("tail", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_bad_framing_is_400_and_closes(server: LiveServer, tail: bytes) -> None:
    response = exchange(server, b"POST /token HTTP/1.1\r\nHost: x\r\n" + tail)
    assert status_of(response) == 400
    assert json_of(response)["error"] == "invalid_request"
    assert b"connection: close" in response


def test_garbage_instead_of_a_request_line_is_400(server: LiveServer) -> None:
    for line in (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", b"GET\r\n\r\n", b"\xff" * 40):
        assert status_of(exchange(server, line + b"\r\n\r\n")) == 400
    assert_still_serving(server)


def test_an_upgrade_request_is_served_as_http(server: LiveServer) -> None:
    request = (
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, close\r\n"
        b"Upgrade: websocket\r\n\r\n"
    )
    assert status_of(exchange(server, request)) == 200


def test_pipelined_requests_are_answered_in_order(server: LiveServer) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    last = b"GET /jwks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    response = exchange(server, request * 3 + last)
    assert response.count(b"HTTP/1.1 200 OK") == 4
    assert response.rstrip().endswith(b"}")
    assert b'"keys"' in response.split(b"HTTP/1.1 200 OK")[-1]


# -- slow clients -----------------------------------------------------------------------------


def test_a_connection_that_sends_nothing_is_closed_at_the_header_deadline(
    server: LiveServer,
) -> None:
    with connect(server) as sock:
        started = time.monotonic()
        assert read_until_closed(sock) == b""
    assert HEADER_TIMEOUT - 0.2 <= time.monotonic() - started < HEADER_TIMEOUT + 3


def test_headers_trickled_line_by_line_get_408_at_the_deadline(server: LiveServer) -> None:
    """The deadline is a total: each line arriving in time does not extend it."""
    with connect(server) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        response = trickle(sock, b"X-Slow: 1\r\n")
        elapsed = time.monotonic() - started
    assert status_of(response) == 408
    assert elapsed < HEADER_TIMEOUT + 3


def trickle(sock: socket.socket, piece: bytes) -> bytes:
    """Send ``piece`` every 0.2 s until the server answers (at most 20 s); the answer."""
    for _ in range(100):
        if select.select([sock], [], [], 0)[0]:
            break
        try:
            sock.sendall(piece)
        except OSError:  # closed just now: its answer is already here
            break
        time.sleep(0.2)
    return read_until_closed(sock)


def test_half_a_header_gets_408(server: LiveServer) -> None:
    with connect(server) as sock:
        sock.sendall(b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Le")
        response = read_until_closed(sock)
    assert status_of(response) == 408
    assert json_of(response)["error_description"] == (
        f"the request headers did not arrive within {HEADER_TIMEOUT:g} s"
    )


def test_half_a_body_gets_408_at_the_body_deadline(server: LiveServer) -> None:
    with connect(server) as sock:
        started = time.monotonic()
        sock.sendall(b"POST /token HTTP/1.1\r\nHost: x\r\n" + FORM)
        sock.sendall(b"Content-Length: 100\r\n\r\ngrant_type=")
        response = read_until_closed(sock)
        elapsed = time.monotonic() - started
    assert status_of(response) == 408
    assert json_of(response)["error_description"] == (
        f"the request body did not arrive within {BODY_TIMEOUT:g} s"
    )
    assert BODY_TIMEOUT - 0.2 <= elapsed < BODY_TIMEOUT + 3
    assert_still_serving(server)


def test_a_trickled_body_gets_408_at_the_body_deadline(server: LiveServer) -> None:
    with connect(server) as sock:
        sock.sendall(b"POST /token HTTP/1.1\r\nHost: x\r\n" + FORM)
        sock.sendall(b"Transfer-Encoding: chunked\r\n\r\n")
        started = time.monotonic()
        response = trickle(sock, b"1\r\na\r\n")
        elapsed = time.monotonic() - started
    assert status_of(response) == 408
    assert BODY_TIMEOUT - 0.2 <= elapsed < BODY_TIMEOUT + 3


def test_a_body_the_app_never_reads_cannot_hold_the_connection(server: LiveServer) -> None:
    """The app answers GET /healthz at once; the rest of the body never comes."""
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nab")
        started = time.monotonic()
        response = read_until_closed(sock)
    assert status_of(response) == 200
    assert time.monotonic() - started < BODY_TIMEOUT + 3


def test_keep_alive_idle_time_is_not_header_time(server: LiveServer) -> None:
    """Between requests the keep-alive timeout applies (15 s), not the header deadline."""
    conn = HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("GET", "/healthz")
        first = conn.getresponse()
        first.read()
        sock = conn.sock
        time.sleep(HEADER_TIMEOUT + 0.5)
        conn.request("GET", "/healthz")
        second = conn.getresponse()
        second.read()
        assert conn.sock is sock  # the same connection
    finally:
        conn.close()
    assert first.status == second.status == 200


def test_the_deadlines_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from gatehouse.settings import Settings
    from gatehouse.web.serving import connection_limits

    for name in ("GATEHOUSE_REQUEST_HEADER_TIMEOUT", "GATEHOUSE_REQUEST_BODY_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)

    settings = Settings(request_header_timeout=3, request_body_timeout="PT20S")  # type: ignore[arg-type]
    limits = connection_limits(settings)
    assert (limits.header_timeout, limits.body_timeout) == (3.0, 20.0)
    defaults = connection_limits(Settings())
    assert (defaults.header_timeout, defaults.body_timeout) == (10.0, 10.0)
    with pytest.raises(ValueError, match="more than 0 seconds"):
        Settings(request_body_timeout=0)  # type: ignore[arg-type]
