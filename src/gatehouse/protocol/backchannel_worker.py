"""The delivery worker: a daemon thread in every server process that sends the back-channel
logouts of the durable queue (protocol/backchannel_logout.py).

It wakes as soon as a sign-out in its own process has queued some (the store's signal, rung
after the commit), and otherwise polls every ``POLL_SECONDS`` for those queued by other
processes (another server, `gatehouse user sign-out`) and for retries that come due. The
queue is in the database, so deliveries survive a restart: the next worker picks them up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from gatehouse.keys.remote import post_form
from gatehouse.protocol.backchannel_logout import DeliveryPolicy, Outcome, Post, deliver_due
from gatehouse.protocol.provider import Provider

log = logging.getLogger("gatehouse.backchannel_logout")

POLL_SECONDS = 2.0
# After a failure of the worker itself (the database unreachable), wait this long.
ERROR_PAUSE_SECONDS = 5.0


def _post(uri: str, form: dict[str, str], timeout: float) -> None:
    post_form(uri, form, seconds=timeout)


def _none() -> Iterable[Provider]:
    return ()


class BackchannelLogoutWorker:
    def __init__(
        self,
        provider: Provider,
        policy: DeliveryPolicy,
        post: Post = _post,
        poll_seconds: float = POLL_SECONDS,
        others: Callable[[], Iterable[Provider]] = _none,
    ) -> None:
        """``others``: the providers of the other tenants served by this process, whose
        queues are polled too (each delivery is signed by its own tenant's keys)."""
        self.provider = provider
        self._others = others
        self.policy = policy
        self._post = post
        self._poll_seconds = poll_seconds
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> list[Outcome]:
        """One attempt at every delivery due now (what the thread does each time it wakes),
        of this tenant and then of every other one."""
        outcomes = deliver_due(self.provider, self.policy, self._post)
        for other in self._others():
            if other is not self.provider:
                outcomes += deliver_due(other, self.policy, self._post)
        return outcomes

    def start(self) -> BackchannelLogoutWorker:
        self._thread = threading.Thread(
            target=self._run, name="gatehouse-backchannel-logout", daemon=True
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to stop and wait for it (a delivery under way finishes first)."""
        self._stopped.set()
        self.provider.logout_deliveries.wake()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                self.run_once()
                pause = self._idle_seconds()
            except Exception as exc:  # the database may be back next time; go on regardless
                log.warning("delivering back-channel logouts failed: %s", type(exc).__name__)
                pause = ERROR_PAUSE_SECONDS
            if not self._stopped.is_set():
                self.provider.logout_deliveries.wait_for_queued(pause)

    def _idle_seconds(self) -> float:
        """Until the next retry comes due, at most the poll interval."""
        due = self.provider.logout_deliveries.next_attempt_at()
        if due is None:
            return self._poll_seconds
        return min(max(due - self.provider.clock(), 0.5), self._poll_seconds)
