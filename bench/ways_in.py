"""Every other way in (issue 13): device polling, an on-behalf-of token exchange and a
DPoP-bound client_credentials request, each against its ceiling, on loopback.

    .venv/bin/python bench/ways_in.py [--backend sqlite|postgres|both] [--duration 10]
                                      [--quick] [--json FILE]

For each backend it starts gatehouse and the ceiling app as bench/run.py does (its
``servers``: two workers each, provisioned by bench/provision.py, with ``provision_ways_in``
too), then, after one warm-up of each scenario, runs three interleaved rounds of
``wrk -t1 -c64 -d10s`` and reports medians (successful req/s, server CPU µs per request,
p50/p99, errors, the ratio to the ceiling):

    ceiling_device    POST /token device_code on the bare app: the form parsed, one SELECT
                      of the code's hash from an SQLite table, one UPDATE of its last poll,
                      400 authorization_pending (bench/ceiling_app.py)
    device            the same poll on gatehouse, by a public client, for codes nobody
                      approves: the ordinary pending answer (RFC 8628 §3.5)
    ceiling_exchange  POST /token token-exchange on the bare app: the client's secret, one
                      ES256 verification of the subject token, one ES256 token with act
    exchange          on-behalf-of on gatehouse (RFC 8693): the middle API's client presents
                      one user's token for the middle API (the same token every time) and
                      gets a token for the downstream API, with every check and its audit event
    ceiling_cc_dpop   POST /token client_credentials with a DPoP proof on the bare app: the
                      proof's signature checked with its own key, one ES256 token with cnf.jkt
    cc                client_credentials on gatehouse without a proof (a bearer token), to
                      show what the proof adds
    cc_dpop           the same with a DPoP proof: every check of RFC 9449 §4.3, the jti
                      written to the database, a token bound to the key

Device polling: a poll answered pending is the steady state, but a code polled sooner than
its interval is told slow_down, with its interval raised for good. So gatehouse runs with
GATEHOUSE_DEVICE_POLL_INTERVAL=1 (the minimum) and GATEHOUSE_DEVICE_CODE_LIFETIME=30
minutes (the pool outlives one backend's run), and the polls rotate through a pool of codes
minted for the purpose (wrk against /device_authorization). The Lua script holds a request
back until the code it carries was last sent POLL_GAP (2) seconds ago: a second more than
the interval, for requests reordered in flight. The pool is sized for 1.25 times the
ceiling's rate at that gap, so the hold-back does not bind at gatehouse's rate; a run that
comes near the pool's capacity says so, and the pool grows before the next one. A
slow_down, or any answer but authorization_pending, counts as an error.

DPoP: a proof is good once and for 60 s, so the proofs of each run are signed just before it
(one ES256 key, a new jti each), sized from the rate measured before; a run that uses them
up stops early and says so. The ceiling, which remembers no jti, cycles 1,000 proofs.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

# bench/ is on the path: these scripts run as `python bench/ways_in.py`.
from ceiling_app import (
    DEVICE_CLIENT_ID,
    DEVICE_CODE_GRANT,
    DOWNSTREAM_API,
    DOWNSTREAM_SCOPE,
    MIDDLE_CLIENT_ID,
    TOKEN_EXCHANGE_GRANT,
)
from harness import BenchError, Children, build_script, run_wrk
from provision import basic_authorization, obo_subject_token, provision_ways_in
from run import (
    WORKERS,
    Bench,
    Measurement,
    Row,
    Servers,
    find_row,
    machine_note,
    print_rows,
    run_rounds,
    servers,
    summarize,
)

POLL_GAP = 2  # seconds between two polls of one device code (the interval is 1)
POOL_MARGIN = 1.25
MAX_POOL = 100_000
PROOF_MARGIN = 1.5
MAX_PROOFS = 120_000  # about 30 s of signing: the last proof must still be under 60 s old
MAX_SECONDS = 20  # proofs live 60 s: the signing plus the run must fit well within it
SETTINGS = {"GATEHOUSE_DEVICE_POLL_INTERVAL": "1", "GATEHOUSE_DEVICE_CODE_LIFETIME": "1800"}
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"

SCENARIO_NAMES = {
    "ceiling_device": "ceiling device poll",
    "device": "device poll (pending)",
    "ceiling_exchange": "ceiling token exchange",
    "exchange": "token exchange (on-behalf-of)",
    "ceiling_cc_dpop": "ceiling cc with DPoP",
    "cc": "client_credentials (bearer)",
    "cc_dpop": "client_credentials with DPoP",
}
CEILING_OF = {
    "device": "ceiling_device",
    "exchange": "ceiling_exchange",
    "cc_dpop": "ceiling_cc_dpop",
}


class ProofMaker:
    """One client key; proofs for POST <url>/token, each with a new jti and iat now."""

    def __init__(self) -> None:
        from joserfc.jwk import ECKey

        self.key = ECKey.generate_key("P-256", private=True)
        self.header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": self.key.as_dict(private=False)}

    def write(self, path: Path, url: str, count: int) -> float:
        """``count`` proofs for ``url``, one a line; the seconds the signing took."""
        from joserfc import jwt
        from joserfc.jws import JWSRegistry

        class Registry(JWSRegistry):
            max_header_length = 4096

        registry = Registry(algorithms=["ES256"])
        started = time.monotonic()
        now = int(time.time())
        with path.open("w") as out:
            for _ in range(count):
                claims = {"jti": uuid.uuid4().hex, "htm": "POST", "htu": url, "iat": now}
                out.write(jwt.encode(self.header, claims, self.key, registry=registry) + "\n")
        return time.monotonic() - started


def exchange_body(subject_token: str) -> str:
    """RFC 8693 §2.1: the middle API's request for a downstream token for the same user."""
    form = {
        "grant_type": TOKEN_EXCHANGE_GRANT,
        "subject_token": subject_token,
        "subject_token_type": ACCESS_TOKEN_TYPE,
        "audience": DOWNSTREAM_API,
        "scope": DOWNSTREAM_SCOPE,
    }
    return urlencode(form, quote_via=quote)


