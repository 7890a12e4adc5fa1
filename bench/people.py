"""The person's side under load: password sign-ins against the argon2id bound, and a server
with a great many live SSO sessions in its database.

    .venv/bin/python bench/people.py [--backend sqlite|postgres|both] [--duration 10]
                                     [--runs 3] [--sessions 200000] [--rss-duration 60]

signin      POST /login for pre-minted interactions (each a browser that opened the login
            page: its cookies, CSRF token and interaction id), correct password, through
            the lockout checks; counted when gatehouse answers 303 onwards. The bound is what
            argon2id allows on this machine: cores ÷ the time of one verification with the
            server's parameters (measured here, in this process, before the load).
sessions    ``--sessions`` live SSO sessions of ``--sessions``/10 users written into the
            database, then GET /authorize for a first-party client with those sessions'
            cookies in turn (each answers 303 with a code) for ``--rss-duration`` seconds,
            sampling the workers' RSS every half second: the server keeps no per-session
            state, so RSS stays flat however many sessions exist or are touched.

Same method as bench/run.py (wrk, medians, CPU from /proc); everything binds 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from harness import (  # noqa: E402
    CLOCK_TICK_US,
    BenchError,
    Children,
    build_script,
    cpu_ticks,
    rss_bytes,
    run_wrk,
    wait_until_serving,
    worker_pids,
)
from provision import (  # noqa: E402
    PASSWORD,
    REFRESH_CLIENT_ID,
    REFRESH_SCOPE,
    USERNAME,
    Cli,
    authorize_path,
    open_login_page,
    provision,
    sign_in,
)
from run import _free_port, _gatehouse_bin, database, machine_note  # noqa: E402

WORKERS = 2  # one per core of the bench machine, as bench/run.py
SECRET_KEY = "bench-key-encryption-key-0123456789abcdefghijkl"  # a throwaway database's


@dataclass
class Server:
    base_url: str
    url: str  # the database
    env: dict[str, str]
    log: Path


@contextmanager
def gatehouse(children: Children, backend: str, workdir: Path) -> Iterator[Server]:
    workdir.mkdir(parents=True, exist_ok=True)
    with database(backend, workdir) as (url, _db_pid):
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
        env.update(
            GATEHOUSE_DATABASE_URL=url, GATEHOUSE_SECRET_KEY=SECRET_KEY, GATEHOUSE_ISSUER=base_url
        )
        log = workdir / "gatehouse.log"
        provision(Cli(_gatehouse_bin(), env, log))
        yield Server(base_url, url, env, log)


@contextmanager
def serving(children: Children, server: Server) -> Iterator[int]:
    port = int(server.base_url.rsplit(":", 1)[1])
    log = server.log
    with log.open("a") as out:
        proc = children.start(
            [str(_gatehouse_bin()), "serve", "--host", "127.0.0.1", "--port", str(port),
             "--workers", str(WORKERS)],
            env=server.env,
            stdout=out,
        )  # fmt: skip
    try:
        wait_until_serving(proc, port, WORKERS, log)
        yield proc.pid
    finally:
        children.stop(proc)


# -- sign-ins ------------------------------------------------------------------------------------


def argon2_verify_seconds(env: dict[str, str]) -> float:
    """The median time of one argon2id verification with the server's parameters."""
    from gatehouse.accounts.passwords import Passwords
    from gatehouse.settings import Settings

    settings = Settings(database_url=env["GATEHOUSE_DATABASE_URL"])
    passwords = Passwords(settings.password_hash_time_cost, settings.password_hash_memory_kib)
    stored = passwords.hash(PASSWORD)
    times = []
    for _ in range(30):
        start = time.perf_counter()
        passwords.verify(stored, PASSWORD)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def mint_interactions(base_url: str, count: int, target: Path) -> None:
    """``count`` browsers that opened the login page: one line each, Cookie<TAB>form body."""
    import httpx

    lines = []
    with httpx.Client(base_url=base_url, follow_redirects=False, timeout=30) as http:
        for i in range(count):
            http.cookies.clear()
            interaction, csrf = open_login_page(http, authorize_path() + f"&state=m{i}")
            cookie = "; ".join(f"{name}={value}" for name, value in http.cookies.items())
            body = urlencode(
                {
                    "csrf_token": csrf,
                    "interaction": interaction,
                    "login": USERNAME,
                    "password": PASSWORD,
                }
            )
            lines.append(f"{cookie}\t{body}")
    target.write_text("\n".join(lines) + "\n")


