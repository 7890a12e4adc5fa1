"""Free loopback ports for servers a test starts, safe when pytest-xdist runs two workers.

``bind(0)`` then ``close()`` leaves a gap before the server binds the port, and another
worker's ``bind(0)`` may be handed the same port in that gap; gatehouse's SO_REUSEPORT socket
would then silently share it. So under xdist each worker hands out ports from its own block,
below the kernel's ephemeral range, in turn; a port is offered only if it can be bound now.
"""

from __future__ import annotations

import itertools
import os
import socket

FIRST_PORT = 20000  # below Linux's ephemeral range (32768-60999), so bind(0) never lands here
PORTS_PER_WORKER = 1500

_turn = itertools.count()


def _worker_number() -> int | None:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", ... under xdist
    return int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else None


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    worker = _worker_number()
    if worker is None:  # one process: the kernel's choice cannot collide with anyone's
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])
    first = FIRST_PORT + worker * PORTS_PER_WORKER
    for _ in range(PORTS_PER_WORKER):
        port = first + next(_turn) % PORTS_PER_WORKER
        if _bindable(port):
            return port
    raise RuntimeError(f"no free port in {first}-{first + PORTS_PER_WORKER - 1}")
