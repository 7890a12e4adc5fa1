"""The work a server does besides answering requests covers every tenant: one process's
back-channel logout worker delivers each tenant's logouts, signed with that tenant's keys,
and the purge deletes every tenant's expired rows."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from gatehouse.admin import users as user_admin
from gatehouse.keys.jose import unverified_claims
from gatehouse.runtime import Runtime
from gatehouse.storage.sql import tables as t
from tests.conftest import ISSUER
from tests.support.factories import make_client, make_user
from tests.support.flow import get_tokens
from tests.support.logout_receiver import LogoutReceiver, validate_logout_token
from tests.support.tenants import server_app, tenant_client, tenant_runtimes


@pytest.fixture
def receiver() -> Iterator[LogoutReceiver]:
    rp = LogoutReceiver().start()
    yield rp
    rp.stop()


def test_one_worker_delivers_every_tenant_s_back_channel_logouts(
    runtime: Runtime, receiver: LogoutReceiver
) -> None:
    tenants = tenant_runtimes(runtime, "acme")
    acme = tenants.get("acme")
    assert acme is not None
    make_user(acme)
    client = make_client(acme, "web", backchannel_logout_uri=receiver.uri)
    with tenant_client(server_app(tenants), "acme") as http:
        tokens = get_tokens(http, client, scope="openid profile")
        runtime.provider.logout_deliveries.wait_for_queued(0)  # nothing rung before
        user_admin.sign_out_user(acme, "alice")
        # The sign-out in acme wakes the process's one worker, which waits on the default
        # tenant's queue: it need not wait for its next poll.
        assert runtime.provider.logout_deliveries.wait_for_queued(0) is True
        worker = tenants.backchannel_worker()
        assert [o.result for o in worker.run_once()] == ["delivered"]
        claims = validate_logout_token(
            receiver.tokens[0],
            http.get("/jwks").json(),
            issuer=f"{ISSUER}/t/acme",
            client_id="web",
        )
    assert claims["sid"] == unverified_claims(tokens["id_token"])["sid"]


def test_a_poll_looks_only_into_the_queues_of_tenants_with_a_delivery_due(
    runtime: Runtime, receiver: LogoutReceiver
) -> None:
    """However many tenants a server has, a poll reads the default tenant's queue and the
    one list of the tenants with work: 100 tenants' queues read one by one every two seconds
    cost 7 % of a core per server process (docs/benchmarks.md, tenants at scale)."""
    tenants = tenant_runtimes(runtime, "acme", "beta", "gamma")
    beta = tenants.get("beta")
    assert beta is not None
    make_user(beta)
    client = make_client(beta, "web", backchannel_logout_uri=receiver.uri)
    worker = tenants.backchannel_worker()
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    sa.event.listen(runtime.database.engine, "before_cursor_execute", seen)
    try:
        assert worker.run_once() == []
        idle = [s for s in statements if "backchannel_logouts" in s]
        with tenant_client(server_app(tenants), "beta") as http:
            get_tokens(http, client, scope="openid")
        user_admin.sign_out_user(beta, "alice")
        statements.clear()
        assert [o.result for o in worker.run_once()] == ["delivered"]
    finally:
        sa.event.remove(runtime.database.engine, "before_cursor_execute", seen)
    assert len(idle) == 2  # the default tenant's queue, and which tenants have work
    assert len(receiver.tokens) == 1


def test_the_purge_deletes_every_tenant_s_expired_rows(runtime: Runtime) -> None:
    tenants = tenant_runtimes(runtime, "acme")
    acme = tenants.get("acme")
    assert acme is not None
    make_client(acme)
    with tenant_client(server_app(tenants), "acme") as http:
        http.get(
            "/authorize",
            params={
                "response_type": "code",
                "client_id": "web",
                "redirect_uri": "https://app.example.com/callback",
                "scope": "openid",
                "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                "code_challenge_method": "S256",
            },
        )
    count = sa.select(sa.func.count()).select_from(t.interactions)
    with runtime.database.read() as conn:
        assert conn.execute(count.where(t.interactions.c.tenant_id == "acme")).scalar() == 1
    deleted = runtime.purge(int(time.time()) + 3600)  # past the interaction's lifetime
    assert deleted["interactions"] == 1
    with runtime.database.read() as conn:
        assert conn.execute(count).scalar() == 0
