"""Load a running gatehouse on loopback and print token-endpoint figures against a ceiling.

    .venv/bin/python bench/run.py [--backend sqlite|postgres|both] [--duration 10] [--quick]

For each backend it starts, in one run: gatehouse (`gatehouse serve --workers 2`, SQLite file
or a throwaway PostgreSQL), and the ceiling app (bench/ceiling_app.py, served the same way);
provisions a client and a user and signs in once (SSO session + stored consent); then, after
one warm-up of each scenario, runs three rounds of

    ceiling     POST /token on the bare app (parse, client secret check, ES256 + RS256 sign)
    token       POST /token redeeming pre-minted codes (authorization_code, PKCE, Basic auth)
    flow        GET /authorize with the session cookie -> 303 code -> POST /token
    ceiling-cc  POST /token client_credentials on the bare app (parse, secret, one ES256 sign)
    cc          POST /token client_credentials on gatehouse (scope=<api>/.default, app roles)
    cc-paced    the same at a fixed offered rate: half the cc rate, and half the ceiling-cc's
    refresh     POST /token refresh_token with rotation (each rotated token is used next)
    peer_cc     client_credentials on the peer, node-oidc-provider (bench/peer.py)
    peer_flow   the full flow on the peer: GET /auth with its session cookie -> POST /token

with `wrk -t1 -c64 -d10s` each, and reports medians: successful req/s, server CPU µs per
successful request (utime+stime of the server process tree from /proc), p50/p99 latency,
non-2xx responses, and the ratio to the ceiling. A last phase keeps the token endpoint under
load for 60 s and samples the workers' RSS every half second. Everything binds 127.0.0.1 and
is stopped on exit or Ctrl-C; see docs/benchmarks.md.

Codes live at most 60 s, so the token scenario mints its codes just before it runs (wrk
against /authorize, into a file the token script reads) and runs at most 20 s per batch;
longer token phases (the RSS run) are back-to-back batches.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))  # tests.support.postgres

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
from peer import Peer, peers  # noqa: E402
from provision import Cli, Credentials, mint_refresh_tokens, provision, sign_in  # noqa: E402

WORKERS = 2
SEGMENT_SECONDS = 20  # the longest token phase one batch of codes covers (codes live 60 s)
MAX_MINT_SECONDS = 35
MAX_CODES = 400_000
CODE_MARGIN = 1.5  # mint this many codes per expected token request
REFRESH_POOL_PER_CONNECTION = 8  # fresh refresh tokens per connection for each refresh run


@dataclass
class Measurement:
    backend: str
    scenario: str
    ok: int
    bad: int
    seconds: float
    cpu_us: float  # server (gatehouse or ceiling) CPU per successful request
    db_cpu_us: float | None  # PostgreSQL server CPU per successful request
    p50_ms: float
    p99_ms: float
    client_cpu_us: float  # wrk's CPU per successful request
    exhausted: bool = False
    offered: float | None = None  # paced runs: the offered rate (requests per second)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds > 0 else 0.0


@dataclass
class RssReport:
    backend: str
    seconds: float
    start_mib: float
    after_10s_mib: float
    end_mib: float
    max_mib: float
    tokens: int
    bad: int
    samples: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class Servers:
    backend: str
    base_url: str
    ceiling_url: str
    gatehouse_pid: int
    ceiling_pid: int
    ceiling_state: Path  # the ceiling app's --state-dir (see bench/ceiling_app.py)
    db_pid: int | None
    credentials: Credentials


class Bench:
    def __init__(self, children: Children, workdir: Path, connections: int) -> None:
        self.children = children
        self.workdir = workdir
        self.connections = connections
        self.scripts = {
            name: build_script(name, workdir) for name in ("token", "mint", "flow", "cc", "refresh")
        }
        self.token_rate_estimate = 0.0
        self.mint_rate_estimate = 0.0
        self.peer: Peer | None = None  # the peer's servers, loaded in the same rounds
        # The latest unpaced rates, for the paced runs' offered rates.
        self.cc_rate = 0.0
        self.ceiling_cc_rate = 0.0

    # -- one wrk run with CPU accounting ------------------------------------------------------

    def measure(
        self,
        servers: Servers,
        scenario: str,
        url: str,
        server_pid: int,
        script: str,
        args: list[str],
        seconds: int,
        offered: float | None = None,
    ) -> Measurement:
        db_pid = servers.db_pid if server_pid == servers.gatehouse_pid else None
        before = cpu_ticks(server_pid)
        db_before = cpu_ticks(db_pid) if db_pid else 0
        result = run_wrk(
            self.children,
            url,
            self.scripts[script],
            args,
            seconds=seconds,
            connections=self.connections,
        )
        used_us = (cpu_ticks(server_pid) - before) * CLOCK_TICK_US
        db_used_us = (cpu_ticks(db_pid) - db_before) * CLOCK_TICK_US if db_pid else None
        ok = max(result.ok, 1)
        return Measurement(
            backend=servers.backend,
            scenario=scenario,
            ok=result.ok,
            bad=result.bad,
            seconds=result.seconds,
            cpu_us=used_us / ok,
            db_cpu_us=None if db_used_us is None else db_used_us / ok,
            p50_ms=result.p50_ms,
            p99_ms=result.p99_ms,
            client_cpu_us=result.client_cpu_us / ok,
            exhausted=result.exhausted,
            offered=offered,
        )

    # -- scenarios ----------------------------------------------------------------------------

    def ceiling(self, servers: Servers, seconds: int) -> Measurement:
        c = servers.credentials
        codes = self.workdir / "ceiling-codes.txt"
        if not codes.exists():
            codes.write_text("".join(f"ceiling-code-{i:06d}\n" for i in range(1000)))
        m = self.measure(
            servers,
            "ceiling",
            servers.ceiling_url,
            servers.ceiling_pid,
            "token",
            [str(codes), c.basic_authorization, c.redirect_uri_form, c.code_verifier, "cycle"],
            seconds,
        )
        if not self.token_rate_estimate:  # the first batch of codes: a generous guess
            self.token_rate_estimate = m.rate
        return m

    def flow(self, servers: Servers, seconds: int) -> Measurement:
        c = servers.credentials
        return self.measure(
            servers,
            "flow",
            servers.base_url,
            servers.gatehouse_pid,
            "flow",
            [
                c.authorize_path,
                c.session_cookie,
                c.basic_authorization,
                c.redirect_uri_form,
                c.code_verifier,
            ],
            seconds,
        )

    def peer_flow(self, servers: Servers, seconds: int) -> Measurement:
        """The flow scenario's requests, sent to the peer (its paths and credentials)."""
        p = self._peer()
        c = servers.credentials
        return self.measure(
            servers, "peer_flow", p.flow_url, p.flow_pid, "flow",
            [p.authorize_path, p.session_cookie, p.flow_authorization, p.redirect_uri_form,
             c.code_verifier],
            seconds,
        )  # fmt: skip

    def peer_cc(self, servers: Servers, seconds: int) -> Measurement:
        """The cc scenario's request, sent to the peer."""
        p = self._peer()
        args = [p.cc_authorization, p.cc_body]
        return self.measure(servers, "peer_cc", p.cc_url, p.cc_pid, "cc", args, seconds)

    def _peer(self) -> Peer:
        if self.peer is None:
            raise BenchError("the peer scenarios need the peer (run without --no-peer)")
        return self.peer

    def _client_credentials(
        self,
        servers: Servers,
        seconds: int,
        scenario: str,
        *,
        ceiling: bool = False,
        rate: float | None = None,
    ) -> Measurement:
        """POST /token client_credentials on gatehouse or the ceiling app; paced at ``rate``
        requests per second when given."""
        c = servers.credentials
        url, pid = (
            (servers.ceiling_url, servers.ceiling_pid)
            if ceiling
            else (servers.base_url, servers.gatehouse_pid)
        )
        args = [c.daemon_authorization, c.cc_body] + ([f"{rate:.0f}"] if rate else [])
        return self.measure(servers, scenario, url, pid, "cc", args, seconds, offered=rate)

    def ceiling_cc(self, servers: Servers, seconds: int) -> Measurement:
        m = self._client_credentials(servers, seconds, "ceiling_cc", ceiling=True)
        self.ceiling_cc_rate = m.rate
        return m

    def cc(self, servers: Servers, seconds: int) -> Measurement:
        m = self._client_credentials(servers, seconds, "cc")
        self.cc_rate = m.rate
        return m

    def cc_half(self, servers: Servers, seconds: int) -> Measurement:
        """client_credentials offered at half the rate cc itself sustained last."""
        return self._client_credentials(servers, seconds, "cc_half", rate=self.cc_rate / 2)

    def cc_half_ceiling(self, servers: Servers, seconds: int) -> Measurement:
        """client_credentials offered at half the rate its ceiling sustained last."""
        rate = self.ceiling_cc_rate / 2
        return self._client_credentials(servers, seconds, "cc_half_ceiling", rate=rate)

    def refresh(self, servers: Servers, seconds: int) -> Measurement:
        """Refresh with rotation from a fresh pool of offline refresh tokens."""
        pool = self.workdir / "refresh-tokens.txt"
        count = mint_refresh_tokens(
            servers.base_url,
            servers.credentials,
            self.connections * REFRESH_POOL_PER_CONNECTION,
            pool,
        )
        m = self.measure(
            servers, "refresh", servers.base_url, servers.gatehouse_pid, "refresh",
            [str(pool), servers.credentials.refresh_authorization], seconds,
        )  # fmt: skip
        if m.exhausted:
            print(f"    the {count} refresh tokens all failed after {m.seconds:.1f} s")
        return m

    def mint(self, servers: Servers, count: int, max_seconds: int) -> tuple[Path, int, float]:
        """Fresh codes for the token phase: wrk against /authorize with the session cookie."""
        c = servers.credentials
        out = self.workdir / "codes.txt"
        result = run_wrk(
            self.children,
            servers.base_url,
            self.scripts["mint"],
            [str(out), str(count), c.authorize_path, c.session_cookie],
            seconds=max_seconds,
            connections=self.connections,
        )
        minted = sum(1 for _ in out.open())
        if result.seconds > 0:
            self.mint_rate_estimate = result.step / result.seconds
        if result.bad:
            print(f"    warning: {result.bad} authorization requests gave no code")
        return out, minted, result.seconds

    def mint_for(self, servers: Servers, seconds: int) -> Path:
        """Codes for ``seconds`` of token requests at the rate expected from earlier runs."""
        if seconds > SEGMENT_SECONDS:
            raise ValueError("one batch of codes covers at most SEGMENT_SECONDS")
        estimate = self.token_rate_estimate or 3000.0
        wanted = min(MAX_CODES, math.ceil(estimate * seconds * CODE_MARGIN) + 500)
        # The oldest code must outlive the token phase that follows (codes live 60 s).
        codes, minted, mint_seconds = self.mint(
            servers, wanted, min(MAX_MINT_SECONDS, 55 - seconds)
        )
        print(f"    minted {minted} codes in {mint_seconds:.1f} s", flush=True)
        return codes

    def redeem(self, servers: Servers, codes: Path, seconds: int) -> Measurement:
        c = servers.credentials
        m = self.measure(
            servers,
            "token",
            servers.base_url,
            servers.gatehouse_pid,
            "token",
            [str(codes), c.basic_authorization, c.redirect_uri_form, c.code_verifier],
            seconds,
        )
        # Size the next batch from what was just measured (a batch that ran out under-counts).
        rate = m.ok / m.seconds if m.seconds else 0.0
        self.token_rate_estimate = rate * (1.5 if m.exhausted else 1.0) or self.token_rate_estimate
        if m.exhausted:
            print(f"    the codes ran out after {m.seconds:.1f} s: rate is over that time")
        return m

    def token(self, servers: Servers, seconds: int) -> Measurement:
        """Mint codes for ``seconds`` of token requests, then redeem them."""
        return self.redeem(servers, self.mint_for(servers, seconds), seconds)

    def rss_run(self, servers: Servers, total_seconds: int) -> RssReport:
        """Token load for ``total_seconds`` (batches of fresh codes, back to back), with the
        workers' RSS sampled every half second while the token requests run."""
        sampler = RssSampler(worker_pids(servers.gatehouse_pid))
        results: list[Measurement] = []
        loaded = 0.0
        try:
            for _ in range(4 * math.ceil(total_seconds / SEGMENT_SECONDS)):  # bounded
                if loaded >= total_seconds - 0.5:
                    break
                seconds = min(SEGMENT_SECONDS, math.ceil(total_seconds - loaded))
                codes = self.mint_for(servers, seconds)
                sampler.start(offset=loaded)
                try:
                    m = self.redeem(servers, codes, seconds)
                finally:
                    sampler.stop()
                results.append(m)
                loaded += m.seconds
        finally:
            sampler.close()
        points = sampler.points or [(0.0, 0.0)]
        after_10s = next((mib for t, mib in points if t >= 10), points[-1][1])
        return RssReport(
            backend=servers.backend,
            seconds=loaded,
            start_mib=points[0][1],
            after_10s_mib=after_10s,
            end_mib=points[-1][1],
            max_mib=max(mib for _, mib in points),
            tokens=sum(r.ok for r in results),
            bad=sum(r.bad for r in results),
            samples=[(round(t, 1), round(mib, 1)) for t, mib in points],
        )


