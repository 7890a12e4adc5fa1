"""Tenants at scale (issue 14): 100 tenants of 10,000 people each against one tenant of
10,000, on PostgreSQL. Token and sign-in rates, CPU per request, database time, memory.

    .venv/bin/python bench/tenants_scale.py [--prepare] [--data-dir DIR] [--duration 10]
                                            [--runs 3] [--quick] [--only cc,signin,refresh]

Two databases of the same shape on one PostgreSQL server whose data directory is kept
(``--data-dir``), so only the first run (or ``--prepare``) fills them:

single  the default tenant: the bench's API and clients, as bench/provision.py makes them
        for bench/run.py, and 10,000 people;
multi   100 tenants t000..t099, each created by gatehouse's own `tenant create` (its own
        signing keys) and provisioned exactly like single's default tenant, with 10,000
        people each: 1,000,000 people.

The API, clients and grants go through gatehouse's CLI (in this process: 900 process starts
would take most of the preparation). The people are written in bulk into the users table
(SQLAlchemy Core executemany over the storage layer's table and record columns), every one
with the same argon2id hash of one known password, computed once with the server's
parameters: a sign-in verifies a hash of the same cost whichever hash it is. Each database
is VACUUM ANALYZEd and marked (a comment on the database naming the shape and the hash
parameters); a database without the right mark is prepared again.

Then both servers run side by side (`gatehouse serve --workers 2` each, as bench/run.py),
and after one warm-up of each scenario, three rounds of (single, multi) alternated:

cc       POST /token client_credentials as bench-daemon for the bench API (bench/run.py's cc);
         on multi the requests go round robin through the 100 tenants' /t/{name}/token.
signin   POST /login of a person picked at random from the whole population (any tenant on
         multi), for pre-minted interactions of the first-party client (no consent page):
         counted when gatehouse answers 303 to the client with a code (bench/people.py's
         sign-in, with 8 connections).
refresh  POST /token refresh_token with rotation (bench/run.py's refresh), from a pool of
         offline refresh tokens of people of every tenant; each rotated token goes back to
         its own tenant's token endpoint.

Medians of successful req/s, server CPU µs per request, PostgreSQL CPU µs per request, the
ratio multi ÷ single, and the workers' RSS after start-up and after the run. Everything binds
127.0.0.1; the servers, wrk and PostgreSQL are stopped on exit (PostgreSQL cleanly: its data
directory is kept). docs/benchmarks.md, "Tenants at scale (issue 14)".
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))  # tests.support.postgres

from ceiling_app import DAEMON_CLIENT_ID  # noqa: E402
from harness import (  # noqa: E402
    CLOCK_TICK_US,
    BenchError,
    Children,
    build_script,
    cpu_ticks,
    rss_bytes,
    wait_until_serving,
    worker_pids,
)
from provision import (  # noqa: E402
    CC_SCOPE,
    CODE_VERIFIER,
    PASSWORD,
    REDIRECT_URI,
    REFRESH_CLIENT_ID,
    REFRESH_SCOPE,
    Cli,
    Credentials,
    authorize_path,
    basic_authorization,
    open_login_page,
    provision,
)
from run import (  # noqa: E402
    WORKERS,
    Bench,
    Measurement,
    Servers,
    _free_port,
    _gatehouse_bin,
    find_row,
    machine_note,
    run_rounds,
    summarize,
)

DATA_VERSION = 1  # bump when what a prepared database holds changes
TENANTS = 100
PEOPLE = 10_000  # per tenant
SECRET_KEY = "bench-key-encryption-key-0123456789abcdefghijkl"  # a throwaway database's
DEFAULT_DATA_DIR = Path("/var/tmp/gatehouse-bench-tenants")
SIGNIN_CONNECTIONS = 8  # as bench/people.py
REFRESH_POOL_PER_CONNECTION = 8  # as bench/run.py
REFRESH_PEOPLE = 100  # whose sessions mint the refresh tokens
SCENARIOS = ("cc", "signin", "refresh")
# A first-party authorization request: its sign-ins end in a code for the refresh client.
LOGIN_PATH = authorize_path(REFRESH_CLIENT_ID, REFRESH_SCOPE)
NAMES = {
    "cc": "client_credentials",
    "signin": "sign-in (POST /login)",
    "refresh": "refresh (rotation)",
}


@dataclass(frozen=True)
class Shape:
    """What one prepared database holds."""

    database: str  # the PostgreSQL database's name, and the run's label
    tenants: tuple[str, ...]  # the tenants the load goes to
    people: int  # per tenant

    def mark(self, hash_parameters: str) -> str:
        return (
            f"gatehouse bench/tenants_scale.py v{DATA_VERSION}: {len(self.tenants)} tenant(s) "
            f"of {self.people} people; argon2id {hash_parameters}"
        )

    def prefix(self, tenant: str) -> str:
        return "" if tenant == "default" else f"/t/{tenant}"


def shapes(tenants: int, people: int) -> tuple[Shape, Shape]:
    return (
        Shape("single", ("default",), people),
        Shape("multi", tuple(f"t{i:03d}" for i in range(tenants)), people),
    )


def login_name(i: int) -> str:
    return f"person{i:05d}"


# -- preparing the databases --------------------------------------------------------------------


class InProcessCli(Cli):
    """bench/provision.py's ``Cli``, run in this process on one tenant (``gatehouse --tenant``):
    900 `gatehouse` process starts would take most of the preparation."""

    def __init__(self, env: dict[str, str], log: Path, tenant: str) -> None:
        super().__init__(Path("gatehouse"), env, log)
        self.tenant = tenant

    def __call__(self, *args: str, stdin: str | None = None) -> None:
        from click.testing import CliRunner

        from gatehouse.cli.main import cli

        argv = [*([] if self.tenant == "default" else ["--tenant", self.tenant]), *args]
        result = CliRunner().invoke(cli, argv, input=stdin, env=self.env)
        with self.log.open("a") as out:
            out.write(f"$ gatehouse {' '.join(argv[:4])} ...\n{result.output}\n")
        if result.exit_code != 0:
            raise BenchError(f"gatehouse {' '.join(argv[:4])} failed; see {self.log}")


def bench_env(url: str, base_url: str = "http://127.0.0.1:1") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    env.update(
        GATEHOUSE_DATABASE_URL=url, GATEHOUSE_SECRET_KEY=SECRET_KEY, GATEHOUSE_ISSUER=base_url
    )
    return env


def hash_parameters(url: str) -> tuple[str, str]:
    """The server's argon2id parameters, and one hash of the bench password with them."""
    from gatehouse.accounts.passwords import Passwords
    from gatehouse.settings import Settings

    settings = Settings(database_url=url)
    cost, memory = settings.password_hash_time_cost, settings.password_hash_memory_kib
    return f"t={cost} m={memory}KiB", Passwords(cost, memory).hash(PASSWORD)


