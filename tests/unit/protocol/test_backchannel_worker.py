"""protocol/backchannel_worker.py: the delivery worker against a real relying party on
loopback (tests/support/logout_receiver.py), with the real POST: a delivery, retries that
release their lease, the give-up, a receiver that hangs (bounded by the timeout, the lease
held meanwhile), and the thread: woken by a sign-out, stopped at once, going on after an
error. The provider's clock is injected; the only real waits are the receiver's."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from gatehouse.accounts.sessions import sign_out
from gatehouse.keys.remote import PostFailed, post_form
from gatehouse.protocol import backchannel_worker
from gatehouse.protocol.backchannel_logout import FIRST_PAUSE, DeliveryPolicy
from gatehouse.protocol.backchannel_worker import BackchannelLogoutWorker
from gatehouse.protocol.provider import Provider
from gatehouse.runtime import Runtime
from gatehouse.storage.records import LogoutDelivery, SessionSelector, User
from tests.support.flow import FakeClock
from tests.support.logout_receiver import LogoutReceiver, validate_logout_token
from tests.unit.protocol.conftest import register, start_sso

POLICY = DeliveryPolicy(timeout=5.0, give_up_after=3600)


@pytest.fixture
def receiver() -> Iterator[LogoutReceiver]:
    rp = LogoutReceiver().start()
    yield rp
    if rp.hold is not None:
        rp.hold.set()
    rp.stop()


@pytest.fixture
def rp(runtime: Runtime, receiver: LogoutReceiver) -> str:
    return register(runtime, "rp", backchannel_logout_uri=receiver.uri).client.client_id


def signed_out(provider: Provider, user: User, client_id: str = "rp") -> LogoutDelivery:
    """A session of ``user`` with the relying party, signed out: its delivery, queued."""
    sid = start_sso(provider, user)
    provider.sessions.record_client(sid, client_id, provider.clock())
    sign_out(provider.sessions, SessionSelector(sid=sid), provider.clock(), "logout")
    (delivery,) = [d for d in provider.logout_deliveries.list() if d.sid == sid]
    return delivery


def stored(provider: Provider, delivery: LogoutDelivery) -> LogoutDelivery:
    found = provider.logout_deliveries.get(delivery.id)
    assert found is not None
    return found


def test_a_delivery_reaches_the_relying_party_once(
    provider: Provider, clock: FakeClock, alice: User, rp: str, receiver: LogoutReceiver
) -> None:
    delivery = signed_out(provider, alice)
    worker = BackchannelLogoutWorker(provider, POLICY)

    assert [(o.result, o.delivery.id) for o in worker.run_once()] == [("delivered", delivery.id)]

    (token,) = receiver.tokens
    claims = validate_logout_token(
        token, provider.keys.keyring().jwks, issuer=provider.config.issuer, client_id="rp"
    )
    assert (claims["sub"], claims["sid"]) == (alice.id, delivery.sid)
    assert receiver.content_types == ["application/x-www-form-urlencoded"]
    done = stored(provider, delivery)
    assert (done.delivered_at, done.attempts, done.lease_id) == (clock.now, 1, None)
    assert worker.run_once() == []
    assert len(receiver.tokens) == 1


def test_a_failing_relying_party_is_retried_later_and_the_lease_released(
    provider: Provider, clock: FakeClock, alice: User, rp: str, receiver: LogoutReceiver
) -> None:
    delivery = signed_out(provider, alice)
    worker = BackchannelLogoutWorker(provider, POLICY)
    receiver.status = 503  # up, but failing
    assert [(o.result, o.error) for o in worker.run_once()] == [("retry", "answered HTTP 503")]
    failed = stored(provider, delivery)
    assert (failed.attempts, failed.next_attempt_at) == (1, clock.now + FIRST_PAUSE)
    assert (failed.lease_id, failed.last_error) == (None, "answered HTTP 503")
    assert worker.run_once() == []  # not due yet

    port = int(receiver.uri.rsplit(":", 1)[1].split("/")[0])
    receiver.stop()  # down: the connection is refused
    clock.advance(FIRST_PAUSE)
    (outcome,) = worker.run_once()
    assert (outcome.result, outcome.error) == ("retry", "the request failed (ConnectError)")
    assert stored(provider, delivery).next_attempt_at == clock.now + 2 * FIRST_PAUSE

    receiver.start(port)
    receiver.status = 200
    clock.advance(2 * FIRST_PAUSE)
    assert [o.result for o in worker.run_once()] == ["delivered"]
    done = stored(provider, delivery)
    assert (done.attempts, done.last_error, done.delivered_at) == (3, None, clock.now)
    assert len(receiver.tokens) == 2  # the 503's and the good one


def test_after_the_give_up_time_the_worker_stops_trying(
    provider: Provider, clock: FakeClock, alice: User, rp: str, receiver: LogoutReceiver
) -> None:
    delivery = signed_out(provider, alice)
    worker = BackchannelLogoutWorker(provider, DeliveryPolicy(timeout=5.0, give_up_after=12))
    receiver.status = 500
    results = []
    for _ in range(4):
        results += [o.result for o in worker.run_once()]
        clock.advance(FIRST_PAUSE)
    # At 0 and 5 s; at 10 s the next pause (10 s) is cut to the give-up time, 12 s.
    assert results == ["retry", "retry", "abandoned"]
    given_up = stored(provider, delivery)
    assert given_up.abandoned_at is not None and given_up.attempts == 3
    assert given_up.last_error == "answered HTTP 500"
    assert len(receiver.tokens) == 3
    clock.advance(3600)
    assert worker.run_once() == []


def test_a_relying_party_that_hangs_costs_the_timeout_and_holds_the_lease_meanwhile(
    provider: Provider, clock: FakeClock, alice: User, rp: str, receiver: LogoutReceiver
) -> None:
    delivery = signed_out(provider, alice)
    receiver.hold = threading.Event()  # never answers within the timeout
    worker = BackchannelLogoutWorker(provider, DeliveryPolicy(timeout=0.5, give_up_after=3600))
    with ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        running = pool.submit(worker.run_once)
        assert receiver.wait(1, seconds=5.0), "the POST never arrived"
        # Under way: another worker cannot take the delivery.
        assert provider.logout_deliveries.claim_due(clock.now, clock.now + 60) is None
        (outcome,) = running.result(timeout=5.0)
        elapsed = time.monotonic() - started
    assert (outcome.result, outcome.error) == ("retry", "no answer within 0.5 s")
    assert 0.5 <= elapsed < 2.5
    failed = stored(provider, delivery)
    assert (failed.lease_id, failed.next_attempt_at) == (None, clock.now + FIRST_PAUSE)


# -- The thread -------------------------------------------------------------------------------


def waiting_signal(provider: Provider, monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Set each time the worker goes to wait for the queue's signal (cleared by the test)."""
    waiting = threading.Event()
    real = provider.logout_deliveries.wait_for_queued

    def wait_for_queued(timeout: float) -> bool:
        waiting.set()
        return real(timeout)

    monkeypatch.setattr(provider.logout_deliveries, "wait_for_queued", wait_for_queued)
    return waiting