class RssSampler:
    """Samples the summed RSS of ``pids`` every half second while started; ``points`` are
    (seconds of load so far, MiB)."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.points: list[tuple[float, float]] = []
        self._active: tuple[float, float] | None = None  # (monotonic start, load offset)
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def start(self, offset: float) -> None:
        self._active = (time.monotonic(), offset)

    def stop(self) -> None:
        self._active = None

    def close(self) -> None:
        self._closed.set()
        self._thread.join(5)

    def _run(self) -> None:
        for _ in range(7200):  # bounded: one hour at two samples a second
            active = self._active
            if active is not None:
                started, offset = active
                mib = rss_bytes(self.pids) / 2**20
                self.points.append((offset + time.monotonic() - started, mib))
            if self._closed.wait(0.5):
                return


# -- servers -------------------------------------------------------------------------------------


def _gatehouse_bin() -> Path:
    beside = Path(sys.executable).parent / "gatehouse"
    found = beside if beside.exists() else shutil.which("gatehouse")
    if not found:
        raise BenchError("the gatehouse command is not installed in this Python environment")
    return Path(found)


def _free_port() -> int:
    from tests.support.postgres import free_port

    return free_port()


@contextmanager
def database(backend: str, workdir: Path) -> Iterator[tuple[str, int | None]]:
    """A database URL for the backend, and the PostgreSQL postmaster pid (for its CPU)."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'sqlite' / 'gatehouse.db'}", None
        return
    import psycopg
    from tests.support.postgres import start_postgres

    server = start_postgres()
    try:
        with psycopg.connect(server.admin_url, autocommit=True) as conn:
            conn.execute("CREATE DATABASE gatehouse_bench")
        postmaster = int((server.data_dir / "postmaster.pid").read_text().split()[0])
        yield server.url("gatehouse_bench"), postmaster
    finally:
        server.stop()


