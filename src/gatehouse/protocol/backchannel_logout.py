"""Delivering back-channel logouts (OpenID Connect Back-Channel Logout 1.0 §2.5 to §2.8).

A sign-out only queues them (accounts/sessions.py ``sign_out``, in the transaction that ends
the session), so the person's page never waits for an application. Delivery takes one due
row at a time from the queue under a lease, signs a logout token for it, POSTs it to the
client's ``backchannel_logout_uri`` within a bounded time, and records the outcome: a 2xx
answer delivers it; a network error, a timeout or any other status is tried again later,
with a growing pause, until ``give_up_after`` has passed since the sign-out, when it is
abandoned. ``BackchannelLogoutWorker`` (protocol/backchannel_worker.py) runs this in each
server process.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from gatehouse.keys.remote import PostFailed
from gatehouse.protocol.provider import Provider
from gatehouse.storage.records import AuditEvent, Client, LogoutDelivery
from gatehouse.tokens.logout_token import mint_logout_token

log = logging.getLogger("gatehouse.backchannel_logout")

# Pauses between attempts: 5 s after the first failure, doubling, at most 15 minutes.
FIRST_PAUSE = 5
LONGEST_PAUSE = 15 * 60
# A lease outlasts the POST's timeout by this much: a worker that stops mid-delivery (a
# crash, a restart) leaves the row to another worker once the lease runs out.
LEASE_MARGIN = 30

# POST ``form`` to a URI within a timeout (seconds); raises PostFailed unless answered 2xx.
Post = Callable[[str, dict[str, str], float], None]
Result = Literal["delivered", "retry", "abandoned", "lease_lost"]


@dataclass(frozen=True)
class DeliveryPolicy:
    """How long one attempt may take (seconds), and how long after the sign-out gatehouse
    keeps trying."""

    timeout: float
    give_up_after: int

    @property
    def lease(self) -> int:
        return math.ceil(self.timeout) + LEASE_MARGIN

    def next_attempt_at(self, delivery: LogoutDelivery, now: int) -> int | None:
        """When to try again after ``delivery``'s latest attempt failed at ``now``: a pause
        that doubles with every attempt, never past the give-up time; None once that has
        come."""
        deadline = delivery.created_at + self.give_up_after
        if now >= deadline:
            return None
        doublings = min(max(delivery.attempts - 1, 0), 16)
        pause = min(FIRST_PAUSE * (1 << doublings), LONGEST_PAUSE)
        return min(now + pause, deadline)


@dataclass(frozen=True)
class Outcome:
    delivery: LogoutDelivery
    result: Result
    error: str | None = None


def logout_token_for(provider: Provider, client: Client, delivery: LogoutDelivery) -> str:
    """§2.4: signed like the client's ID tokens (its algorithm, else the default), with a
    new jti for each attempt: a client that saw an earlier attempt's token arrive (while its
    answer was lost) does not take the next one for a replay."""
    config = provider.config
    return mint_logout_token(
        provider.keys.keyring(),
        alg=client.id_token_signing_alg or config.id_token_signing_alg,
        issuer=config.issuer,
        client_id=client.client_id,
        subject=delivery.user_id,
        sid=delivery.sid,
        now=provider.clock(),
        jti=uuid.uuid4().hex,
    )


def deliver_next(provider: Provider, policy: DeliveryPolicy, post: Post) -> Outcome | None:
    """Claim one due delivery and make one attempt at it; None when nothing is due."""
    deliveries, now = provider.logout_deliveries, provider.clock()
    delivery = deliveries.claim_due(now, now + policy.lease)
    if delivery is None:
        return None
    client = provider.clients.get(delivery.client_id)
    if client is None or client.backchannel_logout_uri is None:
        error = "the client no longer registers a backchannel_logout_uri"
        return _abandon(provider, delivery, error)
    try:
        # §2.5: a POST of logout_token as application/x-www-form-urlencoded.
        form = {"logout_token": logout_token_for(provider, client, delivery)}
        post(client.backchannel_logout_uri, form, policy.timeout)
    except PostFailed as failure:
        return _failed(provider, policy, delivery, str(failure))
    if not deliveries.mark_delivered(delivery, provider.clock()):
        return Outcome(delivery, "lease_lost")
    return Outcome(delivery, "delivered")


def _failed(
    provider: Provider, policy: DeliveryPolicy, delivery: LogoutDelivery, error: str
) -> Outcome:
    """§2.8: a client that does not answer 200 may be down; try again later, up to the
    give-up time."""
    now = provider.clock()
    retry_at = policy.next_attempt_at(delivery, now)
    if retry_at is None:
        return _abandon(provider, delivery, error)
    if not provider.logout_deliveries.retry_at(delivery, retry_at, error):
        return Outcome(delivery, "lease_lost", error)
    log.info(
        "back-channel logout to client %s failed (%s); attempt %d, next in %d s",
        delivery.client_id,
        error,
        delivery.attempts,
        retry_at - now,
    )
    return Outcome(delivery, "retry", error)


def _abandon(provider: Provider, delivery: LogoutDelivery, error: str) -> Outcome:
    now = provider.clock()
    with provider.transaction():
        if not provider.logout_deliveries.abandon(delivery, now, error):
            return Outcome(delivery, "lease_lost", error)
        provider.audit.record(
            AuditEvent(
                type="logout.delivery_abandoned",
                occurred_at=now,
                actor="system",
                user_id=delivery.user_id,
                client_id=delivery.client_id,
                details={"sid": delivery.sid, "attempts": delivery.attempts, "error": error[:200]},
            )
        )
    log.warning(
        "back-channel logout to client %s abandoned after %d attempt(s): %s",
        delivery.client_id,
        delivery.attempts,
        error,
    )
    return Outcome(delivery, "abandoned", error)


def deliver_due(provider: Provider, policy: DeliveryPolicy, post: Post) -> list[Outcome]:
    """One attempt at every delivery due now, one after another."""
    outcomes = []
    while (outcome := deliver_next(provider, policy, post)) is not None:
        outcomes.append(outcome)
    return outcomes
