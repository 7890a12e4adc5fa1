"""client_credentials through a whole server app in-process, without HTTP: the default tenant
of bench/tenants_scale.py's single database, or round robin over the 100 tenants of multi.
CPU and SQL statements per request; a tool for finding where multi's extra cost goes, not
a benchmark to quote.

    .venv/bin/python bench/profile_tenants.py single|multi [-n 4000] [--profile]

It needs the databases bench/tenants_scale.py prepared (run that first). --profile prints a
cProfile of every thread.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import os
import pstats
import sys
import threading
import time
from typing import Any
from urllib.parse import quote, urlencode

import tenants_scale as scale
from ceiling_app import DAEMON_CLIENT_ID
from provision import CC_SCOPE, basic_authorization

BASE = "http://127.0.0.1:9"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("database", choices=("single", "multi"))
    parser.add_argument("-n", type=int, default=4000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--data-dir", default=scale.DEFAULT_DATA_DIR)
    args = parser.parse_args()
    with scale.postgres(args.data_dir) as server:
        os.environ.update(scale.bench_env(server.url(args.database), BASE))
        measure(args)
    return 0


def measure(args: argparse.Namespace) -> None:
    import sqlalchemy as sa

    from gatehouse.runtime import TenantRuntimes, build_runtime
    from gatehouse.settings import load_settings
    from gatehouse.web.app import create_app
    from gatehouse.web.tenant_dispatch import serve_every_tenant

    runtime = build_runtime(load_settings(), issuer=BASE)
    app = serve_every_tenant(TenantRuntimes(runtime), create_app)
    single, multi = scale.shapes(scale.TENANTS, scale.PEOPLE)
    shape = multi if args.database == "multi" else single
    paths = [f"{shape.prefix(tenant)}/token" for tenant in shape.tenants]
    body = urlencode({"grant_type": "client_credentials", "scope": CC_SCOPE}, quote_via=quote)
    headers = [
        (b"host", BASE.removeprefix("http://").encode()),
        (b"authorization", basic_authorization(DAEMON_CLIENT_ID).encode()),
        (b"content-type", b"application/x-www-form-urlencoded"),
        (b"content-length", str(len(body)).encode()),
    ]
    statements: collections.Counter[str] = collections.Counter()

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements[" ".join(statement.split())[:100]] += 1

    async def token(path: str) -> None:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
                 "query_string": b"", "root_path": "", "headers": headers,
                 "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 9)}  # fmt: skip
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body.encode(), "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app(scope, receive, send)
        if sent[0]["status"] != 200:
            raise RuntimeError(f"{path} answered {sent[0]['status']}")

    async def run(count: int) -> None:
        for i in range(count):
            await token(paths[i % len(paths)])

    loop = asyncio.new_event_loop()
    loop.run_until_complete(run(3 * len(paths)))  # every tenant built, its caches filled
    sa.event.listen(runtime.database.engine, "before_cursor_execute", seen)
    profiles: list[cProfile.Profile] = []
    if args.profile:

        def profile_thread(*_: Any) -> None:
            profiles.append(cProfile.Profile())
            profiles[-1].enable()

        threading.setprofile(profile_thread)
        profile_thread()
    started, cpu = time.perf_counter(), time.process_time()
    loop.run_until_complete(run(args.n))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    per_request = sum(statements.values()) / args.n
    print(f"{args.database}: {args.n} requests in {wall:.1f} s, {cpu / args.n * 1e6:.0f} µs of "
          f"CPU per request, {per_request:.3f} statements per request")  # fmt: skip
    for statement, count in statements.most_common(8):
        print(f"  {count:6} {statement}")
    if profiles:
        for profile in profiles:
            profile.create_stats()
        stats = pstats.Stats(profiles[0])
        for profile in profiles[1:]:
            stats.add(profile)
        stats.sort_stats("cumulative").print_stats(40)
    runtime.close()


if __name__ == "__main__":
    sys.exit(main())