@contextmanager
def servers(
    children: Children,
    backend: str,
    workdir: Path,
    *,
    settings: Mapping[str, str] | None = None,
    extra_provisioning: Callable[[Cli], None] | None = None,
) -> Iterator[Servers]:
    """gatehouse (provisioned, then ``extra_provisioning``; ``settings``: GATEHOUSE_*
    variables beside the bench's own) and the ceiling app, both serving, and the user
    signed in."""
    gatehouse = _gatehouse_bin()
    with database(backend, workdir) as (url, db_pid):
        port, ceiling_port = _free_port(), _free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
        env.update(
            GATEHOUSE_DATABASE_URL=url,
            # A throwaway database's key-encryption key.
            GATEHOUSE_SECRET_KEY="bench-key-encryption-key-0123456789abcdefghijkl",  # noqa: S106
            GATEHOUSE_ISSUER=base_url,
        )
        env.update(settings or {})
        log = workdir / f"gatehouse-{backend}.log"
        cli = Cli(gatehouse, env, log)
        provision(cli)
        if extra_provisioning is not None:
            extra_provisioning(cli)
        with log.open("a") as out:
            server = children.start(
                [str(gatehouse), "serve", "--host", "127.0.0.1", "--port", str(port),
                 "--workers", str(WORKERS)],
                env=env,
                stdout=out,
            )  # fmt: skip
        ceiling_log = workdir / f"ceiling-{backend}.log"
        with ceiling_log.open("w") as out:
            ceiling = children.start(
                [sys.executable, str(BENCH / "ceiling_app.py"), "--host", "127.0.0.1",
                 "--port", str(ceiling_port), "--workers", str(WORKERS),
                 "--state-dir", str(workdir / f"ceiling-{backend}")],
                stdout=out,
            )  # fmt: skip
        try:
            wait_until_serving(server, port, WORKERS, log)
            wait_until_serving(ceiling, ceiling_port, WORKERS, ceiling_log)
            yield Servers(
                backend=backend,
                base_url=base_url,
                ceiling_url=f"http://127.0.0.1:{ceiling_port}",
                gatehouse_pid=server.pid,
                ceiling_pid=ceiling.pid,
                ceiling_state=workdir / f"ceiling-{backend}",
                db_pid=db_pid,
                credentials=sign_in(base_url),
            )
        finally:
            children.stop(server)
            children.stop(ceiling)


