"""The example orders API: in process, and as ``python -m examples.orders_api``."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from examples.orders_api import create_app

from gatehouse.rs import TokenValidator
from tests.rs.issuer import AUDIENCE, IssuerState, SigningKey, claims_for
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def _run(
    validator: TokenValidator, calls: list[tuple[str, str, str | None, Any]]
) -> list[httpx.Response]:
    """The calls, in order, against one app instance (one order book)."""

    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=create_app(validator))
        async with httpx.AsyncClient(transport=transport, base_url="http://orders") as client:
            responses = []
            for method, path, token, body in calls:
                headers = {"authorization": f"Bearer {token}"} if token else {}
                responses.append(await client.request(method, path, headers=headers, json=body))
            return responses

    return asyncio.run(go())


def test_users_see_their_own_orders_and_apps_with_the_role_see_all(
    issuer: IssuerState, validator: TokenValidator, es_key: SigningKey, rs_key: SigningKey
) -> None:
    alice_writes = es_key.sign(
        claims_for(issuer.url, sub="alice", scope="orders.read orders.write")
    )
    bob_writes = es_key.sign(claims_for(issuer.url, sub="bob", scope="orders.write"))
    alice_reads = es_key.sign(claims_for(issuer.url, sub="alice", scope="orders.read"))
    app_token = rs_key.sign(
        claims_for(
            issuer.url, sub="reporting", client_id="reporting", scope=None, roles=["Orders.ReadAll"]
        )
    )
    responses = _run(
        validator,
        [
            ("GET", "/health", None, None),
            ("POST", "/orders", alice_writes, {"item": "tea", "quantity": 2}),
            ("POST", "/orders", bob_writes, {"item": "coffee"}),
            ("GET", "/orders", alice_reads, None),
            ("GET", "/admin/orders", app_token, None),
            ("GET", "/me", app_token, None),
            ("POST", "/orders", alice_writes, {"item": ""}),
        ],
    )
    health, created, _, alice_list, everything, me, bad = responses
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert created.status_code == 201
    assert alice_list.json() == {
        "orders": [{"id": 1, "owner": "alice", "item": "tea", "quantity": 2}]
    }
    assert [o["owner"] for o in everything.json()["orders"]] == ["alice", "bob"]
    assert me.json() == {
        "sub": "reporting",
        "client_id": "reporting",
        "scopes": [],
        "roles": ["Orders.ReadAll"],
        "expires_at": claims_for(issuer.url)["exp"],
    }
    assert bad.status_code == 400


@pytest.mark.parametrize(
    ("method", "path", "claims", "status", "challenge"),
    [
        ("GET", "/orders", None, 401, 'Bearer realm="orders"'),
        ("GET", "/me", None, 401, 'Bearer realm="orders"'),
        ("POST", "/orders", {"scope": "orders.read"}, 403,
         'Bearer realm="orders", error="insufficient_scope", '
         'error_description="missing scope orders.write", scope="orders.write"'),
        ("GET", "/admin/orders", {"scope": "orders.read"}, 403,
         'Bearer realm="orders", error="insufficient_scope", '
         'error_description="missing app role Orders.ReadAll"'),
        ("GET", "/orders", {"aud": "https://billing.example.com"}, 401,
         'Bearer realm="orders", error="invalid_token", error_description="the token is for '
         'audience https://billing.example.com, not https://orders.example.com"'),
    ],
)  # fmt: skip
def test_refusals(
    issuer: IssuerState,
    validator: TokenValidator,
    es_key: SigningKey,
    method: str,
    path: str,
    claims: dict[str, Any] | None,
    status: int,
    challenge: str,
) -> None:
    token = None if claims is None else es_key.sign(claims_for(issuer.url, **claims))
    (response,) = _run(
        validator, [(method, path, token, {"item": "tea"} if method == "POST" else None)]
    )
    assert (response.status_code, response.headers["www-authenticate"]) == (status, challenge)


def test_it_runs_as_a_module(issuer: IssuerState, es_key: SigningKey) -> None:
    port = free_port()
    command = [
        sys.executable, "-m", "examples.orders_api",
        "--issuer", issuer.url, "--audience", AUDIENCE, "--port", str(port),
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            assert time.monotonic() < deadline, "the example did not start"
            time.sleep(0.1)
        now = int(time.time())  # the subprocess uses the real clock
        token = es_key.sign(claims_for(issuer.url, iat=now, exp=now + 60, auth_time=now))
        me = httpx.get(f"{base}/me", headers={"authorization": f"Bearer {token}"}, timeout=5)
        assert me.status_code == 200, me.text
        assert me.json()["sub"] == "user-123"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_introspection_needs_the_secret_in_the_environment(issuer: IssuerState) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ORDERS_API_CLIENT_SECRET"}
    result = subprocess.run(
        [sys.executable, "-m", "examples.orders_api", "--issuer", issuer.url,
         "--audience", AUDIENCE, "--introspect-as", "orders-api"],
        cwd=ROOT, env=env, capture_output=True, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert b"--introspect-as needs the client secret in $ORDERS_API_CLIENT_SECRET" in result.stderr
