"""Shared fixtures. Every test that touches storage runs on SQLite and on a real PostgreSQL
server that the test run starts itself (set GATEHOUSE_TEST_BACKENDS=sqlite for a quick run)."""

from __future__ import annotations

import asyncio
import os
import shutil
import traceback
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
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


class TemplateCopies:
    """Copies of the PostgreSQL template database, each made one ahead of need in a thread
    of its own. CREATE DATABASE copies some 9 MB through the WAL; on a busy machine that
    takes PostgreSQL a few hundred milliseconds, which every test on PostgreSQL waited for.
    Made while the previous test runs, the copy is ready when the next one asks."""

    def __init__(self, server: PostgresServer, template: str) -> None:
        self._server = server
        self._template = template
        self._maker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="template-copy")
        self._next = self._maker.submit(self._copy)
        self._drops: list[Future[None]] = []

    def take(self) -> str:
        """A fresh copy's name (its URL: ``server.url(name)``); give it back to ``drop``."""
        name = self._next.result()
        self._next = self._maker.submit(self._copy)
        return name

    def drop(self, name: str) -> None:
        """Drop ``name`` in the same thread, after the copy being made: the test need not
        wait for it either."""
        self._drops.append(self._maker.submit(self._drop, name))

    def close(self) -> None:
        self.drop(self._next.result())
        self._maker.shutdown(wait=True)
        for dropped in self._drops:
            dropped.result()  # a failure shows here, at the end of the run

    def _drop(self, name: str) -> None:
        with psycopg.connect(self._server.admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def _copy(self) -> str:
        name = f"gh_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self._server.admin_url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {self._template}")
        return name


@pytest.fixture(scope="session")
def postgres_copies(
    postgres_server: PostgresServer, postgres_template: str
) -> Iterator[TemplateCopies]:
    copies = TemplateCopies(postgres_server, postgres_template)
    yield copies
    copies.close()


def _fresh_database(request: pytest.FixtureRequest, directory: Path) -> Iterator[str]:
    """A database of the backend ``request.param`` as the template left it, dropped after."""
    if request.param == "sqlite":
        target = directory / "gatehouse.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    copies: TemplateCopies = request.getfixturevalue("postgres_copies")
    name = copies.take()
    yield server.url(name)
    copies.drop(name)


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