# -- the run ---------------------------------------------------------------------------------------


def run_backend(
    bench: Bench, children: Children, backend: str, args: argparse.Namespace
) -> tuple[list[Measurement], RssReport | None]:
    runs = 1 if args.quick else args.runs
    warmup = 2 if args.quick else args.duration
    measurements: list[Measurement] = []
    bench.token_rate_estimate = 0.0
    with servers(children, backend, bench.workdir) as s:
        print(f"\n== {backend}: gatehouse {s.base_url}, ceiling {s.ceiling_url}", flush=True)
        # The paced runs follow the unpaced cc and ceiling-cc runs whose rates they halve.
        scenarios: list[tuple[str, Callable[[Servers, int], Measurement]]] = [
            ("ceiling", bench.ceiling),
            ("token", bench.token),
            ("flow", bench.flow),
            ("peer_flow", bench.peer_flow),
            ("ceiling_cc", bench.ceiling_cc),
            ("cc", bench.cc),
            ("peer_cc", bench.peer_cc),
            ("cc_half", bench.cc_half),
            ("cc_half_ceiling", bench.cc_half_ceiling),
            ("refresh", bench.refresh),
        ]
        if bench.peer is None:
            scenarios = [(name, run) for name, run in scenarios if not name.startswith("peer_")]
        if args.only:
            scenarios = [(name, run) for name, run in scenarios if name in args.only]
        measurements += run_rounds(s, scenarios, warmup, runs, args.duration)
        if args.no_rss:
            return measurements, None
        print(f"  RSS run: {args.rss_duration} s of token requests", flush=True)
        rss = bench.rss_run(s, args.rss_duration)
        print(
            f"  RSS of the {WORKERS} workers: start {rss.start_mib:.1f} MiB, after 10 s "
            f"{rss.after_10s_mib:.1f}, end {rss.end_mib:.1f}, max {rss.max_mib:.1f} "
            f"({rss.tokens} tokens, {rss.bad} non-2xx)",
            flush=True,
        )
    return measurements, rss


