"""runtime: wiring, the issuer, and where the key-encryption key comes from."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from gatehouse.runtime import ConfigurationError, resolve_issuer, resolve_secret_key
from gatehouse.settings import Settings
from gatehouse.storage.sql.database import Database

KEY = "an-explicit-key-encryption-key-0123456789"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("GATEHOUSE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def resolve(url: str, secret_key: str | None = None) -> str:
    database = Database(url)
    try:
        return resolve_secret_key(Settings(database_url=url, secret_key=secret_key), database)  # type: ignore[arg-type]
    finally:
        database.dispose()


@pytest.mark.parametrize(
    "url", ["sqlite:///gh.db", "postgresql://gh@127.0.0.1:1/gh", "postgres://gh@db/gh"]
)
def test_an_explicit_secret_key_wins(url: str) -> None:
    assert resolve(url, KEY) == KEY


def test_sqlite_generates_a_0600_key_file_once_and_reuses_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/data/gatehouse.db"
    first = resolve(url)
    key_file = tmp_path / "data" / "secret.key"
    assert key_file.read_text() == first
    assert len(first) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert resolve(url) == first
    assert key_file.read_text() == first


def test_sqlite_with_a_relative_path_puts_the_key_beside_the_database(tmp_path: Path) -> None:
    key = resolve("sqlite:///rel/gatehouse.db")
    assert (tmp_path / "rel" / "secret.key").read_text() == key


def test_each_sqlite_database_directory_gets_its_own_key(tmp_path: Path) -> None:
    assert resolve(f"sqlite:///{tmp_path}/a/gh.db") != resolve(f"sqlite:///{tmp_path}/b/gh.db")


@pytest.mark.parametrize(
    "url",
    ["postgresql://gh@127.0.0.1:1/gh", "postgres://gh:pw@db.internal/gh"],
)
def test_postgresql_without_a_secret_key_is_a_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError, match="GATEHOUSE_SECRET_KEY is required"):
        resolve(url)


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_sqlite_without_a_secret_key_is_a_configuration_error(
    url: str, tmp_path: Path
) -> None:
    # There is no database file to put a key beside; nothing is written to the working dir.
    with pytest.raises(ConfigurationError, match="GATEHOUSE_SECRET_KEY is required"):
        resolve(url)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("issuer", "host", "port", "expected"),
    [
        ("https://id.example.com", "::", 8000, "https://id.example.com"),
        (None, "127.0.0.1", 8000, "http://127.0.0.1:8000"),
        (None, "localhost", 9000, "http://localhost:9000"),
        (None, "::1", 8443, "http://[::1]:8443"),
    ],
)
def test_the_issuer_is_the_setting_else_the_listening_address(
    issuer: str | None, host: str, port: int, expected: str
) -> None:
    assert resolve_issuer(Settings(issuer=issuer), host, port) == expected  # type: ignore[call-arg]


def test_without_an_address_the_issuer_defaults_to_the_default_listening_address() -> None:
    assert resolve_issuer(Settings()) == "http://127.0.0.1:8000"  # type: ignore[call-arg]