def test_the_thread_sends_a_sign_out_at_once(
    monkeypatch: pytest.MonkeyPatch,
    provider: Provider,
    clock: FakeClock,
    alice: User,
    rp: str,
    receiver: LogoutReceiver,
) -> None:
    """It polls only every minute here: what arrives sooner was the sign-out waking it."""
    signed_out(provider, alice)
    provider.logout_deliveries.wait_for_queued(0)  # forget that sign-out's signal
    waiting = waiting_signal(provider, monkeypatch)
    worker = BackchannelLogoutWorker(provider, POLICY, poll_seconds=60).start()
    try:
        assert receiver.wait(1, seconds=5.0)  # the pass it makes when it starts
        assert waiting.wait(5.0)  # then it waits, for a minute
        second = signed_out(provider, alice)
        assert receiver.wait(2, seconds=5.0), "the sign-out did not wake the worker"
    finally:
        worker.stop()
    assert stored(provider, second).delivered_at == clock.now


def test_the_thread_stops_at_once_when_asked(
    monkeypatch: pytest.MonkeyPatch, provider: Provider, rp: str
) -> None:
    waiting = waiting_signal(provider, monkeypatch)
    worker = BackchannelLogoutWorker(provider, POLICY, poll_seconds=60).start()
    assert waiting.wait(5.0)  # idle, for a minute
    stopping = time.monotonic()
    worker.stop(timeout=10.0)
    assert time.monotonic() - stopping < 5.0  # woken, not timed out


def test_the_thread_goes_on_after_an_error_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    provider: Provider,
    clock: FakeClock,
    alice: User,
    rp: str,
    receiver: LogoutReceiver,
) -> None:
    """Not a relying party's failure (those are retries) but the worker's own (the database
    gone): logged by type, and the loop carries on; the delivery it held is taken again
    once its lease runs out."""
    monkeypatch.setattr(backchannel_worker, "ERROR_PAUSE_SECONDS", 0.05)
    broke = threading.Event()

    def post(uri: str, form: dict[str, str], timeout: float) -> None:
        if not broke.is_set():
            broke.set()
            raise RuntimeError("the database went away")
        post_form(uri, form, seconds=timeout)

    delivery = signed_out(provider, alice)
    worker = BackchannelLogoutWorker(provider, POLICY, post=post, poll_seconds=60)
    with caplog.at_level(logging.WARNING, "gatehouse.backchannel_logout"):
        worker.start()
        try:
            assert broke.wait(5.0)
            clock.advance(POLICY.lease)
            provider.logout_deliveries.wake()
            assert receiver.wait(1, seconds=5.0), "the worker did not go on"
        finally:
            worker.stop()
    assert "delivering back-channel logouts failed: RuntimeError" in caplog.messages
    assert "went away" not in caplog.text
    assert stored(provider, delivery).attempts == 2


@pytest.mark.parametrize(
    ("failures", "advance", "poll", "idle"),
    [
        (0, 0, 2.0, 2.0),  # nothing queued: the poll interval
        (1, 0, 2.0, 2.0),  # a retry in 5 s: still the poll interval, the shorter
        (1, 0, 60.0, FIRST_PAUSE),  # a retry in 5 s: wake then
        (1, 3, 60.0, FIRST_PAUSE - 3),
        (1, FIRST_PAUSE + 1, 60.0, 0.5),  # overdue: a short pause, never a busy loop
    ],
)
def test_the_thread_sleeps_until_the_next_retry_at_most_the_poll_interval(
    provider: Provider,
    clock: FakeClock,
    alice: User,
    rp: str,
    failures: int,
    advance: int,
    poll: float,
    idle: float,
) -> None:
    def failing(uri: str, form: dict[str, str], timeout: float) -> None:
        raise PostFailed("answered HTTP 503")

    worker = BackchannelLogoutWorker(provider, POLICY, failing, poll_seconds=poll)
    if failures:
        signed_out(provider, alice)
        assert [o.result for o in worker.run_once()] == ["retry"]
    clock.advance(advance)
    assert worker._idle_seconds() == idle