def run_rounds(
    s: Servers,
    scenarios: list[tuple[str, Callable[[Servers, int], Measurement]]],
    warmup: int,
    runs: int,
    duration: int,
) -> list[Measurement]:
    """One warm-up of each scenario, then ``runs`` rounds of them all, interleaved so that
    drift hits every scenario alike; each measurement printed as it comes."""
    print(f"  warm-up ({warmup} s each)", flush=True)
    for _, scenario in scenarios:
        scenario(s, warmup)
    measured: list[Measurement] = []
    for round_no in range(1, runs + 1):
        for name, scenario in scenarios:
            m = scenario(s, duration)
            measured.append(m)
            print(f"  run {round_no} {name:16} {measurement_line(m)}", flush=True)
    return measured


def measurement_line(m: Measurement) -> str:
    db = f" +db {m.db_cpu_us:.0f}" if m.db_cpu_us is not None else ""
    flag = " (codes ran out)" if m.exhausted else ""
    offered = f" (offered {m.offered:.0f}/s)" if m.offered else ""
    return (
        f"{m.rate:8.0f} /s{offered}  cpu {m.cpu_us:5.0f} µs{db}  wrk {m.client_cpu_us:3.0f} µs  "
        f"p50 {m.p50_ms:6.1f} ms  p99 {m.p99_ms:6.1f} ms  non-2xx {m.bad}{flag}"
    )


