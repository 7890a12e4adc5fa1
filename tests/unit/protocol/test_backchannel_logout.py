"""protocol.backchannel_logout: delivering queued logout tokens (OIDC Back-Channel Logout
1.0 §2.5 to §2.8) — the retry schedule, the give-up time, the lease that lets one worker at
a time send a delivery, and a restart in between. The clock is injected; the POST is a
function the test plays."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gatehouse.accounts.sessions import sign_out
from gatehouse.admin import clients as client_admin
from gatehouse.keys.jose import verify_jwt
from gatehouse.keys.remote import PostFailed
from gatehouse.protocol.backchannel_logout import (
    FIRST_PAUSE,
    LONGEST_PAUSE,
    DeliveryPolicy,
    deliver_due,
    deliver_next,
)
from gatehouse.protocol.provider import Provider
from gatehouse.runtime import Runtime, build_runtime
from gatehouse.storage.records import LogoutDelivery, SessionSelector, User
from tests.support.flow import FakeClock
from tests.support.logout_receiver import EVENT
from tests.unit.protocol.conftest import Registered, register, start_sso

RP = "https://rp.example.com/backchannel"
POLICY = DeliveryPolicy(timeout=5.0, give_up_after=3600)


class Recorder:
    """Plays the client's endpoint: records each POST, fails while ``failing`` is set."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, str], float]] = []
        self.failing: str | None = None

    def __call__(self, uri: str, form: dict[str, str], timeout: float) -> None:
        self.posts.append((uri, form, timeout))
        if self.failing is not None:
            raise PostFailed(self.failing)


@pytest.fixture
def rp(runtime: Runtime) -> Registered:
    return register(runtime, "rp", backchannel_logout_uri=RP)


def queued(provider: Provider, client: Registered, user: User) -> LogoutDelivery:
    """Alice took part in a session with ``client``, then signed out: one delivery queued."""
    sid = start_sso(provider, user)
    provider.sessions.record_client(sid, client.client.client_id, provider.clock())
    ended = sign_out(provider.sessions, SessionSelector(sid=sid), provider.clock(), "logout")
    assert ended[0].backchannel_client_ids == (client.client.client_id,)
    (delivery,) = [d for d in provider.logout_deliveries.list() if d.sid == sid]
    return delivery


@pytest.mark.parametrize(
    ("attempts", "failed_after", "expected"),
    [
        (1, 0, FIRST_PAUSE),
        (2, 0, 2 * FIRST_PAUSE),
        (3, 0, 4 * FIRST_PAUSE),
        (40, 0, LONGEST_PAUSE),  # the pause stops growing
        (1, 3600 - 2, 2),  # never past the give-up time: one last attempt then
        (1, 3600, None),  # the give-up time has come
    ],
)
def test_the_pause_doubles_up_to_a_ceiling_and_stops_at_the_give_up_time(
    attempts: int, failed_after: int, expected: int | None
) -> None:
    delivery = LogoutDelivery(
        "d", "rp", "u", "s", created_at=1000, attempts=attempts, next_attempt_at=1000
    )
    now = 1000 + failed_after
    retry_at = POLICY.next_attempt_at(delivery, now)
    assert (retry_at - now if retry_at is not None else None) == expected


def test_a_delivery_posts_a_logout_token_once_and_is_done(
    provider: Provider, clock: FakeClock, rp: Registered, alice: User
) -> None:
    delivery = queued(provider, rp, alice)
    post = Recorder()
    (outcome,) = deliver_due(provider, POLICY, post)
    assert outcome.result == "delivered"
    ((uri, form, timeout),) = post.posts
    assert (uri, list(form), timeout) == (RP, ["logout_token"], 5.0)
    keys = provider.keys.keyring().verification_keys
    header, claims = verify_jwt(form["logout_token"], keys, algorithms=["RS256"])
    assert header["typ"] == "logout+jwt"
    assert (claims["aud"], claims["sub"], claims["sid"]) == ("rp", alice.id, delivery.sid)
    assert claims["events"] == {EVENT: {}} and claims["iss"] == provider.config.issuer
    stored = provider.logout_deliveries.get(delivery.id)
    assert stored is not None and stored.delivered_at == clock.now and stored.attempts == 1
    assert deliver_due(provider, POLICY, post) == []  # nothing is sent twice


def test_a_client_that_signs_id_tokens_with_es256_gets_es256_logout_tokens(
    runtime: Runtime, provider: Provider, clock: FakeClock, alice: User
) -> None:
    es = register(runtime, "es", backchannel_logout_uri=RP, id_token_signing_alg="ES256")
    queued(provider, es, alice)
    post = Recorder()
    deliver_due(provider, POLICY, post)
    keys = provider.keys.keyring().verification_keys
    header, _ = verify_jwt(post.posts[0][1]["logout_token"], keys, algorithms=["ES256"])
    assert header["alg"] == "ES256"


