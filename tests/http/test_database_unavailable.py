"""A request whose PostgreSQL connection is terminated mid-query (a restart, a failover,
``pg_terminate_backend``): a read is run again on a fresh connection and the request
succeeds; a write whose outcome is unknown answers 503 temporarily_unavailable with
Retry-After, and the client's retry then works. PostgreSQL only: SQLite has no server to
drop a connection."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from httpx2 import Response
from starlette.testclient import TestClient

from gatehouse.crypto import sha256_digest
from gatehouse.runtime import Runtime
from tests.support.factories import (
    ORDERS_API,
    grant_roles,
    make_api,
    make_client,
    make_daemon,
    make_user,
)
from tests.support.flow import redeem, sign_in
from tests.support.tokens import client_credentials


@pytest.fixture(autouse=True)
def postgres_only(runtime: Runtime) -> None:
    if runtime.database.is_sqlite:
        pytest.skip("PostgreSQL only: an embedded database has no connection to lose")


@contextmanager
def holding(runtime: Runtime, lock_sql: str, *params: Any) -> Iterator[psycopg.Connection]:
    """Another session takes a lock and holds it (its transaction stays open) until the
    block ends: statements of the request that need it wait for it meanwhile."""
    url = runtime.database.url.set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as session:
        session.execute(lock_sql, params)
        yield session
        session.rollback()


def terminate_the_waiting_backend(session: psycopg.Connection) -> None:
    """``pg_terminate_backend`` on the connection that waits for ``session``'s lock, once
    one does: the request is mid-query on it."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        waiting = session.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        ).fetchall()
        if waiting:
            for (pid,) in waiting:
                session.execute("SELECT pg_terminate_backend(%s)", (pid,))
            return
        time.sleep(0.02)
    raise AssertionError("no request waited for the lock")


def in_background(call: Callable[[], Response]) -> Callable[[], Response]:
    """Start ``call`` in a thread; the returned function waits for its response."""
    result: list[Response] = []
    thread = threading.Thread(target=lambda: result.append(call()))
    thread.start()

    def response() -> Response:
        thread.join(timeout=30)
        assert result, "the request did not finish"
        return result[0]

    return response


def test_a_read_whose_connection_is_terminated_is_run_again(
    runtime: Runtime, http: TestClient
) -> None:
    make_api(runtime, ORDERS_API)
    daemon = make_daemon(runtime)
    grant_roles(runtime, "daemon", ORDERS_API, "orders.export")
    with holding(runtime, "LOCK TABLE clients IN ACCESS EXCLUSIVE MODE") as session:
        # Client authentication reads the client and its secrets: it waits for the lock.
        scope = f"{ORDERS_API}/.default"
        response = in_background(lambda: client_credentials(http, daemon, scope=scope))
        terminate_the_waiting_backend(session)
    assert response().status_code == 200, response().text
    assert "access_token" in response().json()


def test_a_write_whose_outcome_is_unknown_is_a_503_the_client_may_retry(
    runtime: Runtime, http: TestClient
) -> None:
    web = make_client(runtime)
    make_user(runtime)
    result = sign_in(http)
    code = result.params["code"]
    with holding(
        runtime,
        "SELECT 1 FROM authorization_codes WHERE code_hash = %s FOR UPDATE",
        sha256_digest(code),
    ) as session:
        # The redemption reads the code (a row lock does not block reads), then waits for the
        # lock in its one-time UPDATE: whether that committed cannot be known once its
        # connection is gone, so it must not be run again.
        response = in_background(lambda: redeem(http, code, result.verifier, web))
        terminate_the_waiting_backend(session)
    unavailable = response()
    assert unavailable.status_code == 503, unavailable.text
    assert unavailable.headers["retry-after"] == "1"
    assert unavailable.headers["cache-control"] == "no-store"
    assert unavailable.json()["error"] == "temporarily_unavailable"
    # Terminated before it committed, the code was not spent: the retry gets the tokens.
    retried = redeem(http, code, result.verifier, web)
    assert retried.status_code == 200, retried.text
    assert "access_token" in retried.json()


def test_a_lean_read_whose_connection_is_terminated_is_run_again(
    runtime: Runtime, http: TestClient
) -> None:
    web = make_client(runtime)
    make_user(runtime)
    result = sign_in(http)
    with holding(runtime, "LOCK TABLE authorization_codes IN ACCESS EXCLUSIVE MODE") as session:
        # The redemption's first statement, a lean read of the code on the request's pinned
        # connection, waits for the lock; the read runs again on a fresh connection.
        response = in_background(lambda: redeem(http, result.params["code"], result.verifier, web))
        terminate_the_waiting_backend(session)
    assert response().status_code == 200, response().text
    assert "access_token" in response().json()
