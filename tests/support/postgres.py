"""A throwaway PostgreSQL server on loopback, started by the test run itself.

It uses the server binaries of Debian's ``postgresql`` package. As root, the server runs as
the ``postgres`` system user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.ports import free_port


def _bin_dir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    found = shutil.which("postgres")
    if found:
        return Path(found).resolve().parent
    raise RuntimeError(
        "PostgreSQL server binaries not found: install Debian's postgresql package "
        "(the README's test command does)"
    )


@dataclass
class PostgresServer:
    port: int
    data_dir: Path
    bin_dir: Path
    as_user: list[str]
    # A server over a kept data directory (``start_postgres(root=...)``) is shut down cleanly
    # and its directory left in place; a throwaway one is stopped at once and removed.
    keep: bool = False

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        subprocess.run(
            [
                *self.as_user,
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-m",
                "fast" if self.keep else "immediate",
                "stop",
            ],
            check=False,
            capture_output=True,
        )
        if not self.keep:
            shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def start_postgres(root: Path | None = None) -> PostgresServer:
    """A server on a free loopback port: over a new temporary directory, removed when it
    stops; or over ``root``, created on first use and kept (bench/tenants_scale.py keeps its
    prepared databases between runs this way)."""
    bin_dir = _bin_dir()
    keep = root is not None
    if root is None:
        root = Path(tempfile.mkdtemp(prefix="gatehouse-pg-"))
    root.mkdir(parents=True, exist_ok=True)
    data_dir = root / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres", "postgres")
    os.chmod(root, 0o700)
    if not (data_dir / "PG_VERSION").exists():
        subprocess.run(
            [
                *as_user,
                str(bin_dir / "initdb"),
                "-D",
                str(data_dir),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-locale",
            ],
            check=True,
            capture_output=True,
        )
    port = free_port()
    options = (
        f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c max_connections=200"
    )
    subprocess.run(
        [
            *as_user,
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data_dir),
            "-o",
            options,
            "-l",
            str(root / "log"),
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    server = PostgresServer(
        port=port, data_dir=data_dir, bin_dir=bin_dir, as_user=as_user, keep=keep
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError("PostgreSQL did not start")
