"""The token endpoint tries warm client_credentials requests on the event loop
(web/threads.py), but never reads or writes the database there: every connection any grant
takes is taken in a request thread, whether the caches are cold, warm or just dropped."""

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
from tests.support.flow import get_tokens
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


def all_in_request_threads(names: list[str]) -> bool:
    return all(name.startswith("gatehouse-request") for name in names)


def issued_roles(runtime: Runtime, http: TestClient, daemon: dict[str, Any]) -> list[str]:
    response = client_credentials(http, daemon, scope=f"{ORDERS_API}/.default")
    assert response.status_code == 200, response.text
    roles: list[str] = token_claims(runtime, response.json()["access_token"])["roles"]
    return roles


def test_client_credentials_reads_the_database_only_in_request_threads(
    runtime: Runtime, http: TestClient, checkout_threads: list[str]
) -> None:
    make_api(runtime, ORDERS_API, roles=("orders.export", "orders.audit"))
    daemon = make_daemon(runtime)
    grant_roles(runtime, "daemon", ORDERS_API, "orders.export", "orders.audit")
    checkout_threads.clear()

    assert issued_roles(runtime, http, daemon) == ["orders.audit", "orders.export"]  # cold
    assert checkout_threads and all_in_request_threads(checkout_threads)

    checkout_threads.clear()
    assert issued_roles(runtime, http, daemon) == ["orders.audit", "orders.export"]  # warm
    assert checkout_threads == []  # served from the caches, on the event loop

    revoke_app_role(runtime, "daemon", ORDERS_API, "orders.audit")  # drops the caches
    checkout_threads.clear()
    assert issued_roles(runtime, http, daemon) == ["orders.export"]
    assert checkout_threads and all_in_request_threads(checkout_threads)


def test_the_code_and_refresh_grants_use_the_database_only_in_request_threads(
    runtime: Runtime, http: TestClient, checkout_threads: list[str]
) -> None:
    make_user(runtime)
    web = make_client(runtime)
    checkout_threads.clear()
    body = get_tokens(http, web, scope="openid offline_access")
    response = refresh(http, web, body["refresh_token"])
    assert response.status_code == 200, response.text
    assert checkout_threads and all_in_request_threads(checkout_threads)
