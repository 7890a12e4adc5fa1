"""Profile the token endpoint's core in-process, without HTTP: CPU per code redemption and
where it goes. A tool for optimising, not a benchmark to quote.

    .venv/bin/python bench/profile_token.py [--backend sqlite|postgres] [-n 2000] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ceiling_app import CLIENT_ID, CLIENT_SECRET  # noqa: E402
from provision import CODE_CHALLENGE, CODE_VERIFIER, REDIRECT_URI, basic_authorization  # noqa: E402

from gatehouse.admin import clients as client_admin  # noqa: E402
from gatehouse.admin import users as user_admin  # noqa: E402
from gatehouse.crypto import random_token, sha256_digest  # noqa: E402
from gatehouse.protocol.messages import parse_query_or_form  # noqa: E402
from gatehouse.protocol.token import token_endpoint  # noqa: E402
from gatehouse.runtime import build_runtime  # noqa: E402
from gatehouse.settings import Settings  # noqa: E402
from gatehouse.storage.records import AuthorizationCode  # noqa: E402
from gatehouse.storage.sql.migrate import migrate  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="gatehouse-profile-"))
    pg = None
    try:
        if args.backend == "postgres":
            import psycopg
            from tests.support.postgres import start_postgres

            pg = start_postgres()
            with psycopg.connect(pg.admin_url, autocommit=True) as conn:
                conn.execute("CREATE DATABASE profile")
            url = pg.url("profile")
        else:
            url = f"sqlite:///{workdir / 'gatehouse.db'}"
        settings = Settings(
            database_url=url,
            secret_key="profile-key-encryption-key-0123456789abcdefghijkl",  # noqa: S106 - throwaway
            issuer="http://127.0.0.1:8000",
            password_hash_time_cost=1,
            password_hash_memory_kib=8192,
        )
        runtime = build_runtime(settings)
        migrate(runtime.database)
        runtime.keys.ensure_signing_keys()
        client_admin.create_client(
            runtime,
            client_admin.ClientSpec(
                client_id=CLIENT_ID,
                secret=CLIENT_SECRET,
                redirect_uris=[REDIRECT_URI],
                scopes=["openid", "profile", "email"],
                grant_types=["authorization_code"],  # as bench/run.py registers it
            ),
        )
        user = user_admin.create_user(
            runtime,
            "bench",
            "bench-password-not-secret-1",
            email="bench@example.org",
            name="Bench User",
        )
        provider = runtime.provider
        now = int(time.time())
        codes = []
        for _ in range(args.n + 50):
            value = random_token()
            provider.codes.create(
                AuthorizationCode(
                    code_hash=sha256_digest(value), grant_id=str(uuid.uuid4()),
                    client_id=CLIENT_ID, user_id=user["id"], sid=uuid.uuid4().hex,
                    redirect_uri=REDIRECT_URI, redirect_uri_given=True,
                    scopes=("openid", "profile", "email"), nonce="n", code_challenge=CODE_CHALLENGE,
                    auth_time=now, amr=("pwd",), acr=None, created_at=now, expires_at=now + 60,
                )
            )  # fmt: skip
            codes.append(value)
        auth = basic_authorization()

        def redeem(code: str) -> None:
            params = parse_query_or_form(
                f"grant_type=authorization_code&code={code}&redirect_uri={REDIRECT_URI}"
                f"&code_verifier={CODE_VERIFIER}"
            )
            token_endpoint(provider, params, auth)

        for code in codes[:50]:  # warm caches and pools
            redeem(code)
        profiler = cProfile.Profile() if args.profile else None
        started = time.process_time()
        if profiler:
            profiler.enable()
        for code in codes[50:]:
            redeem(code)
        if profiler:
            profiler.disable()
        cpu = time.process_time() - started
        print(
            f"{args.backend}: {cpu / args.n * 1e6:.0f} µs CPU per redemption "
            f"(this process only{', profiled' if profiler else ''})"
        )
        if profiler:
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(40)
            stats.sort_stats("tottime").print_stats(25)
        runtime.close()
    finally:
        if pg is not None:
            pg.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