def mark_of(admin_url: str, database: str) -> str | None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            (database,),
        ).fetchone()
    return None if row is None else row[0]


def prepare(server: Any, shape: Shape, workdir: Path, force: bool) -> None:
    """The database of ``shape``, filled unless it already holds it (its mark)."""
    import psycopg

    url = server.url(shape.database)
    parameters, password_hash = hash_parameters(url)
    mark = shape.mark(parameters)
    if not force and mark_of(server.admin_url, shape.database) == mark:
        print(f"  {shape.database}: prepared already ({mark})", flush=True)
        return
    started = time.monotonic()
    with psycopg.connect(server.admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{shape.database}"')
        conn.execute(f'CREATE DATABASE "{shape.database}"')
    env = bench_env(url)
    log = workdir / f"prepare-{shape.database}.log"
    for tenant in shape.tenants:
        if tenant != "default":
            InProcessCli(env, log, "default")("tenant", "create", tenant)
        provision(InProcessCli(env, log, tenant))
    provisioned = time.monotonic()
    print(f"  {shape.database}: {len(shape.tenants)} tenant(s) created and provisioned in "
          f"{provisioned - started:.0f} s", flush=True)  # fmt: skip
    for i, tenant in enumerate(shape.tenants):
        add_people(url, tenant, shape.people, password_hash)
        if (i + 1) % 10 == 0:
            print(f"    people of {i + 1} tenants written", flush=True)
    written = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    with psycopg.connect(server.admin_url, autocommit=True) as conn:
        conn.execute(f'COMMENT ON DATABASE "{shape.database}" IS {quote_literal(mark)}')
    print(f"  {shape.database}: {len(shape.tenants) * shape.people} people written in "
          f"{written - provisioned:.0f} s, VACUUM ANALYZE {time.monotonic() - written:.0f} s; "
          f"prepared in {time.monotonic() - started:.0f} s", flush=True)  # fmt: skip


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def add_people(url: str, tenant: str, count: int, password_hash: str) -> None:
    """``count`` people of ``tenant`` (person00000, person00001, ... with an address at the
    tenant's domain), all with ``password_hash``: the rows `gatehouse user create` writes,
    in one executemany."""
    from gatehouse.storage.records import User, normalized_login
    from gatehouse.storage.sql import tables as t
    from gatehouse.storage.sql.database import Database
    from gatehouse.storage.sql.users import USER

    now = int(time.time())
    rows = []
    for i in range(count):
        username = login_name(i)
        email = f"{username}@{tenant}.bench.example"
        user = User(
            id=str(uuid.uuid4()), username=username, email=email, email_verified=True,
            name=f"Person {i} of {tenant}", given_name=None, family_name=None,
            phone_number=None, phone_number_verified=False, address=None,
            password_hash=password_hash, disabled=False, password_changed_at=now,
            created_at=now, updated_at=now,
        )  # fmt: skip
        rows.append(
            USER.values(
                user,
                tenant_id=tenant,
                username_normalized=normalized_login(username),
                email_normalized=normalized_login(email),
            )
        )
    db = Database(url)
    try:
        with db.write() as conn:
            conn.execute(t.users.insert(), rows)
    finally:
        db.dispose()


# -- the servers ------------------------------------------------------------------------------


@contextmanager
def postgres(data_dir: Path) -> Iterator[Any]:
    from tests.support.postgres import start_postgres

    server = start_postgres(root=data_dir)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def serving(children: Children, server: Any, shape: Shape, workdir: Path) -> Iterator[Servers]:
    """`gatehouse serve --workers 2` over the database of ``shape`` (migrated first)."""
    gatehouse = _gatehouse_bin()
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = bench_env(server.url(shape.database), base_url)
    log = workdir / f"gatehouse-{shape.database}.log"
    Cli(gatehouse, env, log)("migrate")
    with log.open("a") as out:
        proc = children.start(
            [str(gatehouse), "serve", "--host", "127.0.0.1", "--port", str(port),
             "--workers", str(WORKERS)],
            env=env,
            stdout=out,
        )  # fmt: skip
    try:
        wait_until_serving(proc, port, WORKERS, log)
        postmaster = int((server.data_dir / "postmaster.pid").read_text().split()[0])
        cc_body = urlencode(
            {"grant_type": "client_credentials", "scope": CC_SCOPE}, quote_via=quote
        )
        credentials = Credentials(
            session_cookie="", basic_authorization="", authorize_path="",
            redirect_uri_form="", code_verifier=CODE_VERIFIER,
            daemon_authorization=basic_authorization(DAEMON_CLIENT_ID), cc_body=cc_body,
            refresh_authorization=basic_authorization(REFRESH_CLIENT_ID),
        )  # fmt: skip
        # No ceiling here: the single database is what multi is compared with.
        yield Servers(
            backend=shape.database, base_url=base_url, ceiling_url=base_url,
            gatehouse_pid=proc.pid, ceiling_pid=proc.pid, ceiling_state=workdir,
            db_pid=postmaster, credentials=credentials,
        )  # fmt: skip
    finally:
        children.stop(proc)


# -- the scenarios ----------------------------------------------------------------------------


class Scale:
    """The scenarios, for the servers of both shapes."""

    def __init__(self, children: Children, workdir: Path, connections: int) -> None:
        self.workdir = workdir
        self.bench = Bench(children, workdir, connections)
        self.signins = Bench(children, workdir, SIGNIN_CONNECTIONS)
        for bench in (self.bench, self.signins):
            for script in ("cc_paths", "signin", "refresh_paths"):
                bench.scripts[script] = build_script(script, workdir)
        self.shapes: dict[str, Shape] = {}
        self.signin_rate = 60.0
        self.sessions: dict[str, list[tuple[str, str]]] = {}
        self.random = random.Random(14)

    def cc(self, s: Servers, seconds: int) -> Measurement:
        shape = self.shapes[s.backend]
        paths = self.workdir / f"cc-paths-{s.backend}.txt"
        paths.write_text("".join(f"{shape.prefix(t)}/token\n" for t in shape.tenants))
        c = s.credentials
        args = [str(paths), c.daemon_authorization, c.cc_body]
        return self.bench.measure(s, "cc", s.base_url, s.gatehouse_pid, "cc_paths", args, seconds)

    def signin(self, s: Servers, seconds: int) -> Measurement:
        count = int(self.signin_rate * seconds * 1.5) + 50
        attempts = self.workdir / f"signin-{s.backend}.txt"
        self.mint_interactions(s, count, attempts)
        m = self.signins.measure(
            s, "signin", s.base_url, s.gatehouse_pid, "signin", [str(attempts)], seconds
        )
        if m.exhausted:
            print(f"    the interactions ran out after {m.seconds:.1f} s")
        self.signin_rate = max(self.signin_rate, m.rate * (1.5 if m.exhausted else 1.0))
        return m

    def mint_interactions(self, s: Servers, count: int, target: Path) -> None:
        """``count`` browsers that opened a login page, each of a person picked at random
        from the whole population: one line each, Cookie TAB form body TAB login path."""
        import httpx

        shape = self.shapes[s.backend]
        picks = [
            (self.random.choice(shape.tenants), self.random.randrange(shape.people))
            for _ in range(count)
        ]

        def mint(batch: list[tuple[int, tuple[str, int]]]) -> list[str]:
            lines = []
            with httpx.Client(base_url=s.base_url, follow_redirects=False, timeout=30) as http:
                for n, (tenant, person) in batch:
                    http.cookies.clear()
                    prefix = shape.prefix(tenant)
                    interaction, csrf = open_login_page(http, LOGIN_PATH + f"&state=m{n}", prefix)
                    cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
                    form = {"csrf_token": csrf, "interaction": interaction}
                    body = urlencode({**form, "login": login_name(person), "password": PASSWORD})
                    lines.append(f"{cookie}\t{body}\t{prefix}/login")
            return lines

        numbered = list(enumerate(picks))
        batches = [numbered[i::4] for i in range(4)]
        with ThreadPoolExecutor(4) as pool:
            lines = [line for batch in pool.map(mint, batches) for line in batch]
        self.random.shuffle(lines)
        target.write_text("\n".join(lines) + "\n")

    def refresh(self, s: Servers, seconds: int) -> Measurement:
        pool = self.workdir / f"refresh-{s.backend}.txt"
        self.mint_refresh_tokens(s, self.bench.connections * REFRESH_POOL_PER_CONNECTION, pool)
        args = [str(pool), s.credentials.refresh_authorization]
        m = self.bench.measure(
            s, "refresh", s.base_url, s.gatehouse_pid, "refresh_paths", args, seconds
        )
        if m.exhausted:
            print(f"    the refresh tokens all failed after {m.seconds:.1f} s")
        return m

    def mint_refresh_tokens(self, s: Servers, count: int, target: Path) -> None:
        """``count`` offline refresh tokens, one line each (token path TAB refresh token),
        from the SSO sessions of ``REFRESH_PEOPLE`` people picked at random (on multi, one
        person of each tenant), taken in turn: GET /authorize with the session's cookies,
        then the code redeemed. The sessions are made once per server (a sign-in each)."""
        import httpx

        sessions = self.sessions.get(s.backend) or self._sign_in_people(s)
        self.sessions[s.backend] = sessions

        def mint(numbers: range) -> list[str]:
            lines = []
            with httpx.Client(base_url=s.base_url, follow_redirects=False, timeout=30) as http:
                for n in numbers:
                    prefix, cookie = sessions[n % len(sessions)]
                    response = http.get(
                        f"{prefix}{LOGIN_PATH}&state=r{n}", headers={"Cookie": cookie}
                    )
                    token = self._redeem(http, s, prefix, response)
                    lines.append(f"{prefix}/token\t{token}")
            return lines

        with ThreadPoolExecutor(4) as pool:
            batches = pool.map(mint, [range(i, count, 4) for i in range(4)])
            lines = [line for batch in batches for line in batch]
        self.random.shuffle(lines)
        target.write_text("\n".join(lines) + "\n")

    def _sign_in_people(self, s: Servers) -> list[tuple[str, str]]:
        """SSO sessions of people picked at random: (login path prefix, Cookie header)."""
        import httpx

        shape = self.shapes[s.backend]
        tenants = shape.tenants * (REFRESH_PEOPLE // len(shape.tenants) or 1)
        sessions = []
        with httpx.Client(base_url=s.base_url, follow_redirects=False, timeout=30) as http:
            for n, tenant in enumerate(tenants):
                http.cookies.clear()
                prefix = shape.prefix(tenant)
                interaction, csrf = open_login_page(http, LOGIN_PATH + f"&state=p{n}", prefix)
                person = login_name(self.random.randrange(shape.people))
                form = {"csrf_token": csrf, "interaction": interaction}
                response = http.post(
                    f"{prefix}/login", data={**form, "login": person, "password": PASSWORD}
                )
                self._redeem(http, s, prefix, response)
                cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
                sessions.append((prefix, cookie))
        return sessions

    @staticmethod
    def _redeem(http: Any, s: Servers, prefix: str, response: Any) -> str:
        """The refresh token for the code ``response`` redirects to the client with."""
        location = response.headers.get("location", "")
        code = parse_qs(urlsplit(location).query).get("code", [""])[0]
        if response.status_code != 303 or not code:
            raise BenchError(f"refresh minting: {response.status_code} {location[:80]}")
        form = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": REDIRECT_URI, "code_verifier": CODE_VERIFIER}  # fmt: skip
        auth = {"Authorization": s.credentials.refresh_authorization}
        answer = http.post(f"{prefix}/token", data=form, headers=auth)
        token = answer.json().get("refresh_token") if answer.status_code == 200 else None
        if not token:
            raise BenchError(f"refresh minting: /token gave {answer.status_code}")
        return str(token)


# -- the hot queries' plans ---------------------------------------------------------------------

# With sequential scans off, the planner takes an index wherever one can serve the statement:
# a sequential scan left in a plan means no index can (tables just emptied by the preparation
# are planned as empty otherwise, and tiny ones are scanned whole).
AUTO_EXPLAIN = {
    "session_preload_libraries": "auto_explain",
    "auto_explain.log_min_duration": "0",
    "auto_explain.log_nested_statements": "on",
    "auto_explain.log_format": "json",
    "enable_seqscan": "off",
}
PLAN_START = re.compile(r" LOG:  duration: [\d.]+ ms  plan:$")


def explain(children: Children, server: Any, shape: Shape, workdir: Path, samples: int) -> None:
    """The plan PostgreSQL chose (auto_explain) for every statement that ``samples`` sign-ins,
    code redemptions, refreshes and client_credentials requests of people picked at random
    ran on ``shape``'s database; each scan with its index, flagged unless the index starts
    with tenant_id."""
    import httpx
    import psycopg

    database = f'"{shape.database}"'
    log = server.data_dir.parent / "log"
    offset = log.stat().st_size
    with psycopg.connect(server.url(shape.database), autocommit=True) as conn:
        conn.execute("ANALYZE")  # plans for the tables as the runs before left them
    with psycopg.connect(server.admin_url, autocommit=True) as conn:
        for key, value in AUTO_EXPLAIN.items():
            conn.execute(f"ALTER DATABASE {database} SET {key} = {quote_literal(value)}")
    try:
        with serving(children, server, shape, workdir) as s:
            scale = Scale(children, workdir, 1)
            scale.shapes = {shape.database: shape}
            tokens = workdir / "explain-tokens.txt"
            scale.mint_refresh_tokens(s, samples, tokens)
            c = s.credentials
            with httpx.Client(base_url=s.base_url, timeout=30) as http:
                for line in tokens.read_text().splitlines():
                    path, token = line.split("\t")
                    form = {"grant_type": "refresh_token", "refresh_token": token}
                    refreshed = http.post(
                        path, data=form, headers={"Authorization": c.refresh_authorization}
                    )
                    minted = http.post(path, content=c.cc_body, headers={
                        "Authorization": c.daemon_authorization,
                        "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
                    if refreshed.status_code != 200 or minted.status_code != 200:
                        raise BenchError(f"explain: {refreshed.status_code} {minted.status_code}")
    finally:
        with psycopg.connect(server.admin_url, autocommit=True) as conn:
            for key in AUTO_EXPLAIN:
                conn.execute(f"ALTER DATABASE {database} RESET {key}")
    with psycopg.connect(server.url(shape.database)) as conn:
        query = "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
        indexes = dict(conn.execute(query).fetchall())
    print_plans(log.read_text(errors="replace")[offset:], indexes)


def print_plans(text: str, indexes: dict[str, str]) -> None:
    """Each distinct statement of the auto_explain log ``text``, how often it ran, and the
    scans of its plan with their indexes (``indexes``: name -> definition)."""
    plans: dict[str, list[Any]] = {}
    block: list[str] | None = None
    for line in [*text.splitlines(), "END"]:
        if block is not None and line.startswith("\t"):
            block.append(line[1:])
            continue
        if block is not None:
            plan = json.loads("\n".join(block))
            sql = " ".join(plan["Query Text"].split())
            plans.setdefault(sql, [0, _scans(plan["Plan"])])[0] += 1
            block = None
        if PLAN_START.search(line):
            block = []
    flagged = 0
    print(f"\n{len(plans)} distinct statements, each with how often it ran and its scans")
    for sql, (seen, scans) in sorted(plans.items(), key=lambda item: -item[1][0]):
        print(f"{seen:4}x {sql[:160]}")
        for kind, table, index in scans or [("-", "(no table scanned)", None)]:
            definition = indexes.get(index or "", "")
            columns = definition.partition(" USING ")[2]
            first = columns.partition("(")[2].split(",")[0].strip(" )")
            bad = kind == "Seq Scan" or (index is not None and first != "tenant_id")
            flagged += bad
            print(f"       {'!! ' if bad else '   '}{kind} on {table}"
                  + (f" using {index}: {'UNIQUE ' if 'UNIQUE' in definition else ''}{columns}"
                     if index else ""))  # fmt: skip
    print(f"\n{flagged} scan(s) not by an index whose first column is tenant_id (!!)")


def _scans(node: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    found = []
    if "Relation Name" in node or "Index Name" in node:
        found.append((node["Node Type"], node.get("Relation Name", ""), node.get("Index Name")))
    for child in node.get("Plans", []):
        found += _scans(child)
    return found


def first_requests(s: Servers, shape: Shape, per_tenant: int = 12) -> None:
    """Each tenant's discovery document ``per_tenant`` times, each on a new connection, so
    that every worker builds every tenant's runtime and app before the load (a connection
    goes to either worker: one misses a tenant with a chance of 2**-per_tenant), and how
    long that took, with the server's CPU."""
    from http.client import HTTPConnection

    host, port = urlsplit(s.base_url).hostname, urlsplit(s.base_url).port
    ticks, started = cpu_ticks(s.gatehouse_pid), time.monotonic()
    for tenant in shape.tenants:
        for _ in range(per_tenant):
            path = f"{shape.prefix(tenant)}/.well-known/openid-configuration"
            connection = HTTPConnection(host or "127.0.0.1", port, timeout=60)
            try:
                connection.request("GET", path)
                status = connection.getresponse().status
            finally:
                connection.close()
            if status != 200:
                raise BenchError(f"{path} answered {status}")
    seconds = time.monotonic() - started
    cpu_ms = (cpu_ticks(s.gatehouse_pid) - ticks) * CLOCK_TICK_US / 1000
    print(f"  {s.backend}: first requests to its {len(shape.tenants)} tenant(s), "
          f"{per_tenant} each: {seconds:.1f} s, {cpu_ms:.0f} ms of server CPU "
          f"({cpu_ms / len(shape.tenants) / WORKERS:.1f} ms per tenant and worker, "
          f"with {per_tenant} requests)", flush=True)  # fmt: skip


# -- the run ----------------------------------------------------------------------------------


@dataclass
class Memory:
    database: str
    started_mib: float  # the workers' summed RSS once serving, before any load
    after_mib: dict[str, float]  # after the last run of each scenario


def print_table(rows: list[Any], memory: list[Memory]) -> None:
    header = (
        f"{'database':9} {'scenario':24} {'req/s':>7} {'CPU µs/req':>10} {'DB µs':>6} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'errors':>6} {'÷single':>8} {'CPU+DB ÷':>8}"
    )
    print("\n" + header + "\n" + "-" * len(header))
    for r in rows:
        single = find_row(rows, "single", r.scenario)
        ratio = cpu_ratio = "-"
        if r.backend != "single" and single is not None and single.rate:
            ratio = f"{r.rate / single.rate:.3f}"
            own = r.cpu_us + (r.db_cpu_us or 0.0)
            cpu_ratio = f"{own / (single.cpu_us + (single.db_cpu_us or 0.0)):.3f}"
        db = f"{r.db_cpu_us:6.0f}" if r.db_cpu_us is not None else f"{'-':>6}"
        print(
            f"{r.backend:9} {NAMES[r.scenario]:24} {r.rate:7.1f} {r.cpu_us:10.0f} {db} "
            f"{r.p50_ms:7.1f} {r.p99_ms:7.1f} {r.bad:6d} {ratio:>8} {cpu_ratio:>8}"
        )
    print(
        "\nMedians of the measured runs; req/s and CPU µs per successful request (server "
        "process tree, and\nPostgreSQL's); ÷single: req/s multi ÷ single (target >= 0.90); "
        "CPU+DB ÷: (server + DB) CPU per\nrequest, multi ÷ single (<= 1.11 for the same)."
    )
    for m in memory:
        after = ", ".join(f"{mib:.0f} after {name}" for name, mib in m.after_mib.items())
        print(f"  RSS of the {WORKERS} workers (MiB), {m.database}: {m.started_mib:.0f} once "
              f"serving, {after}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                        help=f"PostgreSQL's kept data directory ({DEFAULT_DATA_DIR})")  # fmt: skip
    parser.add_argument("--prepare", action="store_true", help="fill the databases again")
    parser.add_argument("--prepare-only", action="store_true", help="prepare, measure nothing")
    parser.add_argument("--tenants", type=int, default=TENANTS)
    parser.add_argument("--people", type=int, default=PEOPLE, help="per tenant")
    parser.add_argument("--duration", type=int, default=None, help="seconds per wrk run (10)")
    parser.add_argument("--runs", type=int, default=3, help="measured rounds (3)")
    parser.add_argument("--connections", type=int, default=64, help="for cc and refresh")
    parser.add_argument("--quick", action="store_true", help="one short round, for development")
    parser.add_argument("--only", type=lambda v: tuple(v.split(",")), default=SCENARIOS,
                        help="comma-separated scenarios: cc,signin,refresh")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--explain",
        type=int,
        metavar="N",
        default=0,
        help="measure nothing: the plans of N people's requests on multi",
    )
    args = parser.parse_args(argv)
    args.duration = args.duration or (3 if args.quick else 10)
    if not 1 <= args.duration <= 60 or not 1 <= args.runs <= 9:
        parser.error("--duration must be 1..60 and --runs 1..9")
    if not 1 <= args.tenants <= 1000 or not 1 <= args.people <= 100_000:
        parser.error("--tenants must be 1..1000 and --people 1..100000")
    if unknown := set(args.only) - set(SCENARIOS):
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (Debian: apt-get install wrk)")

    def terminate(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    children = Children()
    workdir = Path(tempfile.mkdtemp(prefix="gatehouse-tenants-"))
    runs = 1 if args.quick else args.runs
    warmup = 2 if args.quick else args.duration
    machine = machine_note()
    print(f"machine: {machine}")
    print(f"method: wrk -t1 -d{args.duration}s (-c{args.connections}; sign-in "
          f"-c{SIGNIN_CONNECTIONS}), one warm-up, median of {runs}; {WORKERS} workers "
          f"per server; single and multi alternated in every round")  # fmt: skip
    measurements: list[Measurement] = []
    memory: list[Memory] = []
    try:
        with postgres(args.data_dir) as server:
            print(f"PostgreSQL on port {server.port}, data in {args.data_dir}", flush=True)
            both = shapes(args.tenants, args.people)
            for shape in both:
                prepare(server, shape, workdir, args.prepare)
            if args.prepare_only:
                return 0
            if args.explain:
                explain(children, server, both[1], workdir, args.explain)
                return 0
            scale = Scale(children, workdir, args.connections)
            with (
                serving(children, server, both[0], workdir) as single,
                serving(children, server, both[1], workdir) as multi,
            ):
                scale.shapes = {shape.database: shape for shape in both}
                memory = [
                    Memory(s.backend, rss_bytes(worker_pids(s.gatehouse_pid)) / 2**20, {})
                    for s in (single, multi)
                ]
                print(f"single {single.base_url}, multi {multi.base_url}", flush=True)
                for s, shape in zip((single, multi), both, strict=True):
                    first_requests(s, shape)
                scenarios: list[tuple[str, Callable[[Servers, int], Measurement]]] = []
                for name in SCENARIOS:
                    if name in args.only:
                        run = getattr(scale, name)
                        scenarios += [
                            (f"{s.backend} {name}", _on(s, name, run, after))
                            for s, after in zip((single, multi), memory, strict=True)
                        ]
                measurements = run_rounds(single, scenarios, warmup, runs, args.duration)
    except KeyboardInterrupt:
        print("\ninterrupted: stopping everything this run started")
        return 130
    except BenchError as exc:
        print(f"\nbench failed: {exc}")
        return 1
    finally:
        children.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    rows = summarize(measurements, ceiling_of={})
    print_table(rows, memory)
    print(f"\nmachine after the run: {machine_note()}")
    if args.json:
        args.json.write_text(json.dumps({
            "machine": machine, "rows": [asdict(r) for r in rows],
            "runs": [asdict(m) for m in measurements], "memory": [asdict(m) for m in memory],
        }, indent=2))  # fmt: skip
    return 0


def _on(
    servers: Servers,
    name: str,
    scenario: Callable[[Servers, int], Measurement],
    memory: Memory,
) -> Callable[[Servers, int], Measurement]:
    """``scenario`` on ``servers`` (whatever run_rounds passes: it passes one set), noting the
    workers' RSS after it in ``memory``."""

    def measured(_ignored: Servers, seconds: int) -> Measurement:
        m = scenario(servers, seconds)
        memory.after_mib[name] = rss_bytes(worker_pids(servers.gatehouse_pid)) / 2**20
        return m

    return measured


if __name__ == "__main__":
    sys.exit(main())
