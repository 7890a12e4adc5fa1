"""A DPoP-bound client_credentials request (RFC 9449) against its ceiling, on loopback.

    .venv/bin/python bench/dpop.py [--backend sqlite|postgres|both] [--duration 10] [--quick]

Starts gatehouse and the ceiling app as bench/run.py does (its ``servers``: provisioned
client, 2 workers each), then, after one warm-up of each, runs three rounds of

    ceiling-cc-dpop  POST /token client_credentials with a DPoP proof on the bare app: the
                     proof's signature checked with its own key, one ES256 token with cnf.jkt
    cc               POST /token client_credentials on gatehouse, no proof (a bearer token)
    cc-dpop          the same with a DPoP proof: every check of RFC 9449 §4.3, the jti
                     written to the database, a token bound to the key

with ``wrk -t1 -c64`` and reports medians: successful req/s, server CPU µs per request,
p50/p99, and the ratio to the ceiling. A proof is good once and for 60 s, so the proofs of
each run are signed just before it (one ES256 key, a new jti each), sized from the rate
measured before; a run that uses them up stops early and says so.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

# bench/ is on the path: these scripts run as `python bench/dpop.py`.
from harness import BenchError, Children, build_script
from run import WORKERS, Bench, Measurement, Servers, machine_note, servers

PROOF_MARGIN = 1.5
MAX_PROOFS = 120_000  # about 30 s of signing: the last proof must still be under 60 s old
MAX_SECONDS = 20  # proofs live 60 s: the signing plus the run must fit well within it


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


class DPoPBench:
    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        bench.scripts["cc_dpop"] = build_script("cc_dpop", bench.workdir)
        self.maker = ProofMaker()
        self.rate_estimate = 2000.0

    def _proofs(self, url: str, seconds: int) -> Path:
        wanted = min(MAX_PROOFS, math.ceil(self.rate_estimate * seconds * PROOF_MARGIN) + 500)
        path = self.bench.workdir / "proofs.txt"
        took = self.maker.write(path, f"{url}/token", wanted)
        print(f"    signed {wanted} proofs in {took:.1f} s", flush=True)
        return path

    def ceiling(self, s: Servers, seconds: int) -> Measurement:
        c = s.credentials
        proofs = self.bench.workdir / "ceiling-proofs.txt"
        if not proofs.exists():
            self.maker.write(proofs, f"{s.ceiling_url}/token", 1000)
        args = [str(proofs), c.daemon_authorization, c.cc_body, "cycle"]
        return self.bench.measure(
            s, "ceiling_cc_dpop", s.ceiling_url, s.ceiling_pid, "cc_dpop", args, seconds
        )

    def bearer(self, s: Servers, seconds: int) -> Measurement:
        return self.bench.cc(s, seconds)

    def dpop(self, s: Servers, seconds: int) -> Measurement:
        c = s.credentials
        proofs = self._proofs(s.base_url, seconds)
        args = [str(proofs), c.daemon_authorization, c.cc_body]
        m = self.bench.measure(s, "cc_dpop", s.base_url, s.gatehouse_pid, "cc_dpop", args, seconds)
        rate = m.ok / m.seconds if m.seconds else 0.0
        self.rate_estimate = rate * (1.5 if m.exhausted else 1.0) or self.rate_estimate
        if m.exhausted:
            print(f"    the proofs ran out after {m.seconds:.1f} s: rate is over that time")
        return m


def run_backend(
    dpop: DPoPBench, children: Children, backend: str, args: argparse.Namespace
) -> list[Measurement]:
    runs = 1 if args.quick else args.runs
    warmup = 2 if args.quick else args.duration
    measured: list[Measurement] = []
    with servers(children, backend, dpop.bench.workdir) as s:
        print(f"\n== {backend}: gatehouse {s.base_url}, ceiling {s.ceiling_url}", flush=True)
        scenarios = [("ceiling_cc_dpop", dpop.ceiling), ("cc", dpop.bearer), ("cc_dpop", dpop.dpop)]
        for name, scenario in scenarios:
            print(f"  warm-up {name}", flush=True)
            scenario(s, warmup)
        for round_number in range(runs):
            for name, scenario in scenarios:
                m = scenario(s, args.duration)
                print(
                    f"  round {round_number + 1} {name}: {m.rate:.0f} req/s, "
                    f"{m.cpu_us:.0f} µs CPU/req, p50 {m.p50_ms:.1f} ms, p99 {m.p99_ms:.1f} ms, "
                    f"{m.bad} errors",
                    flush=True,
                )
                measured.append(m)
    return measured


def table(measured: list[Measurement]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for backend, scenario in dict.fromkeys((m.backend, m.scenario) for m in measured):
        ms = [m for m in measured if (m.backend, m.scenario) == (backend, scenario)]
        db = [m.db_cpu_us for m in ms if m.db_cpu_us is not None]
        rows.append(
            {
                "backend": backend,
                "scenario": scenario,
                "rate": statistics.median(m.rate for m in ms),
                "cpu_us": statistics.median(m.cpu_us for m in ms),
                "db_cpu_us": statistics.median(db) if db else None,
                "p50_ms": statistics.median(m.p50_ms for m in ms),
                "p99_ms": statistics.median(m.p99_ms for m in ms),
                "bad": sum(m.bad for m in ms),
            }
        )
    for row in rows:
        ceiling = next(
            (
                r
                for r in rows
                if (r["backend"], r["scenario"]) == (row["backend"], "ceiling_cc_dpop")
            ),
            None,
        )
        row["ratio"] = row["rate"] / ceiling["rate"] if ceiling and ceiling["rate"] else None
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    print(f"\n{'backend':8} {'scenario':16} {'req/s':>7} {'µs CPU':>7} {'db µs':>6} "
          f"{'p50 ms':>7} {'p99 ms':>7} {'errors':>6} {'of ceiling':>10}")  # fmt: skip
    for r in rows:
        db = f"{r['db_cpu_us']:.0f}" if r["db_cpu_us"] is not None else "-"
        ratio = f"{r['ratio']:.0%}" if r["ratio"] is not None else "-"
        print(
            f"{r['backend']:8} {r['scenario']:16} {r['rate']:7.0f} {r['cpu_us']:7.0f} {db:>6} "
            f"{r['p50_ms']:7.1f} {r['p99_ms']:7.1f} {r['bad']:6d} {ratio:>10}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--duration", type=int, default=None, help="seconds per wrk run (10)")
    parser.add_argument("--runs", type=int, default=3, help="measured runs per scenario (3)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--quick", action="store_true", help="one short run each, for development")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    args.duration = args.duration or (3 if args.quick else 10)
    if not 1 <= args.duration <= MAX_SECONDS or not 1 <= args.runs <= 9:
        parser.error(f"--duration must be 1..{MAX_SECONDS} s and --runs 1..9")
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
    workdir = Path(tempfile.mkdtemp(prefix="gatehouse-bench-dpop-"))
    measured: list[Measurement] = []
    try:
        dpop = DPoPBench(Bench(children, workdir, args.connections))
        for backend in backends:
            measured += run_backend(dpop, children, backend, args)
    except KeyboardInterrupt:
        print("\ninterrupted: stopping everything this run started")
        return 130
    except BenchError as exc:
        print(f"\nbench failed: {exc}")
        return 1
    finally:
        children.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    rows = table(measured)
    print_table(rows)
    print(f"\nmachine after the run: {machine_note()}")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
