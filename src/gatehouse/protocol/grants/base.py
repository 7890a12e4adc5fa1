"""The protocol every grant implements; the token endpoint looks grants up by grant_type."""

from __future__ import annotations

from typing import Protocol

from gatehouse.protocol.messages import Parameters
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.token_response import TokenResponse
from gatehouse.storage.records import Client


class Grant(Protocol):
    grant_type: str

    def handle(
        self, provider: Provider, client: Client, params: Parameters, *, address: str | None = None
    ) -> TokenResponse:
        """Validate the grant-specific parameters and issue tokens, or raise OAuthError.
        ``address``: the caller's, for grants that check a person's secret under
        brute-force protection (the password grant)."""
