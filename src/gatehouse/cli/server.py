"""`gatehouse serve`: prepare the database and keys once, then supervise the worker
processes (web/supervisor.py) that serve the app (web/serving.py), and purge expired rows
meanwhile."""

from __future__ import annotations

import logging
import sys
import threading
import time

from gatehouse.cli.output import fail
from gatehouse.runtime import resolve_issuer
from gatehouse.settings import Settings


def prepare(settings: Settings, host: str, port: int) -> str:
    """Migrate and make sure signing keys exist, once, before workers start."""
    from gatehouse.runtime import build_runtime
    from gatehouse.storage.sql.migrate import migrate

    issuer = resolve_issuer(settings, host, port)
    runtime = build_runtime(settings, issuer=issuer)
    try:
        migrate(runtime.database)
        runtime.keys.ensure_signing_keys()
        # Decrypt the signing keys now: a wrong GATEHOUSE_SECRET_KEY fails at start-up, not
        # as a server_error on the first request.
        runtime.keys.keyring()
        # A policy that sends email on a server that cannot: refuse now, not on a form.
        runtime.check_email_policy()
    finally:
        runtime.close()
    return issuer


def _purge_periodically(settings: Settings, issuer: str, stopped: threading.Event) -> None:
    """Every ``purge_interval``, delete what has expired (storage/sql/purge.py), in the
    supervising process, which serves no requests. Several servers on one database may all
    do it: the deletes are idempotent and go in small batches."""
    from gatehouse.runtime import build_runtime

    interval = settings.purge_interval.total_seconds()
    log = logging.getLogger("gatehouse.purge")
    while not stopped.wait(interval):
        try:
            runtime = build_runtime(settings, issuer=issuer)
            try:
                deleted = runtime.purge(int(time.time()), should_stop=stopped.is_set)
            finally:
                runtime.close()
        except Exception as exc:  # the next round tries again; serving goes on regardless
            log.warning("purging expired rows failed: %s", type(exc).__name__)
            continue
        if any(deleted.values()):
            log.info("purged %s", ", ".join(f"{n} {name}" for name, n in deleted.items() if n))


# Seconds between two looks at the outgoing mail queue: how late an email may leave.
MAIL_POLL_SECONDS = 2.0


def _deliver_mail(settings: Settings, issuer: str, stopped: threading.Event) -> None:
    """Send the outgoing mail queues of every tenant (accounts/selfservice/delivery.py) from
    the supervising process, which serves no requests: a slow SMTP server never holds a
    page. Several servers on one database may all do it: each message is claimed by one."""
    from gatehouse.runtime import TenantRuntimes, build_runtime

    log = logging.getLogger("gatehouse.mail")
    runtime = build_runtime(settings, issuer=issuer)
    tenants = TenantRuntimes(runtime)
    try:
        while settings.smtp_configured and not stopped.wait(MAIL_POLL_SECONDS):
            try:
                for tenant in tenants.with_mail_due():
                    delivery = tenant.mail_delivery()
                    while delivery is not None and delivery.deliver_due():
                        if stopped.is_set():
                            return
            except Exception as exc:  # the next round tries again; serving goes on regardless
                log.warning("sending queued mail failed: %s", type(exc).__name__)
    finally:
        runtime.close()


def run_server(settings: Settings, host: str, port: int, workers: int) -> None:
    from gatehouse.keys.encryption import KeyDecryptionError
    from gatehouse.observability.logging import configure_logging
    from gatehouse.runtime import ConfigurationError
    from gatehouse.storage.sql.database import DatabaseUrlError
    from gatehouse.web.serving import bind_socket, serve_worker
    from gatehouse.web.supervisor import supervise

    try:
        issuer = prepare(settings, host, port)
    except (ConfigurationError, DatabaseUrlError, KeyDecryptionError) as exc:
        fail(str(exc))
    # Fail fast, in the parent, if the address is taken.
    try:
        probe = bind_socket(host, port)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror}")
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
    configure_logging(settings.log_level)  # the supervisor's and the purge's lines
    stopped = threading.Event()
    if settings.purge_interval.total_seconds() > 0:
        threading.Thread(
            target=_purge_periodically,
            args=(settings, issuer, stopped),
            name="gatehouse-purge",
            daemon=True,
        ).start()
    if settings.smtp_configured:
        threading.Thread(
            target=_deliver_mail,
            args=(settings, issuer, stopped),
            name="gatehouse-mail",
            daemon=True,
        ).start()
    try:
        served = supervise(serve_worker, (settings, host, port, issuer), workers)
    finally:
        stopped.set()
    if not served:
        sys.exit(1)  # no worker could start