class WaysIn:
    """The scenarios, on one backend's servers at a time (``start`` before the first)."""

    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        for script in ("cc_dpop", "device_poll", "device_mint"):
            bench.scripts[script] = build_script(script, bench.workdir)
        self.maker = ProofMaker()
        self.poll_prefix = urlencode(
            {"grant_type": DEVICE_CODE_GRANT, "client_id": DEVICE_CLIENT_ID}, quote_via=quote
        ) + "&device_code="  # fmt: skip
        self.middle_authorization = basic_authorization(MIDDLE_CLIENT_ID)
        self.subject_token = ""  # the user's token for the middle API, once signed in
        self.pool = bench.workdir / "device-codes.txt"
        self.pool_size = 0
        self.ceiling_device_rate = 0.0
        self.device_rate = 0.0
        self.proof_rate = 2000.0

    def start(self, s: Servers) -> None:
        """A backend's fresh state: its subject token, an empty pool of device codes."""
        self.subject_token = obo_subject_token(s.base_url)
        self.pool = self.bench.workdir / f"device-codes-{s.backend}.txt"
        self.pool.write_text("")
        self.pool_size = 0
        self.ceiling_device_rate = 0.0
        self.device_rate = 0.0
        self.proof_rate = 2000.0

    def _measure(
        self, s: Servers, scenario: str, script: str, args: list[str], seconds: int
    ) -> Measurement:
        on_ceiling = scenario.startswith("ceiling_")
        url, pid = (s.ceiling_url, s.ceiling_pid) if on_ceiling else (s.base_url, s.gatehouse_pid)
        return self.bench.measure(s, scenario, url, pid, script, args, seconds)

    # -- device polling -------------------------------------------------------------------

    def ceiling_device(self, s: Servers, seconds: int) -> Measurement:
        codes = str(s.ceiling_state / "device-codes.txt")
        m = self._measure(
            s, "ceiling_device", "device_poll", [codes, self.poll_prefix, "0"], seconds
        )
        self.ceiling_device_rate = m.rate
        return m

    def device(self, s: Servers, seconds: int) -> Measurement:
        expected = max(self.ceiling_device_rate, self.device_rate * 1.5, 1000.0)
        self._grow_pool(s, min(MAX_POOL, math.ceil(expected * POLL_GAP * POOL_MARGIN) + 500))
        args = [str(self.pool), self.poll_prefix, str(POLL_GAP)]
        m = self._measure(s, "device", "device_poll", args, seconds)
        self.device_rate = m.rate
        capacity = self.pool_size / POLL_GAP
        if m.rate > 0.9 * capacity:
            print(f"    the pool of {self.pool_size} codes may have held the rate back "
                  f"(at most {capacity:.0f}/s); it grows for the next run")  # fmt: skip
        return m

    def _grow_pool(self, s: Servers, wanted: int) -> None:
        if self.pool_size >= wanted:
            return
        count = wanted - self.pool_size
        form = urlencode({"client_id": DEVICE_CLIENT_ID, "scope": "openid"}, quote_via=quote)
        result = run_wrk(
            self.bench.children, s.base_url, self.bench.scripts["device_mint"],
            [str(self.pool), str(count), form], seconds=120, connections=self.bench.connections,
        )  # fmt: skip
        self.pool_size = sum(1 for _ in self.pool.open())
        print(f"    minted {result.step} device codes in {result.seconds:.1f} s "
              f"(pool {self.pool_size}, {result.bad} refused)", flush=True)  # fmt: skip
        if self.pool_size < wanted:
            raise BenchError(f"only {self.pool_size} of {wanted} device codes could be minted")

    # -- token exchange -------------------------------------------------------------------

    def ceiling_exchange(self, s: Servers, seconds: int) -> Measurement:
        subject = (s.ceiling_state / "subject-token.txt").read_text().strip()
        args = [self.middle_authorization, exchange_body(subject)]
        return self._measure(s, "ceiling_exchange", "cc", args, seconds)

    def exchange(self, s: Servers, seconds: int) -> Measurement:
        args = [self.middle_authorization, exchange_body(self.subject_token)]
        return self._measure(s, "exchange", "cc", args, seconds)

    # -- DPoP-bound client_credentials ----------------------------------------------------

    def ceiling_cc_dpop(self, s: Servers, seconds: int) -> Measurement:
        c = s.credentials
        proofs = self.bench.workdir / f"ceiling-proofs-{s.backend}.txt"
        if not proofs.exists():
            self.maker.write(proofs, f"{s.ceiling_url}/token", 1000)
        args = [str(proofs), c.daemon_authorization, c.cc_body, "cycle"]
        return self._measure(s, "ceiling_cc_dpop", "cc_dpop", args, seconds)

    def cc(self, s: Servers, seconds: int) -> Measurement:
        return self.bench.cc(s, seconds)

    def cc_dpop(self, s: Servers, seconds: int) -> Measurement:
        c = s.credentials
        wanted = min(MAX_PROOFS, math.ceil(self.proof_rate * seconds * PROOF_MARGIN) + 500)
        proofs = self.bench.workdir / "proofs.txt"
        took = self.maker.write(proofs, f"{s.base_url}/token", wanted)
        print(f"    signed {wanted} proofs in {took:.1f} s", flush=True)
        m = self._measure(s, "cc_dpop", "cc_dpop", [str(proofs), c.daemon_authorization,
                                                     c.cc_body], seconds)  # fmt: skip
        self.proof_rate = m.rate * (1.5 if m.exhausted else 1.0) or self.proof_rate
        if m.exhausted:
            print(f"    the proofs ran out after {m.seconds:.1f} s: rate is over that time")
        return m

    def scenarios(self) -> list[tuple[str, Callable[[Servers, int], Measurement]]]:
        """In the order they run: each ceiling before the scenario it bounds (the device pool
        is sized from its ceiling's rate)."""
        return [(name, getattr(self, name)) for name in SCENARIO_NAMES]


