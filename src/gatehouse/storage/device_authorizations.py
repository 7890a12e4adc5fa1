"""The device authorization grant's record and storage contract (RFC 8628). Kept beside
``records.py`` and ``repositories.py``, which re-export them, under the same rules: times
are Unix seconds, ``now`` is the caller's clock, only hashes of the codes are stored, and
any method may raise ``DatabaseUnavailable``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

DeviceStatus = Literal["pending", "approved", "denied"]


@dataclass(frozen=True)
class DeviceApproval:
    """Who approved a device's request, and how they had signed in (the tokens carry it)."""

    user_id: str
    grant_id: str
    auth_time: int
    amr: tuple[str, ...]
    acr: str | None


@dataclass(frozen=True)
class DeviceAuthorization:
    """One device authorization request (RFC 8628 §3.2): its device code and user code (as
    SHA-256 hashes), what it asks for, how often the device may poll, and the person's
    answer. ``poll_interval`` grows by 5 s with each poll that came too soon (§3.5 slow_down)."""

    device_code_hash: str
    user_code_hash: str
    client_id: str
    scopes: tuple[str, ...]
    resources: tuple[str, ...]
    created_at: int
    expires_at: int
    poll_interval: int
    status: DeviceStatus = "pending"
    last_polled_at: int | None = None
    decided_at: int | None = None
    redeemed_at: int | None = None
    # Set when approved.
    user_id: str | None = None
    grant_id: str | None = None
    auth_time: int | None = None
    amr: tuple[str, ...] = ()
    acr: str | None = None

    @property
    def approval(self) -> DeviceApproval | None:
        """The approval, once the person approved the request."""
        user_id, grant_id, auth_time = self.user_id, self.grant_id, self.auth_time
        if self.status != "approved" or user_id is None or grant_id is None or auth_time is None:
            return None
        return DeviceApproval(user_id, grant_id, auth_time, self.amr, self.acr)


class DeviceAuthorizationRepository(Protocol):
    def create(self, authorization: DeviceAuthorization) -> bool:
        """Store a new request. False, and nothing stored, when a request not yet purged
        holds the same user code (the caller draws another); one INSERT … ON CONFLICT DO
        NOTHING."""

    def by_device_code(self, device_code_hash: str) -> DeviceAuthorization | None:
        """The request whatever its state, or None."""

    def by_user_code(self, user_code_hash: str) -> DeviceAuthorization | None:
        """The request whatever its state, or None (a user code names at most one)."""

    def record_poll(
        self, device_code_hash: str, previous_poll: int | None, now: int, interval: int
    ) -> bool:
        """A poll of a pending request: ``last_polled_at`` becomes ``now`` and the interval
        ``interval``, only if the last poll is still ``previous_poll`` (one conditional
        UPDATE). False when another poll came in between, or the request is no longer
        pending."""

    def approve(self, device_code_hash: str, approval: DeviceApproval, now: int) -> bool:
        """Record the person's approval: one conditional UPDATE of a pending request that
        has not expired. True for exactly one answer, however many race."""

    def deny(self, device_code_hash: str, user_id: str | None, now: int) -> bool:
        """Record the person's denial, under the same condition as ``approve``."""

    def redeem(self, device_code_hash: str, now: int) -> bool:
        """Spend an approved request: one conditional UPDATE of an approved, unexpired,
        unredeemed request. True for exactly one caller, however many race. Never retried
        when the connection is lost: the outcome is then unknown (``DatabaseUnavailable``)."""
