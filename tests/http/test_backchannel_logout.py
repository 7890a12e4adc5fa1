"""Back-channel logout (OIDC Back-Channel Logout 1.0) end to end in process: a relying party
on loopback receives the logout token when the person signs out, checks it against
gatehouse's JWKS as §2.6 says; retries when the relying party was down; a restart between
the sign-out and the delivery. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from gatehouse.admin import users as user_admin
from gatehouse.keys.jose import unverified_claims
from gatehouse.protocol.backchannel_logout import FIRST_PAUSE
from gatehouse.runtime import Runtime, build_runtime
from tests.support.factories import make_client, make_user
from tests.support.flow import get_tokens, install_clock
from tests.support.logout_receiver import LogoutReceiver, validate_logout_token


@pytest.fixture
def receiver() -> Iterator[LogoutReceiver]:
    rp = LogoutReceiver().start()
    yield rp
    rp.stop()


@pytest.fixture
def rp_client(runtime: Runtime, receiver: LogoutReceiver) -> dict[str, Any]:
    make_user(runtime)
    return make_client(runtime, "web", backchannel_logout_uri=receiver.uri)


def _sign_in(http: TestClient, client: dict[str, Any]) -> dict[str, Any]:
    return get_tokens(http, client, scope="openid profile")


def test_the_relying_party_gets_a_valid_logout_token_at_once(
    runtime: Runtime, http: TestClient, rp_client: dict[str, Any], receiver: LogoutReceiver
) -> None:
    tokens = _sign_in(http, rp_client)
    worker = runtime.backchannel_worker().start()
    try:
        started = time.monotonic()
        page = http.get("/logout", params={"id_token_hint": tokens["id_token"]})
        assert page.status_code == 200  # the page never waited for the relying party
        assert receiver.wait(1, seconds=1.0), "no logout token within a second"
        assert time.monotonic() - started < 1.0
    finally:
        worker.stop()
    id_token = unverified_claims(tokens["id_token"])
    claims = validate_logout_token(
        receiver.tokens[0], http.get("/jwks").json(), issuer="http://testserver", client_id="web"
    )
    assert (claims["sid"], claims["sub"]) == (id_token["sid"], id_token["sub"])
    assert receiver.content_types == ["application/x-www-form-urlencoded"]
    (delivery,) = runtime.store.logout_deliveries.list()
    assert delivery.delivered_at is not None and delivery.attempts == 1


def test_a_relying_party_that_was_down_gets_it_when_it_is_back(
    runtime: Runtime, http: TestClient, rp_client: dict[str, Any], receiver: LogoutReceiver
) -> None:
    clock = install_clock(runtime)
    tokens = _sign_in(http, rp_client)
    port = int(receiver.uri.split(":")[2].split("/")[0])
    receiver.stop()  # down: the connection is refused
    http.get("/logout", params={"id_token_hint": tokens["id_token"]})
    worker = runtime.backchannel_worker()
    assert [o.result for o in worker.run_once()] == ["retry"]
    receiver.start(port)
    receiver.status = 503  # up, but failing
    clock.advance(FIRST_PAUSE)
    assert [o.result for o in worker.run_once()] == ["retry"]
    receiver.status = 200
    assert worker.run_once() == []  # the second pause is longer
    clock.advance(2 * FIRST_PAUSE)
    assert [o.result for o in worker.run_once()] == ["delivered"]
    assert len(receiver.tokens) == 2  # the failing answer's and the good one
    validate_logout_token(
        receiver.tokens[-1], http.get("/jwks").json(), issuer="http://testserver", client_id="web"
    )
    (delivery,) = runtime.store.logout_deliveries.list()
    assert delivery.attempts == 3 and delivery.last_error is None


def test_a_restart_between_sign_out_and_delivery_loses_nothing(
    runtime: Runtime, http: TestClient, rp_client: dict[str, Any], receiver: LogoutReceiver
) -> None:
    tokens = _sign_in(http, rp_client)
    http.get("/logout", params={"id_token_hint": tokens["id_token"]})
    assert receiver.tokens == []  # no worker ran in this process
    restarted = build_runtime(runtime.settings)
    worker = restarted.backchannel_worker().start()  # a new server's worker finds the row
    try:
        assert receiver.wait(1, seconds=10.0)
    finally:
        worker.stop()
        restarted.close()
    validate_logout_token(
        receiver.tokens[0], http.get("/jwks").json(), issuer="http://testserver", client_id="web"
    )


@pytest.mark.parametrize("how", ["password change", "disabled account", "operator sign-out"])
def test_every_way_a_session_ends_tells_the_relying_party(
    runtime: Runtime,
    http: TestClient,
    rp_client: dict[str, Any],
    receiver: LogoutReceiver,
    how: str,
) -> None:
    tokens = _sign_in(http, rp_client)
    if how == "password change":
        user_admin.set_password(runtime, "alice", "a brand new passphrase")
    elif how == "disabled account":
        user_admin.set_disabled(runtime, "alice", True)
    else:
        report = user_admin.sign_out_user(runtime, "alice")
        sid = unverified_claims(tokens["id_token"])["sid"]
        assert report["sessions_ended"] == [
            {"sid": sid, "clients": ["web"], "backchannel_logouts_queued": ["web"]}
        ]
    runtime.backchannel_worker().run_once()
    claims = validate_logout_token(
        receiver.tokens[0], http.get("/jwks").json(), issuer="http://testserver", client_id="web"
    )
    assert claims["sid"] == unverified_claims(tokens["id_token"])["sid"]
    refreshed = http.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=("web", rp_client["client_secret"]),
    )
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"


def test_a_client_that_took_no_part_is_not_told(
    runtime: Runtime, http: TestClient, rp_client: dict[str, Any], receiver: LogoutReceiver
) -> None:
    other = make_client(runtime, "other", backchannel_logout_uri=receiver.uri)
    tokens = _sign_in(http, rp_client)
    http.get("/logout", params={"id_token_hint": tokens["id_token"]})
    assert [d.client_id for d in runtime.store.logout_deliveries.list()] == ["web"]
    assert other["client_id"] == "other"