def run_backend(
    ways: WaysIn, children: Children, backend: str, args: argparse.Namespace
) -> list[Measurement]:
    runs = 1 if args.quick else args.runs
    warmup = 2 if args.quick else args.duration
    measured: list[Measurement] = []
    with servers(
        children, backend, ways.bench.workdir, settings=SETTINGS,
        extra_provisioning=provision_ways_in,
    ) as s:  # fmt: skip
        print(f"\n== {backend}: gatehouse {s.base_url}, ceiling {s.ceiling_url}", flush=True)
        ways.start(s)
        scenarios = ways.scenarios()
        if args.only:
            scenarios = [(name, run) for name, run in scenarios if name in args.only]
        measured += run_rounds(s, scenarios, warmup, runs, args.duration)
    return measured


def print_table(rows: list[Row]) -> None:
    print_rows(rows, SCENARIO_NAMES, errors="errors")
    print(
        "\nMedians of the measured runs. req/s and CPU µs are per successful request (for "
        "the device polls, per\nauthorization_pending answer); errors: every other answer "
        "and socket error, summed over the runs.\n÷ceiling: req/s ratio to the scenario's "
        "ceiling; CPU ÷ceil: ceiling CPU ÷ (server + DB) CPU."
    )
    for backend in dict.fromkeys(r.backend for r in rows):
        bearer, bound = find_row(rows, backend, "cc"), find_row(rows, backend, "cc_dpop")
        if bearer is not None and bound is not None:
            extra = bound.cpu_us + (bound.db_cpu_us or 0) - bearer.cpu_us - (bearer.db_cpu_us or 0)
            print(f"  {backend}: a DPoP proof adds {extra:.0f} µs of CPU per client_credentials "
                  f"request ({bound.rate / bearer.rate:.0%} of the bearer rate)")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--duration", type=int, default=None, help="seconds per wrk run (10)")
    parser.add_argument("--runs", type=int, default=3, help="measured runs per scenario (3)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--quick", action="store_true", help="one short run each, for development")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--only",
        type=lambda value: set(value.split(",")),
        help=f"comma-separated scenarios to run (development): {','.join(SCENARIO_NAMES)}",
    )
    args = parser.parse_args(argv)
    args.duration = args.duration or (3 if args.quick else 10)
    if not 1 <= args.duration <= MAX_SECONDS or not 1 <= args.runs <= 9:
        parser.error(f"--duration must be 1..{MAX_SECONDS} s and --runs 1..9")
    if args.only and not args.only <= SCENARIO_NAMES.keys():
        parser.error(f"--only takes {', '.join(SCENARIO_NAMES)}")
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (Debian: apt-get install wrk)")

    def terminate(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    machine = machine_note()
    print(f"machine: {machine}")
    print(f"method: wrk -t1 -c{args.connections} -d{args.duration}s, one warm-up, median of "
          f"{1 if args.quick else args.runs}; {WORKERS} worker processes per server")  # fmt: skip
    children = Children()
    workdir = Path(tempfile.mkdtemp(prefix="gatehouse-bench-ways-in-"))
    measured: list[Measurement] = []
    try:
        ways = WaysIn(Bench(children, workdir, args.connections))
        for backend in backends:
            measured += run_backend(ways, children, backend, args)
    except KeyboardInterrupt:
        print("\ninterrupted: stopping everything this run started")
        return 130
    except BenchError as exc:
        print(f"\nbench failed: {exc}")
        return 1
    finally:
        children.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    rows = summarize(measured, CEILING_OF)
    print_table(rows)
    print(f"\nmachine after the run: {machine_note()}")
    if args.json:
        report = {"machine": machine, "rows": [asdict(r) for r in rows],
                  "runs": [asdict(m) for m in measured]}  # fmt: skip
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
