"""The installed `gatehouse` console script, run as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import cli_environment

GATEHOUSE = Path(sys.executable).with_name("gatehouse")


def run(
    *args: str, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    return subprocess.run(
        [str(GATEHOUSE), *args],
        env={**clean, **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_console_script_provisions_a_database(database_url: str, tmp_path: Path) -> None:
    env = cli_environment(database_url, tmp_path)
    created = run(
        "user",
        "create",
        "--username",
        "alice",
        "--password-stdin",
        env=env,
        stdin="correct horse battery\n",
    )
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["username"] == "alice"
    listed = run("user", "list", env=env)
    assert [u["username"] for u in json.loads(listed.stdout)] == ["alice"]


def test_the_console_script_fails_with_one_line(tmp_path: Path) -> None:
    env = cli_environment("mysql://x", tmp_path)
    failed = run("client", "list", env=env)
    assert failed.returncode == 1
    assert failed.stdout == ""
    assert failed.stderr.count("\n") == 1
    assert failed.stderr.startswith("error: unsupported database 'mysql'")