def run_signins(
    children: Children, server: Server, pid: int, workdir: Path, args: argparse.Namespace
) -> list[dict[str, float]]:
    script = build_script("signin", workdir)
    verify = argon2_verify_seconds(server.env)
    bound = WORKERS / verify
    print(f"argon2id verification: {verify * 1000:.1f} ms -> bound {bound:.1f} sign-ins/s")
    # Enough interactions for the bound's rate over the run, with a margin; they live
    # GATEHOUSE_INTERACTION_LIFETIME (15 min), far longer than a run.
    count = int(bound * args.duration * 1.5) + 50
    results = []
    for run in range(args.runs + 1):  # the first is a warm-up
        attempts = workdir / f"signin-{run}.txt"
        mint_interactions(server.base_url, count, attempts)
        ticks = cpu_ticks(pid)
        result = run_wrk(
            children,
            server.base_url,
            script,
            [str(attempts)],
            seconds=args.duration,
            connections=args.connections,
        )
        cpu_us = (cpu_ticks(pid) - ticks) * CLOCK_TICK_US
        if result.bad:
            raise BenchError(f"sign-in run: {result.bad} failed sign-ins (see the server log)")
        figures = {
            "rate": result.rate,
            "cpu_ms": cpu_us / max(result.ok, 1) / 1000,
            "p50_ms": result.p50_ms,
            "p99_ms": result.p99_ms,
            "bound": bound,
            "verify_ms": verify * 1000,
        }
        label = "warm-up" if run == 0 else f"run {run}"
        print(
            f"  signin {label}: {result.rate:6.1f}/s ({result.rate / bound:.0%} of the bound), "
            f"{figures['cpu_ms']:.1f} ms CPU per sign-in, p50 {result.p50_ms:.0f} ms, "
            f"p99 {result.p99_ms:.0f} ms"
        )
        if run:
            results.append(figures)
    return results


# -- sessions ------------------------------------------------------------------------------------