def test_a_failure_is_retried_after_a_growing_pause_with_a_new_token(
    provider: Provider, clock: FakeClock, rp: Registered, alice: User
) -> None:
    delivery = queued(provider, rp, alice)
    post = Recorder()
    post.failing = "answered HTTP 503"
    assert [o.result for o in deliver_due(provider, POLICY, post)] == ["retry"]
    stored = provider.logout_deliveries.get(delivery.id)
    assert stored is not None and stored.next_attempt_at == clock.now + FIRST_PAUSE
    assert stored.last_error == "answered HTTP 503" and stored.lease_id is None
    clock.advance(FIRST_PAUSE - 1)
    assert deliver_due(provider, POLICY, post) == []  # not due yet
    clock.advance(1)
    assert [o.result for o in deliver_due(provider, POLICY, post)] == ["retry"]
    stored = provider.logout_deliveries.get(delivery.id)
    assert stored is not None and stored.next_attempt_at == clock.now + 2 * FIRST_PAUSE
    post.failing = None
    clock.advance(2 * FIRST_PAUSE)
    assert [o.result for o in deliver_due(provider, POLICY, post)] == ["delivered"]
    tokens = [form["logout_token"] for _, form, _ in post.posts]
    assert len(tokens) == 3 and len(set(tokens)) == 3  # each attempt signs a new token


def test_after_the_give_up_time_the_delivery_is_abandoned(
    provider: Provider, clock: FakeClock, rp: Registered, alice: User
) -> None:
    delivery = queued(provider, rp, alice)
    post = Recorder()
    post.failing = "no answer within 5 s"
    policy = replace(POLICY, give_up_after=12)
    results = []
    for _ in range(5):
        results += [o.result for o in deliver_due(provider, policy, post)]
        clock.advance(LONGEST_PAUSE)
    assert results == ["retry", "abandoned"]  # 5 s later, then at the give-up time (12 s)
    stored = provider.logout_deliveries.get(delivery.id)
    assert stored is not None and stored.abandoned_at is not None and stored.attempts == 2
    assert stored.last_error == "no answer within 5 s"


def test_a_client_that_dropped_its_uri_is_not_sent_anything(
    runtime: Runtime, provider: Provider, clock: FakeClock, rp: Registered, alice: User
) -> None:
    delivery = queued(provider, rp, alice)
    client_admin.update_client(
        runtime, client_admin.ClientSpec(client_id="rp", backchannel_logout_uri="")
    )
    post = Recorder()
    assert [o.result for o in deliver_due(provider, POLICY, post)] == ["abandoned"]
    assert post.posts == []
    stored = provider.logout_deliveries.get(delivery.id)
    assert stored is not None and stored.abandoned_at is not None


def test_one_worker_at_a_time_holds_a_delivery(
    provider: Provider, clock: FakeClock, rp: Registered, alice: User
) -> None:
    queued(provider, rp, alice)
    deliveries = provider.logout_deliveries
    first = deliveries.claim_due(clock.now, clock.now + POLICY.lease)
    assert first is not None
    assert deliveries.claim_due(clock.now, clock.now + POLICY.lease) is None  # leased
    # The first worker hangs past its lease: another takes the delivery over...
    clock.advance(POLICY.lease)
    second = deliveries.claim_due(clock.now, clock.now + POLICY.lease)
    assert second is not None and second.attempts == 2 and second.lease_id != first.lease_id
    # ...and what the first one reports late changes nothing.
    assert not deliveries.mark_delivered(first, clock.now)
    assert not deliveries.retry_at(first, clock.now + 5, "late")
    assert deliveries.mark_delivered(second, clock.now)


def test_a_delivery_survives_a_restart(
    runtime: Runtime, provider: Provider, clock: FakeClock, rp: Registered, alice: User
) -> None:
    """Queued by one process, picked up by a new runtime over the same database (a
    restarted server): the queue is rows, not memory."""
    delivery = queued(provider, rp, alice)
    # The first process took it and died mid-delivery: its lease runs out.
    assert provider.logout_deliveries.claim_due(clock.now, clock.now + POLICY.lease)
    restarted = build_runtime(runtime.settings)
    try:
        restarted.provider.clock = clock
        post = Recorder()
        assert deliver_next(restarted.provider, POLICY, post) is None  # still leased
        clock.advance(POLICY.lease)
        outcome = deliver_next(restarted.provider, POLICY, post)
        assert outcome is not None and outcome.result == "delivered"
        assert outcome.delivery.id == delivery.id and len(post.posts) == 1
    finally:
        restarted.close()
