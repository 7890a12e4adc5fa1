"""The token endpoint tries warm client_credentials requests on the event loop
(web/threads.py): warm, it reads nothing; cold or just invalidated, it reads the database in
a request thread on PostgreSQL. On SQLite, and only there, every grant, and the
authorization endpoint, runs on the event loop with its statements (they cost less than the
hop to a thread)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from gatehouse.admin.apis import revoke_app_role
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
from tests.support.tokens import client_credentials, refresh, token_claims


@pytest.fixture
def checkout_threads(runtime: Runtime) -> Iterator[list[str]]:
    """The name of the thread of every database connection checkout, in order."""
    names: list[str] = []

    def on_checkout(*_: object) -> None:
        names.append(threading.current_thread().name)

    pool = runtime.database.engine.pool
    sa.event.listen(pool, "checkout", on_checkout)
    yield names
    sa.event.remove(pool, "checkout", on_checkout)


def used_where_its_backend_belongs(runtime: Runtime, names: list[str]) -> bool:
    """The database was used: on SQLite on the event loop, on PostgreSQL in request threads."""
    in_request_threads = [name.startswith("gatehouse-request") for name in names]
    if runtime.database.is_sqlite:
        return bool(names) and not any(in_request_threads)
    return bool(names) and all(in_request_threads)


def issued_roles(runtime: Runtime, http: TestClient, daemon: dict[str, Any]) -> list[str]:
    response = client_credentials(http, daemon, scope=f"{ORDERS_API}/.default")
    assert response.status_code == 200, response.text
    roles: list[str] = token_claims(runtime, response.json()["access_token"])["roles"]
    return roles


def test_warm_client_credentials_needs_no_database_and_cold_ones_read_it_off_the_loop(
    runtime: Runtime, http: TestClient, checkout_threads: list[str]
) -> None:
    make_api(runtime, ORDERS_API, roles=("orders.export", "orders.audit"))
    daemon = make_daemon(runtime)
    grant_roles(runtime, "daemon", ORDERS_API, "orders.export", "orders.audit")
    checkout_threads.clear()

    assert issued_roles(runtime, http, daemon) == ["orders.audit", "orders.export"]  # cold
    assert used_where_its_backend_belongs(runtime, checkout_threads)

    checkout_threads.clear()
    assert issued_roles(runtime, http, daemon) == ["orders.audit", "orders.export"]  # warm
    assert checkout_threads == []  # served from the caches, on the event loop

    revoke_app_role(runtime, "daemon", ORDERS_API, "orders.audit")  # drops the caches
    checkout_threads.clear()
    assert issued_roles(runtime, http, daemon) == ["orders.export"]
    assert used_where_its_backend_belongs(runtime, checkout_threads)


def test_the_code_and_refresh_grants_run_on_the_event_loop_only_on_sqlite(
    runtime: Runtime, http: TestClient, checkout_threads: list[str]
) -> None:
    # On SQLite their statements are cheaper than the hop to a request thread; PostgreSQL's
    # are network round trips and stay off the event loop.
    make_user(runtime)
    web = make_client(runtime)
    result = sign_in(http, "web", scope="openid offline_access")  # pages: request threads
    checkout_threads.clear()
    body = redeem(http, result.params["code"], result.verifier, web).json()
    response = refresh(http, web, body["refresh_token"])
    assert response.status_code == 200, response.text
    assert used_where_its_backend_belongs(runtime, checkout_threads)


def test_authorize_runs_on_the_event_loop_only_on_sqlite(
    runtime: Runtime, http: TestClient, checkout_threads: list[str]
) -> None:
    # The same trade as the token endpoint's: a signed-in browser with stored consent gets
    # its code from statements that cost less on SQLite than the hop to a request thread.
    make_user(runtime)
    make_client(runtime)
    sign_in(http, "web", scope="openid")  # signs in and stores the consent
    checkout_threads.clear()
    again = sign_in(http, "web", scope="openid")  # the SSO session: straight to a code
    assert "code" in again.params
    assert used_where_its_backend_belongs(runtime, checkout_threads)


def test_a_code_grant_that_has_written_is_never_rerun(runtime: Runtime, http: TestClient) -> None:
    """On the event loop, the code is redeemed (written) before the tokens are signed. If the
    signing keys must then be reloaded while another thread holds their lock, the request
    waits for it where it is: rerunning it in a request thread would redeem the code a
    second time, which fails and revokes what the first redemption issued."""
    make_user(runtime)
    web = make_client(runtime)
    result = sign_in(http, "web", scope="openid")
    keys = runtime.provider.keys
    keys.invalidate()
    held, release = threading.Event(), threading.Event()

    def hold_the_key_lock() -> None:
        with keys._lock:  # as a request thread reloading the key ring would
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold_the_key_lock)
    holder.start()
    held.wait()
    threading.Timer(0.2, release.set).start()
    try:
        response = redeem(http, result.params["code"], result.verifier, web)
    finally:
        release.set()
        holder.join()
    assert response.status_code == 200, response.text
    assert token_claims(runtime, response.json()["access_token"])["client_id"] == "web"