def write_sessions(server: Server, sessions: int, target: Path) -> None:
    """``sessions`` live SSO sessions, ten per user, straight into the database (what
    ``sessions`` people signing in would leave behind); their cookie values into ``target``."""
    from gatehouse.crypto import sha256_digest
    from gatehouse.storage.records import User
    from gatehouse.storage.sql import tables as t
    from gatehouse.storage.sql.database import Database
    from gatehouse.storage.sql.store import SqlStore

    db = Database(server.url)
    store = SqlStore(db)
    now = int(time.time())
    users = [str(uuid.uuid4()) for _ in range(max(1, sessions // 10))]
    with db.atomic():
        for i, user_id in enumerate(users):
            store.users.insert(
                User(id=user_id, username=f"person{i}", email=None, email_verified=False,
                     name=None, given_name=None, family_name=None, phone_number=None,
                     phone_number_verified=False, address=None, password_hash=None,
                     disabled=False, password_changed_at=None, created_at=now, updated_at=now)
            )  # fmt: skip
    cookies = []
    batch: list[dict[str, Any]] = []
    for i in range(sessions):
        cookie = secrets.token_urlsafe(32)
        cookies.append(cookie)
        batch.append(
            {
                "tenant_id": "default",
                "id_hash": sha256_digest(cookie),
                "sid": uuid.uuid4().hex,
                "user_id": users[i % len(users)],
                "auth_time": now,
                "amr": ["pwd"],
                "acr": None,
                "created_at": now,
                "last_seen_at": now,
                "expires_at": now + 10 * 3600,
            }
        )
        if len(batch) == 5000 or i == sessions - 1:
            with db.write() as conn:
                conn.execute(t.sso_sessions.insert(), batch)
            batch = []
    db.dispose()
    target.write_text("\n".join(cookies) + "\n")


def run_sessions(
    children: Children, server: Server, workdir: Path, args: argparse.Namespace
) -> dict[str, float]:
    cookies = workdir / "sessions.txt"
    started = time.monotonic()
    write_sessions(server, args.sessions, cookies)
    print(f"wrote {args.sessions} live sessions in {time.monotonic() - started:.0f} s")
    script = build_script("sessions", workdir)
    path = authorize_path(REFRESH_CLIENT_ID, REFRESH_SCOPE)
    with serving(children, server) as pid:
        run_wrk(children, server.base_url, script, [str(cookies), path], seconds=3,
                connections=args.connections)  # fmt: skip
        workers = worker_pids(pid)
        before = rss_bytes(workers)
        samples: list[int] = []
        stop_at = time.monotonic() + args.rss_duration
        ticks = cpu_ticks(pid)
        total_ok = 0
        while time.monotonic() < stop_at:
            seconds = max(1, min(10, int(stop_at - time.monotonic())))
            result = run_wrk(children, server.base_url, script, [str(cookies), path],
                             seconds=seconds, connections=args.connections)  # fmt: skip
            if result.bad:
                raise BenchError(f"sessions run: {result.bad} requests without a code")
            total_ok += result.ok
            samples.append(rss_bytes(workers))
        cpu_us = (cpu_ticks(pid) - ticks) * CLOCK_TICK_US
    mib = 1024 * 1024
    figures = {
        "sessions": args.sessions,
        "requests": total_ok,
        "rss_before_mib": before / mib,
        "rss_first_mib": samples[0] / mib,
        "rss_last_mib": samples[-1] / mib,
        "rss_max_mib": max(samples) / mib,
        "cpu_us": cpu_us / max(total_ok, 1),
    }
    print(
        f"  sessions: {total_ok} authorizations over {args.rss_duration} s with "
        f"{args.sessions} live sessions; RSS of {WORKERS} workers {figures['rss_before_mib']:.0f} "
        f"MiB before, {figures['rss_first_mib']:.0f} after the first segment, "
        f"{figures['rss_last_mib']:.0f} at the end (max {figures['rss_max_mib']:.0f}); "
        f"{figures['cpu_us']:.0f} µs CPU per authorization"
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--duration", type=int, default=10, help="seconds per sign-in run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--sessions", type=int, default=200_000)
    parser.add_argument("--rss-duration", type=int, default=60)
    parser.add_argument("--only", choices=("signin", "sessions"), default=None)
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (Debian: apt-get install wrk)")
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    children = Children()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    print(f"machine: {machine_note()}")
    workdir = Path(tempfile.mkdtemp(prefix="gatehouse-people-"))
    try:
        for backend in backends:
            print(f"\n== {backend}")
            if args.only in (None, "signin"):
                with gatehouse(children, backend, workdir / f"{backend}-signin") as server:
                    with serving(children, server) as pid:
                        sign_in(server.base_url)  # the consent the sign-ins go on with
                        runs = run_signins(children, server, pid, workdir, args)
                    rate = statistics.median(r["rate"] for r in runs)
                    cpu = statistics.median(r["cpu_ms"] for r in runs)
                    bound = runs[0]["bound"]
                    print(
                        f"signin {backend}: median {rate:.1f}/s = {rate / bound:.0%} of the "
                        f"argon2id bound {bound:.1f}/s ({WORKERS} cores ÷ "
                        f"{runs[0]['verify_ms']:.1f} ms); {cpu:.1f} ms CPU per sign-in"
                    )
            if args.only in (None, "sessions"):
                with gatehouse(children, backend, workdir / f"{backend}-sessions") as server:
                    run_sessions(children, server, workdir, args)
    except KeyboardInterrupt:
        print("\ninterrupted")
        return 130
    except BenchError as exc:
        print(f"\nbench failed: {exc}")
        return 1
    finally:
        children.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nmachine after the run: {machine_note()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
