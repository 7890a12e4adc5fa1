"""Serving the app in a worker process: uvicorn on uvloop with httptools, one SO_REUSEPORT
socket per process.

Separate sockets balance keep-alive load evenly across processes, where one shared listening
socket did not (docs/benchmarks.md). ``bind_socket`` and ``serve_app`` are also how
bench/ceiling_app.py serves its bare endpoint, so a benchmark's ceiling is served exactly as
gatehouse is. The processes are started and replaced by web/supervisor.py.
"""

from __future__ import annotations

import gc
import socket

import uvicorn
from starlette.types import ASGIApp

from gatehouse.settings import Settings
from gatehouse.web.http_connection import ConnectionLimits, protocol_class

# Seconds an idle keep-alive connection stays open between requests.
KEEP_ALIVE_SECONDS = 15


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not the default 0: asyncio turns Nagle's algorithm off (TCP_NODELAY) only
    # on accepted sockets whose proto says TCP. With it on, a response written as headers
    # then body waited for the client's delayed ACK: 40 ms per keep-alive request.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def connection_limits(settings: Settings) -> ConnectionLimits:
    return ConnectionLimits(
        header_timeout=settings.request_header_timeout.total_seconds(),
        body_timeout=settings.request_body_timeout.total_seconds(),
    )


def serve_app(app: ASGIApp, sock: socket.socket, limits: ConnectionLimits) -> None:
    """Serve an ASGI app on a bound socket in this process until it is told to stop."""
    # What exists now (modules, SQLAlchemy metadata, templates, keys) lives as long as the
    # process: take it out of the collector's view. Under load, full collections walked all of
    # it, 50-60 ms each with the GIL held, several times a minute per worker.
    gc.collect()
    gc.freeze()
    config = uvicorn.Config(
        app,
        loop="uvloop",
        http=protocol_class(limits),
        ws="none",
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=False,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        lifespan="off",
    )
    uvicorn.Server(config).run(sockets=[sock])


def serve_worker(settings: Settings, host: str, port: int, issuer: str) -> None:
    """One worker process: its own socket, runtime and app (the supervisor's target)."""
    from gatehouse.observability.access_log import AccessLog
    from gatehouse.observability.logging import configure_logging
    from gatehouse.runtime import TenantRuntimes, build_runtime
    from gatehouse.web.app import create_app
    from gatehouse.web.tenant_dispatch import serve_every_tenant

    handler = configure_logging(settings.log_level)
    runtime = build_runtime(settings, issuer=issuer)
    tenants = TenantRuntimes(runtime)
    # Back-channel logouts queued by this process's sign-outs go out at once; those of
    # other processes, and every other tenant's, by polling (protocol/backchannel_worker.py).
    worker = tenants.backchannel_worker().start()
    try:
        access_log = AccessLog(handler)
        app = serve_every_tenant(tenants, lambda tenant: create_app(tenant, access_log))
        # Listen only once the app is ready: a socket in the SO_REUSEPORT group gets its share
        # of new connections at once, which would otherwise wait on an app still loading
        # (or be reset, were this worker to die while starting).
        serve_app(app, bind_socket(host, port), connection_limits(settings))
    finally:
        worker.stop()
