"""Running the HTTP server: N worker processes, each with its own SO_REUSEPORT socket.

Separate sockets balance keep-alive load evenly across processes, where one shared listening
socket did not (shared/PERFORMANCE.md). ``bind_socket``, ``serve_app`` and ``supervise`` are
also how bench/ceiling_app.py serves its bare endpoint, so a benchmark's ceiling is served
exactly as gatehouse is.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from gatehouse.cli.output import fail
from gatehouse.settings import Settings


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


def serve_app(app: Any, sock: socket.socket) -> None:
    """Serve an ASGI app on a bound socket in this process until it is told to stop."""
    import uvicorn

    # What exists now (modules, SQLAlchemy metadata, templates, keys) lives as long as the
    # process: take it out of the collector's view. Under load, full collections walked all of
    # it, 50-60 ms each with the GIL held, several times a minute per worker.
    gc.collect()
    gc.freeze()
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=False,
        timeout_keep_alive=15,
        h11_max_incomplete_event_size=64 * 1024,
        lifespan="off",
    )
    uvicorn.Server(config).run(sockets=[sock])


def supervise(target: Callable[..., None], args: tuple[Any, ...], workers: int) -> bool:
    """Run ``target(*args)`` in ``workers`` spawned processes until SIGTERM or SIGINT (True)
    or until one of them dies (False); then stop the others."""
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=target, args=args, daemon=True) for _ in range(workers)]
    for process in processes:
        process.start()

    stopping = False

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while not stopping and all(p.is_alive() for p in processes):
            time.sleep(0.2)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=10)
    return stopping


def _worker(settings: Settings, host: str, port: int) -> None:
    from gatehouse.observability.access_log import AccessLog
    from gatehouse.observability.logging import configure_logging
    from gatehouse.runtime import build_runtime, resolve_issuer
    from gatehouse.web.app import create_app

    handler = configure_logging(settings.log_level)
    sock = bind_socket(host, port)
    runtime = build_runtime(settings, issuer=resolve_issuer(settings, host, port))
    serve_app(create_app(runtime, AccessLog(handler)), sock)


def prepare(settings: Settings, host: str, port: int) -> str:
    """Migrate and make sure signing keys exist, once, before workers start."""
    from gatehouse.runtime import build_runtime, resolve_issuer
    from gatehouse.storage.sql.migrate import migrate

    issuer = resolve_issuer(settings, host, port)
    runtime = build_runtime(settings, issuer=issuer)
    try:
        migrate(runtime.database)
        runtime.keys.ensure_signing_keys()
        # Decrypt the signing keys now: a wrong GATEHOUSE_SECRET_KEY fails at start-up, not
        # as a server_error on the first request.
        runtime.keys.keyring()
    finally:
        runtime.close()
    return issuer


def _purge_periodically(settings: Settings, issuer: str, stopped: threading.Event) -> None:
    """Every ``purge_interval``, delete what has expired (storage/sql/purge.py), in the
    supervising process, which serves no requests. Several servers on one database may all
    do it: the deletes are idempotent and go in small batches."""
    from gatehouse.runtime import build_runtime
    from gatehouse.storage.sql.purge import purge_expired

    interval = settings.purge_interval.total_seconds()
    log = logging.getLogger("gatehouse.purge")
    while not stopped.wait(interval):
        try:
            runtime = build_runtime(settings, issuer=issuer)
            try:
                deleted = purge_expired(
                    runtime.database,
                    int(time.time()),
                    runtime.provider.config.session_idle_lifetime,
                    should_stop=stopped.is_set,
                )
            finally:
                runtime.close()
        except Exception as exc:  # the next round tries again; serving goes on regardless
            log.warning("purging expired rows failed: %s", type(exc).__name__)
            continue
        if any(deleted.values()):
            log.info("purged %s", ", ".join(f"{n} {name}" for name, n in deleted.items() if n))


def run_server(settings: Settings, host: str, port: int, workers: int) -> None:
    from gatehouse.keys.encryption import KeyDecryptionError
    from gatehouse.runtime import ConfigurationError
    from gatehouse.storage.sql.database import DatabaseUrlError

    try:
        issuer = prepare(settings, host, port)
    except (ConfigurationError, DatabaseUrlError, KeyDecryptionError) as exc:
        fail(str(exc))
        return
    # Fail fast, in the parent, if the address is taken.
    try:
        probe = bind_socket(host, port)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror}")
        return
    print(
        f"gatehouse {issuer} serving on http://{host}:{port} with {workers} worker(s)", flush=True
    )
    if settings.issuer is None and host in ("0.0.0.0", "::"):  # noqa: S104 - comparing, not binding
        print(
            f"warning: the issuer is {issuer}, which no browser or client can reach; set "
            "GATEHOUSE_ISSUER to the public https URL of this server",
            file=sys.stderr,
            flush=True,
        )
    probe.close()  # each worker binds its own; the probe only proved the address is free
    stopped = threading.Event()
    if settings.purge_interval.total_seconds() > 0:
        from gatehouse.observability.logging import configure_logging

        configure_logging(settings.log_level)
        threading.Thread(
            target=_purge_periodically,
            args=(settings, issuer, stopped),
            name="gatehouse-purge",
            daemon=True,
        ).start()
    try:
        served = supervise(_worker, (settings, host, port), workers)
    finally:
        stopped.set()
    if not served:
        sys.exit(1)  # a worker died