@dataclass
class Row:
    backend: str
    scenario: str
    rate: float
    cpu_us: float
    db_cpu_us: float | None
    client_cpu_us: float
    p50_ms: float
    p99_ms: float
    bad: int
    runs: int
    offered: float | None = None  # paced scenarios: the median offered rate
    ratio: float | None = None  # req/s ÷ the ceiling's req/s
    cpu_ratio: float | None = None  # ceiling CPU/req ÷ (gatehouse + PostgreSQL) CPU/req
    peer_ratio: float | None = None  # req/s ÷ the peer's req/s
    peer_cpu_ratio: float | None = None  # the peer's CPU/req ÷ (gatehouse + PostgreSQL) CPU/req


# Which ceiling each scenario is compared with (paced runs are judged on latency, not rate).
CEILING_OF = {"token": "ceiling", "flow": "ceiling", "cc": "ceiling_cc", "refresh": "ceiling_cc"}
# Which peer scenario each gatehouse scenario is compared with.
PEER_OF = {"cc": "peer_cc", "flow": "peer_flow"}


def summarize(
    measurements: list[Measurement], ceiling_of: Mapping[str, str] = CEILING_OF
) -> list[Row]:
    """Per backend and scenario, the median of each figure over the measured runs, and the
    ratios to the scenario's ceiling (``ceiling_of``) and peer."""
    rows: list[Row] = []
    for backend, scenario in dict.fromkeys((m.backend, m.scenario) for m in measurements):
        ms = [m for m in measurements if (m.backend, m.scenario) == (backend, scenario)]
        dbs = [m.db_cpu_us for m in ms if m.db_cpu_us is not None]
        offered = [m.offered for m in ms if m.offered is not None]
        rows.append(
            Row(
                backend=backend,
                scenario=scenario,
                rate=statistics.median(m.rate for m in ms),
                cpu_us=statistics.median(m.cpu_us for m in ms),
                db_cpu_us=statistics.median(dbs) if dbs else None,
                client_cpu_us=statistics.median(m.client_cpu_us for m in ms),
                p50_ms=statistics.median(m.p50_ms for m in ms),
                p99_ms=statistics.median(m.p99_ms for m in ms),
                bad=sum(m.bad for m in ms),
                runs=len(ms),
                offered=statistics.median(offered) if offered else None,
            )
        )
    for row in rows:
        ceiling = find_row(rows, row.backend, ceiling_of.get(row.scenario, ""))
        if ceiling is not None and ceiling.rate:
            row.ratio = row.rate / ceiling.rate
            row.cpu_ratio = ceiling.cpu_us / (row.cpu_us + (row.db_cpu_us or 0.0))
        peer = find_row(rows, row.backend, PEER_OF.get(row.scenario, ""))
        if peer is not None and peer.rate:
            row.peer_ratio = row.rate / peer.rate
            row.peer_cpu_ratio = peer.cpu_us / (row.cpu_us + (row.db_cpu_us or 0.0))
    return rows


def find_row(rows: list[Row], backend: str, scenario: str) -> Row | None:
    return next((r for r in rows if (r.backend, r.scenario) == (backend, scenario)), None)


SCENARIO_NAMES = {
    "ceiling": "ceiling POST /token",
    "token": "token (code grant)",
    "flow": "full flow (authorize+token)",
    "ceiling_cc": "ceiling client_credentials",
    "cc": "client_credentials",
    "cc_half": "cc at ½ its rate",
    "cc_half_ceiling": "cc at ½ ceiling-cc rate",
    "refresh": "refresh (rotation)",
    "peer_cc": "peer client_credentials",
    "peer_flow": "peer full flow (auth+token)",
}


def print_rows(rows: list[Row], names: Mapping[str, str], errors: str = "non-2xx") -> None:
    """The table of medians, one line per backend and scenario (``names``: its label)."""
    header = (
        f"{'backend':9} {'scenario':28} {'req/s':>6} {'CPU µs/req':>10} {'DB µs':>6} "
        f"{'wrk µs':>6} {'p50 ms':>7} {'p99 ms':>7} {errors:>7} {'÷ceiling':>8} {'CPU ÷ceil':>9}"
    )
    print("\n" + header + "\n" + "-" * len(header))
    for r in rows:
        db = f"{r.db_cpu_us:6.0f}" if r.db_cpu_us is not None else f"{'-':>6}"
        ratio = f"{r.ratio:8.2f}" if r.ratio is not None else f"{'-':>8}"
        cpu_ratio = f"{r.cpu_ratio:9.2f}" if r.cpu_ratio is not None else f"{'-':>9}"
        print(
            f"{r.backend:9} {names[r.scenario]:28} {r.rate:6.0f} {r.cpu_us:10.0f} "
            f"{db} {r.client_cpu_us:6.0f} {r.p50_ms:7.1f} {r.p99_ms:7.1f} {r.bad:7d} "
            f"{ratio} {cpu_ratio}"
        )


