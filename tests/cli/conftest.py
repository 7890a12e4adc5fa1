"""Running the `gatehouse` command in-process (click's CliRunner) against the fixture database,
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from gatehouse.cli.main import cli
from tests.conftest import TEST_SECRET_KEY


class Gatehouse:
    """``gh("client", "list")`` runs the command; ``ok`` and ``fails`` also check the output
    contract: JSON on stdout and exit 0, or exit 1 and exactly one ``error:`` line on stderr."""

    def __init__(self, env: dict[str, str]) -> None:
        self.runner = CliRunner()
        self.env = env

    def __call__(self, *args: str, input: str | None = None, **env: str) -> Result:
        return self.runner.invoke(cli, list(args), input=input, env={**self.env, **env})

    def ok(self, *args: str, input: str | None = None, **env: str) -> Any:
        result = self(*args, input=input, **env)
        assert result.exit_code == 0, (result.stderr, result.exception)
        assert result.stderr == ""
        return json.loads(result.stdout)

    def fails(self, *args: str, input: str | None = None, **env: str) -> str:
        result = self(*args, input=input, **env)
        assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
        # A handled error, never an escaped exception with a traceback.
        assert isinstance(result.exception, SystemExit), result.exception
        assert "Traceback" not in result.stderr
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("error: "), lines[0]
        assert result.stdout == ""
        return lines[0]


def cli_environment(database_url: str, data_dir: Path) -> dict[str, str]:
    return {
        "GATEHOUSE_DATABASE_URL": database_url,
        "GATEHOUSE_SECRET_KEY": TEST_SECRET_KEY,
        "GATEHOUSE_DATA_DIR": str(data_dir),
        # The cheapest argon2id parameters: tests exercise the code path, not the cost.
        "GATEHOUSE_PASSWORD_HASH_TIME_COST": "1",
        "GATEHOUSE_PASSWORD_HASH_MEMORY_KIB": "8192",
    }


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("GATEHOUSE_") and name != "GATEHOUSE_TEST_BACKENDS":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # nothing the CLI writes by default lands in the repository
    yield


@pytest.fixture
def gh(database_url: str, tmp_path: Path) -> Gatehouse:
    return Gatehouse(cli_environment(database_url, tmp_path))
