"""The storage contract of pushed authorization requests (``PushedRequestRepository``,
RFC 9126), re-exported by ``storage/repositories.py`` with every other repository.
``storage.sql.pushed_requests`` implements it."""

from __future__ import annotations

from typing import Protocol

from gatehouse.storage.records import PushedRequest


class PushedRequestRepository(Protocol):
    def create(self, request: PushedRequest) -> None:
        """Store a pushed request (its request_uri only as a hash). One INSERT."""

    def consume(self, request_uri_hash: str, client_id: str, now: int) -> PushedRequest | None:
        """The request, marked used, when it exists, belongs to ``client_id``, has not
        expired (``expires_at`` > ``now``) and was never used; else None. One conditional
        UPDATE decides: True for exactly one caller however many race (RFC 9126 §4)."""

    def get(self, request_uri_hash: str) -> PushedRequest | None:
        """The request whatever its state, or None: to say why ``consume`` refused it."""