def print_table(rows: list[Row], rss: list[RssReport]) -> None:
    print_rows(rows, SCENARIO_NAMES)
    print(
        "\nMedians of the measured runs. req/s and CPU µs are per successful request; for the "
        "flow, per completed\nflow (GET /authorize + POST /token), whose latency is per HTTP "
        "request. CPU µs/req: the server's\nprocess tree (utime+stime); DB µs: PostgreSQL's "
        "own processes; wrk µs: the load generator. non-2xx:\nsum over the runs (socket "
        "errors included). ÷ceiling: req/s ratio; CPU ÷ceil: ceiling CPU ÷ (server + DB) CPU."
    )
    print("\nTargets (issue): token >= 60 % of the ceiling's req/s, p99 < 50 ms, flat RSS")
    for r in rows:
        if r.scenario != "token" or r.ratio is None or r.cpu_ratio is None:
            continue
        report = next((x for x in rss if x.backend == r.backend), None)
        verdicts = [
            f"req/s {r.ratio:.0%} of the ceiling {'MET' if r.ratio >= 0.6 else 'NOT MET'} "
            f"(by CPU per request {r.cpu_ratio:.0%})",
            f"p99 {r.p99_ms:.1f} ms {'MET' if r.p99_ms < 50 else 'NOT MET'}",
        ]
        if report is not None:
            # Flat: within 5 % of the first sample, and under 2 MiB of growth after the
            # first 10 s of load (allocator and caches settle in the first seconds).
            grew = report.end_mib - report.after_10s_mib
            flat = report.end_mib <= report.start_mib * 1.05 and grew <= 2.0
            verdicts.append(
                f"RSS {report.start_mib:.1f} -> {report.end_mib:.1f} MiB over "
                f"{report.seconds:.0f} s of token load {'MET' if flat else 'NOT MET'}"
            )
        print(f"  {r.backend:9} " + "; ".join(verdicts))
    print_lifecycle_targets(rows)
    print_peer_comparison(rows)


def print_peer_comparison(rows: list[Row]) -> None:
    """Issue 11's target: gatehouse's server CPU per request at most the peer's (peer ÷
    gatehouse >= 1.0; the goal is 1.5 for client_credentials and 2.0 for the full flow)."""
    compared = [r for r in rows if r.peer_cpu_ratio is not None and r.peer_ratio is not None]
    if not compared:
        return
    print("\nAgainst the peer (node-oidc-provider, same load, same run): CPU µs per request")
    for r in compared:
        peer = find_row(rows, r.backend, PEER_OF[r.scenario])
        assert peer is not None and r.peer_cpu_ratio is not None and r.peer_ratio is not None
        own = r.cpu_us + (r.db_cpu_us or 0.0)
        print(
            f"  {r.backend:9} {SCENARIO_NAMES[r.scenario]:28} gatehouse {own:6.0f} µs, peer "
            f"{peer.cpu_us:6.0f} µs: peer ÷ gatehouse {r.peer_cpu_ratio:.2f} "
            f"{'MET' if r.peer_cpu_ratio >= 1.0 else 'NOT MET'} (>= 1.0); req/s gatehouse ÷ "
            f"peer {r.peer_ratio:.2f}"
        )


