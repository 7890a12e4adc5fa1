"""Pushed authorization requests (RFC 9126): the record, re-exported by
``storage/records.py``, and the storage contract (``PushedRequestRepository``), re-exported
by ``storage/repositories.py`` with every other repository. ``storage.sql.pushed_requests``
implements it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class PushedRequest:
    """RFC 9126 §2.2: an authorization request a client pushed, to be used once, by that
    client, before ``expires_at``, through its request_uri (stored only as a hash)."""

    request_uri_hash: str
    client_id: str
    # The authorization request's parameters: name -> every value (only resource repeats).
    parameters: dict[str, list[str]]
    created_at: int
    expires_at: int
    used_at: int | None = None


class PushedRequestRepository(Protocol):
    def create(self, request: PushedRequest) -> None:
        """Store a pushed request (its request_uri only as a hash). One INSERT."""

    def consume(self, request_uri_hash: str, client_id: str, now: int) -> PushedRequest | None:
        """The request, marked used, when it exists, belongs to ``client_id``, has not
        expired (``expires_at`` > ``now``) and was never used; else None. One conditional
        UPDATE decides: True for exactly one caller however many race (RFC 9126 §4)."""

    def get(self, request_uri_hash: str) -> PushedRequest | None:
        """The request whatever its state, or None: to say why ``consume`` refused it."""
