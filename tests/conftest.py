"""Shared fixtures. Every test that touches storage runs on SQLite and on a real PostgreSQL
server that the test run starts itself (set GATEHOUSE_TEST_BACKENDS=sqlite for a quick run)."""

from __future__ import annotations

import asyncio
import os
import shutil
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from gatehouse import blocking
from gatehouse.runtime import Runtime, build_runtime
from gatehouse.settings import Settings
from gatehouse.storage.sql.migrate import migrate
from gatehouse.web.app import create_app
from tests.support.postgres import PostgresServer, start_postgres

# The loopback SMTP server fixture (`smtp`) of the self-service tests.
pytest_plugins = ["tests.support.smtp"]

ISSUER = "http://testserver"
TEST_SECRET_KEY = "test-key-encryption-key-0123456789abcdefghijklmnop"
BACKENDS = [b for b in os.environ.get("GATEHOUSE_TEST_BACKENDS", "sqlite,postgres").split(",") if b]


def test_settings(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "data_dir": data_dir,
        "secret_key": TEST_SECRET_KEY,
        "issuer": ISSUER,
        # The cheapest argon2id parameters: tests exercise the code path, not the cost.
        "password_hash_time_cost": 1,
        "password_hash_memory_kib": 8192,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def _prepare(settings: Settings) -> None:
    runtime = build_runtime(settings)
    try:
        migrate(runtime.database)
        runtime.keys.ensure_signing_keys()
    finally:
        runtime.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("sqlite-template")
    path = directory / "gatehouse.db"
    _prepare(test_settings(f"sqlite:///{path}", directory))
    return path


@pytest.fixture(scope="session")
def postgres_template(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> str:
    with psycopg.connect(postgres_server.admin_url, autocommit=True) as conn:
        conn.execute("CREATE DATABASE gh_template")
    _prepare(test_settings(postgres_server.url("gh_template"), tmp_path_factory.mktemp("pg")))
    return "gh_template"


def _fresh_database(request: pytest.FixtureRequest, directory: Path) -> Iterator[str]:
    """A database of the backend ``request.param`` as the template left it, dropped after."""
    if request.param == "sqlite":
        target = directory / "gatehouse.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    template: str = request.getfixturevalue("postgres_template")
    name = f"gh_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    yield server.url(name)
    with psycopg.connect(server.admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own for the test, on each backend."""
    yield from _fresh_database(request, tmp_path)


@pytest.fixture(scope="module", params=BACKENDS)
def module_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One database for a module's tests, on each backend: for end-to-end modules whose
    tests share one provisioned deployment (each test then leaves what it made to itself,
    and depends on no other test). A test takes this or ``database_url``, never both."""
    yield from _fresh_database(request, tmp_path_factory.mktemp("module-db"))


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return test_settings(database_url, tmp_path)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    runtime = build_runtime(settings)
    on_the_loop = _watch_for_database_use_on_an_event_loop(runtime)
    yield runtime
    runtime.close()
    assert not on_the_loop, "the database was used on the event loop:\n" + on_the_loop[0]


def _watch_for_database_use_on_an_event_loop(runtime: Runtime) -> list[str]:
    """Requests do their database work in a request thread (web/threads.py), never on the
    event loop, where a slow statement would stall every other request of the process —
    except for the work the web layer tries there on the embedded SQLite database on
    purpose. The stack of each connection checkout that breaks this, for every test with a
    runtime."""
    found: list[str] = []

    def on_checkout(*_: object) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        if blocking.allows_embedded_database():
            return
        found.append("".join(traceback.format_stack(limit=25)))

    sa.event.listen(runtime.database.engine.pool, "checkout", on_checkout)
    return found


@pytest.fixture
def http(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), base_url=ISSUER, follow_redirects=False) as client:
        yield client