def print_lifecycle_targets(rows: list[Row]) -> None:
    """Issue 3's targets: client_credentials >= 70 % of its ceiling with p99 < 20 ms at half
    the rate (both readings of "half": of cc's own rate and of its ceiling's), and refresh
    with rotation >= 50 % of the client_credentials rate."""
    print(
        "\nTargets (issue): client_credentials >= 70 % of its ceiling, p99 < 20 ms at half the "
        "rate;\nrefresh with rotation >= 50 % of the client_credentials rate"
    )
    for backend in dict.fromkeys(r.backend for r in rows):
        cc = find_row(rows, backend, "cc")
        if cc is None or cc.ratio is None:
            continue
        verdicts = [
            f"cc {cc.ratio:.0%} of its ceiling {'MET' if cc.ratio >= 0.7 else 'NOT MET'} "
            f"(by CPU per request {cc.cpu_ratio or 0:.0%})"
        ]
        for scenario, what in (("cc_half", "½ cc"), ("cc_half_ceiling", "½ ceiling")):
            paced = find_row(rows, backend, scenario)
            if paced is not None:
                verdicts.append(
                    f"p99 {paced.p99_ms:.1f} ms at {what} ({paced.offered or 0:.0f}/s offered) "
                    f"{'MET' if paced.p99_ms < 20 else 'NOT MET'}"
                )
        refresh = find_row(rows, backend, "refresh")
        if refresh is not None and cc.rate:
            share = refresh.rate / cc.rate
            verdicts.append(f"refresh {share:.0%} of cc {'MET' if share >= 0.5 else 'NOT MET'}")
        print(f"  {backend:9} " + "; ".join(verdicts))


def machine_note() -> str:
    load1, load5, _ = os.getloadavg()
    model = ""
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    wrk_version = subprocess.run(
        ["wrk", "-v"], capture_output=True, text=True, check=False, timeout=10
    ).stdout.split()[:2]
    return (
        f"{os.cpu_count()} CPUs ({model}), Python {sys.version.split()[0]}, "
        f"{' '.join(wrk_version) or 'wrk ?'}; load average (1 / 5 min) {load1:.2f} / {load5:.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--duration", type=int, default=None, help="seconds per wrk run (10)")
    parser.add_argument("--runs", type=int, default=3, help="measured runs per scenario (3)")
    parser.add_argument("--rss-duration", type=int, default=None, help="RSS run seconds (60)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--quick", action="store_true", help="one short run each, for development")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--only",
        type=lambda value: set(value.split(",")),
        help="comma-separated scenarios to run (development), e.g. ceiling_cc,cc,cc_half",
    )
    parser.add_argument("--no-rss", action="store_true", help="skip the RSS run (development)")
    parser.add_argument(
        "--no-peer", action="store_true", help="skip the peer scenarios (no Node.js needed)"
    )
    args = parser.parse_args(argv)
    args.duration = args.duration or (3 if args.quick else 10)
    args.rss_duration = args.rss_duration or (10 if args.quick else 60)
    if not 1 <= args.duration <= SEGMENT_SECONDS:
        parser.error(f"--duration must be 1..{SEGMENT_SECONDS} s: codes live at most 60 s")
    if not 1 <= args.runs <= 9 or not 1 <= args.rss_duration <= 600:
        parser.error("--runs must be 1..9 and --rss-duration 1..600")
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (Debian: apt-get install wrk)")

    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    children = Children()

    def terminate(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    machine = machine_note()
    print(f"machine: {machine}")
    print(
        f"method: wrk -t1 -c{args.connections} -d{args.duration}s, one warm-up, median of "
        f"{1 if args.quick else args.runs}; {WORKERS} worker processes per server"
    )
    workdir = Path(tempfile.mkdtemp(prefix="gatehouse-bench-"))
    measurements: list[Measurement] = []
    rss_reports: list[RssReport] = []
    try:
        bench = Bench(children, workdir, args.connections)
        with (
            nullcontext(None) if args.no_peer else peers(children, workdir, WORKERS, _free_port)
        ) as peer:
            bench.peer = peer
            if peer is not None:
                print(f"peer: client_credentials {peer.cc_url}, flows {peer.flow_url}")
            for backend in backends:
                ms, rss = run_backend(bench, children, backend, args)
                measurements += ms
                if rss is not None:
                    rss_reports.append(rss)
    except KeyboardInterrupt:
        print("\ninterrupted: stopping everything this run started")
        return 130
    except BenchError as exc:
        print(f"\nbench failed: {exc}")
        return 1
    finally:
        children.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)

    rows = summarize(measurements)
    print_table(rows, rss_reports)
    print(f"\nmachine after the run: {machine_note()}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": machine,
                    "rows": [asdict(r) for r in rows],
                    "runs": [asdict(m) for m in measurements],
                    "rss": [asdict(r) for r in rss_reports],
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
